// keygate's web console: sign-up, login (with 2FA), two-factor setup, API keys (the creation
// wizard, the secret shown once, activate/deactivate, rotate, delete, delete all, access logs,
// per-key withdrawal limits and rate limits), and the wallet (balances, deposit addresses and
// history, withdrawals, internal transfers, the withdrawal address book and its address-management
// switch).
// Plain ES module, no build step. The session lives in an HttpOnly cookie; every state-changing
// call carries the kg_csrf cookie's value as X-CSRF-Token. Nothing is written to localStorage or
// sessionStorage, and secrets exist only in the DOM of the screen that shows them.

const app = document.getElementById('app');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

let me = null;          // the signed-in user (GET /console/v1/me), or null
let flash = null;       // a one-off notice for the next screen: {kind, text}

// ---------------------------------------------------------------------------------------------
// DOM helpers. Text always goes in as text nodes, never as HTML.

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let idSeq = 0;
const uid = (p) => `${p}-${++idSeq}`;

// A labelled input: returns {wrap, input}.
function field(label, attrs = {}, hint) {
  const id = attrs.id || uid('f');
  const input = h(attrs.tag || 'input', { ...attrs, tag: null, id });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl), input };
}

// A radio/checkbox with its label.
function choice(type, name, value, label, extra = {}, desc) {
  const id = extra.id || uid(name);
  const input = h('input', { type, name, value, id, checked: !!extra.checked });
  return {
    wrap: h('div', { class: `choice ${extra.class || ''}` }, input,
      h('label', { for: id }, h('span', { class: 'choice-title' }, label), desc ? h('span', { class: 'choice-desc' }, desc) : null)),
    input,
  };
}

function codeField(label = 'Two-factor code', { required = true, hint = 'The 6-digit code from your authenticator app.' } = {}) {
  return field(label, {
    type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6',
    required, class: 'code', name: 'totp',
  }, hint);
}

// An area for the errors of one form (announced to screen readers).
function errorBox() {
  return h('div', { class: 'error', role: 'alert', hidden: true });
}

function showError(box, err) {
  box.hidden = false;
  box.replaceChildren();
  if (err && err.code !== undefined) append(box, h('strong', {}, `Error ${err.code}: `), err.msg);
  else append(box, String(err?.message || err));
}

function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

function notice(kind, ...text) {
  return h('div', { class: `notice ${kind}`, role: kind === 'warn' ? 'note' : 'status' }, ...text);
}

function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}

const pad = (n) => String(n).padStart(2, '0');
function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function timeEl(ms) {
  if (ms === null || ms === undefined) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: new Date(ms).toISOString(), title: new Date(ms).toISOString() }, fmtTime(ms));
}

// ---------------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, code, msg) {
    super(msg);
    this.status = status;
    this.code = code;
    this.msg = msg;
  }
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'kg_csrf') return v.join('=');
  }
  return '';
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken();
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
  } catch (e) {
    throw new ApiError(0, 'network', `The server could not be reached (${e.message}).`);
  }
  let data = null;
  try { data = await res.json(); } catch { /* no JSON body */ }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.code ?? res.status, data?.msg ?? `HTTP ${res.status}`);
    // The session ended (expired, logged out elsewhere): back to the login page.
    if (err.code === -7100 && me) {
      me = null;
      flash = { kind: 'info', text: 'Your session has ended. Please log in again.' };
      go('#/login');
    }
    throw err;
  }
  return data ?? {};
}

// ---------------------------------------------------------------------------------------------
// Routing (hash based: the server only serves files).

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function route() {
  const parts = (location.hash.replace(/^#\/?/, '') || '').split('/').filter(Boolean).map(decodeURIComponent);
  return parts;
}

const PUBLIC = new Set(['login', 'signup']);

async function render() {
  const parts = route();
  const page = parts[0] || (me ? 'keys' : 'login');
  if (!me && !PUBLIC.has(page)) {
    if (location.hash !== '#/login') { location.hash = '#/login'; return; }
  }
  if (me && PUBLIC.has(page)) { location.hash = '#/keys'; return; }
  updateNav(page);
  const view = h('div', { class: 'view' });
  const f = flash;
  flash = null;
  if (f) view.append(notice(f.kind, f.text));
  app.replaceChildren(view);
  try {
    if (page === 'login') loginPage(view);
    else if (page === 'signup') signupPage(view);
    else if (page === 'security') await securityPage(view);
    else if (page === 'keys' && parts[1] === 'new') await wizardPage(view);
    else if (page === 'keys' && parts[1] && parts[2] === 'log') await logPage(view, parts[1]);
    else if (page === 'keys' && parts[1] && parts[2] === 'withdraw') await withdrawRulesPage(view, parts[1]);
    else if (page === 'wallet' && !parts[1]) await balancesPage(view);
    else if (page === 'wallet' && parts[1] === 'deposit') await depositPage(view, parts[2], parts[3]);
    else if (page === 'wallet' && parts[1] === 'withdrawals') await withdrawalsPage(view);
    else if (page === 'wallet' && parts[1] === 'transfers') await transfersPage(view);
    else if (page === 'wallet' && parts[1] === 'addresses') await addressBookPage(view);
    else if (page === 'keys') await keysPage(view);
    else view.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/keys' }, 'Back to API keys')));
  } catch (e) {
    if (e.code === -7100) return;
    const box = errorBox();
    showError(box, e);
    view.append(box);
  }
  const heading = view.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · keygate`;
}

function updateNav(page) {
  nav.hidden = !me;
  who.textContent = me ? me.email : '';
  for (const a of nav.querySelectorAll('a[data-route]')) {
    if (a.dataset.route === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function loadMe() {
  try {
    me = await api('GET', '/console/v1/me');
  } catch {
    me = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Log in, sign up, log out.

function loginPage(view) {
  const err = errorBox();
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = field('Password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const code = codeField('Two-factor code');
  code.wrap.hidden = true;
  code.input.required = false;
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'card narrow', id: 'login-form', novalidate: false },
    h('h1', {}, 'Log in'),
    email.wrap, password.wrap, code.wrap, err,
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'muted' }, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    busy(submit, true);
    try {
      const body = { email: email.input.value.trim(), password: password.input.value };
      if (!code.wrap.hidden) body.totp = code.input.value.trim();
      await api('POST', '/console/v1/login', body);  // the token comes back as a cookie; the JSON copy is dropped
      await loadMe();
      go('#/keys');
    } catch (e) {
      if (e.code === -7200) {
        code.wrap.hidden = false;
        code.input.required = true;
        showError(err, { code: e.code, msg: 'This account has two-factor authentication: enter the code from your authenticator app.' });
        code.input.focus();
      } else {
        showError(err, e);
        if (e.code === -7201 && !code.wrap.hidden) { code.input.select(); code.input.focus(); }
      }
    } finally {
      busy(submit, false);
    }
  });
  view.append(h('div', { class: 'center' }, form));
  email.input.focus();
}

function signupPage(view) {
  const err = errorBox();
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = field('Password', {
    type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '10', maxlength: '128',
  }, '10 to 128 characters. A few random words make a good password.');
  const confirm = field('Repeat the password', { type: 'password', name: 'password2', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create account');
  const form = h('form', { class: 'card narrow', id: 'signup-form' },
    h('h1', {}, 'Create your account'),
    email.wrap, password.wrap, confirm.wrap, err,
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'muted' }, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    if (password.input.value !== confirm.input.value) {
      showError(err, 'The two passwords differ.');
      confirm.input.focus();
      return;
    }
    busy(submit, true);
    try {
      const creds = { email: email.input.value.trim(), password: password.input.value };
      await api('POST', '/console/v1/signup', creds);
      await api('POST', '/console/v1/login', creds);
      await loadMe();
      flash = { kind: 'ok', text: 'Welcome to keygate. Turn on two-factor authentication to create API keys.' };
      go('#/security');
    } catch (e) {
      showError(err, e);
    } finally {
      busy(submit, false);
    }
  });
  view.append(h('div', { class: 'center' }, form));
  email.input.focus();
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/console/v1/logout', {}); } catch { /* the cookies go anyway */ }
  me = null;
  flash = { kind: 'ok', text: 'You are logged out.' };
  go('#/login');
});

// ---------------------------------------------------------------------------------------------
// Security: two-factor authentication.

async function securityPage(view) {
  me = await api('GET', '/console/v1/me');
  updateNav('security');
  view.append(h('h1', {}, 'Security'));
  const card = h('section', { class: 'card', 'aria-labelledby': 'tfa-h' });
  view.append(card);
  const on = me.twoFactorEnabled;
  card.append(
    h('h2', { id: 'tfa-h' }, 'Two-factor authentication'),
    h('p', {}, 'Status: ', h('span', { class: `badge ${on ? 'ok' : 'warn'}`, id: 'tfa-status' }, on ? 'On' : 'Off')));
  if (on) disable2faForm(card);
  else setup2fa(card);
}

function setup2fa(card) {
  const err = errorBox();
  const start = h('button', { type: 'button', class: 'primary', id: 'tfa-setup' }, 'Set up two-factor authentication');
  const area = h('div');
  card.append(
    h('p', {}, 'Two-factor authentication asks for a code from an authenticator app (Google Authenticator, ',
      'Aegis, 1Password, …) when you log in and before any change that adds power to an API key. ',
      h('strong', {}, 'API keys can only be created once it is on.')),
    area, err, h('div', { class: 'actions' }, start));
  start.addEventListener('click', async () => {
    clearError(err);
    busy(start, true);
    try {
      const s = await api('POST', '/console/v1/2fa/setup', {});
      start.remove();
      showSetup(area, s, err);
    } catch (e) {
      showError(err, e);
      busy(start, false);
    }
  });
}

function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function showSetup(area, s, err) {
  const img = h('img', {
    src: `data:image/svg+xml;base64,${base64Utf8(s.qrSvg)}`, alt: 'QR code to scan with an authenticator app',
    class: 'qr', id: 'tfa-qr', width: '200', height: '200',
  });
  const code = codeField('Code from the app');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Turn on two-factor authentication');
  const form = h('form', { id: 'tfa-enable-form' }, code.wrap, h('div', { class: 'actions' }, submit));
  area.append(
    h('ol', { class: 'steps-text' },
      h('li', {}, 'Scan this QR code with your authenticator app.'),
      h('li', {}, 'Or type in the key by hand: ', h('code', { class: 'secret', id: 'tfa-secret' }, s.secret)),
      h('li', {}, 'Enter the 6-digit code the app shows.')),
    h('div', { class: 'qr-wrap' }, img),
    notice('warn', 'Keep a copy of this key somewhere safe: it is the only way to get your codes back on a new phone.'),
    form);
  code.input.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    busy(submit, true);
    try {
      await api('POST', '/console/v1/2fa/enable', { code: code.input.value.trim() });
      flash = { kind: 'ok', text: 'Two-factor authentication is on. You can now create API keys.' };
      render();
    } catch (e) {
      showError(err, e);
      code.input.select();
      busy(submit, false);
    }
  });
}

function disable2faForm(card) {
  const err = errorBox();
  const code = codeField();
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Turn off two-factor authentication');
  const form = h('form', { id: 'tfa-disable-form' },
    h('p', {}, 'Logging in and changes to API keys ask for a code from your authenticator app.'),
    notice('warn', 'Turning it off deactivates all of your API keys at once. Turning it back on does not reactivate them.'),
    code.wrap, err, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    busy(submit, true);
    try {
      await api('POST', '/console/v1/2fa/disable', { code: code.input.value.trim() });
      flash = { kind: 'ok', text: 'Two-factor authentication is off; your API keys are deactivated.' };
      render();
    } catch (e) {
      showError(err, e);
      busy(submit, false);
    }
  });
  card.append(form);
}

// ---------------------------------------------------------------------------------------------
// API keys: the list and its actions.

const PERMISSIONS = [
  { name: 'READ', title: 'Read', risk: 'low', desc: 'Balances, orders, trades and account details. Cannot change anything.' },
  { name: 'DEPOSIT', title: 'Deposit', risk: 'low', desc: 'Deposit addresses and the deposit history.' },
  { name: 'TRADE', title: 'Spot trading', risk: 'medium', desc: 'Place and cancel orders. Without an IP allowlist, trading may lapse after a period the server sets; the key list shows until when.' },
  { name: 'CONVERT', title: 'Convert', risk: 'medium', desc: 'Exchange one asset for another at a quoted price.' },
  { name: 'TRANSFER', title: 'Internal transfers', risk: 'high', desc: 'Move funds between your accounts and to other users.' },
  { name: 'WITHDRAW', title: 'Withdrawals', risk: 'highest', desc: 'Send funds out of your account to external addresses. Needs an IP allowlist. Limit it further to chosen address-book entries and daily caps once it exists.' },
];
const RISK_LABEL = { low: 'Low risk', medium: 'Medium risk', high: 'High risk', highest: 'Highest risk' };

function riskBadge(risk) {
  return h('span', { class: `risk risk-${risk}` }, RISK_LABEL[risk]);
}

function statusBadge(status) {
  const kind = status === 'ACTIVE' ? 'ok' : status === 'EXPIRED' ? 'warn' : 'off';
  return h('span', { class: `badge ${kind}` }, status.charAt(0) + status.slice(1).toLowerCase());
}

async function keysPage(view) {
  const [user, data] = await Promise.all([api('GET', '/console/v1/me'), api('GET', '/console/v1/keys')]);
  me = user;
  updateNav('keys');
  const keys = data.keys;
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'API keys'));
  view.append(head);
  view.append(h('p', { class: 'lead' },
    'API keys let trading bots and other programs use your account without your password. ',
    'Give each program its own key with only the permissions it needs, and limit it to the IP addresses it runs on.'));

  if (!me.apiAccess) {
    view.append(notice('warn', 'API access is disabled for this account; please contact support.'));
  } else if (!me.twoFactorEnabled) {
    view.append(h('div', { class: 'notice warn', id: 'needs-2fa' },
      h('strong', {}, 'API keys need two-factor authentication. '),
      'Creating a key, activating one and other changes that add power ask for a code from your authenticator app. ',
      h('a', { href: '#/security' }, 'Turn on two-factor authentication'), ' first.'));
  } else {
    const full = keys.length >= data.maxKeys;
    head.append(h('a', {
      class: `button primary${full ? ' disabled' : ''}`, href: full ? null : '#/keys/new', id: 'create-key',
      'aria-disabled': full ? 'true' : null,
    }, 'Create API key'));
    if (full) view.append(notice('warn', `You have ${keys.length} of ${data.maxKeys} keys; delete one to create another.`));
  }

  const actionErr = errorBox();
  view.append(actionErr);

  if (keys.length === 0) {
    view.append(h('div', { class: 'card empty', id: 'no-keys' }, h('p', {}, 'You have no API keys yet.')));
    return;
  }

  const table = h('table', { class: 'keys', id: 'keys-table' },
    h('caption', { class: 'sr-only' }, 'Your API keys'),
    h('thead', {}, h('tr', {}, ['Label', 'Type', 'Permissions', 'Read-only', 'IP access', 'Status', 'Created',
      'Expires', 'Last used', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, keys.map((k) => keyRow(k, actionErr))));
  view.append(h('div', { class: 'table-wrap' }, table));
  fillRulesSummaries(table, keys);
  view.append(h('p', { class: 'muted small' }, `${keys.length} of ${data.maxKeys} keys.`));

  if (me.twoFactorEnabled) {
    const delAll = h('button', { type: 'button', class: 'danger', id: 'delete-all' }, 'Delete all API keys');
    delAll.addEventListener('click', () => deleteAllDialog(keys.length));
    view.append(h('section', { class: 'card danger-zone', 'aria-labelledby': 'dz-h' },
      h('h2', { id: 'dz-h' }, 'Delete all keys'),
      h('p', {}, 'Every program using one of your keys stops working at once. Use this if you think a key has leaked.'),
      h('div', { class: 'actions' }, delAll)));
  }
}

function cell(label, ...content) {
  return h('td', { 'data-label': label }, h('div', { class: 'cell' }, ...content));
}

function keyRow(k, actionErr) {
  const perms = k.permissions.map((p) => h('span', { class: `perm perm-${(PERMISSIONS.find((x) => x.name === p) || {}).risk || 'low'}` }, p));
  const ips = k.allowAllIps
    ? h('span', { class: 'badge warn' }, 'All IPs')
    : h('ul', { class: 'ips' }, k.ipAllowlist.map((ip) => h('li', {}, h('code', {}, ip))));
  const lastUsed = k.lastUsedAt ? [timeEl(k.lastUsedAt), h('br'), h('code', { class: 'small' }, k.lastUsedIp || '')] : [h('span', { class: 'muted' }, 'Never')];
  const expires = k.expiresAt ? timeEl(k.expiresAt) : h('span', { class: 'muted' }, 'Never');

  const toggle = h('button', { type: 'button', class: 'small-btn', 'data-action': k.active ? 'deactivate' : 'activate' },
    k.active ? 'Deactivate' : 'Activate');
  toggle.addEventListener('click', () => (k.active ? deactivate(k, toggle, actionErr) : activateDialog(k)));
  const rotate = h('button', { type: 'button', class: 'small-btn', 'data-action': 'rotate' }, 'Rotate secret');
  rotate.addEventListener('click', () => rotateDialog(k));
  if (k.type !== 'HMAC_SHA256' || !me.twoFactorEnabled) rotate.hidden = true;
  const del = h('button', { type: 'button', class: 'small-btn danger-text', 'data-action': 'delete' }, 'Delete');
  del.addEventListener('click', () => deleteDialog(k));
  const log = h('a', { href: `#/keys/${encodeURIComponent(k.apiKey)}/log`, class: 'button small-btn', 'data-action': 'log' }, 'Access log');
  const withdraws = k.permissions.includes('WITHDRAW');
  const edit = h('button', { type: 'button', class: 'small-btn', 'data-action': 'restrictions' }, 'Edit restrictions');
  edit.addEventListener('click', () => restrictionsDialog(k));
  const rates = h('button', { type: 'button', class: 'small-btn', 'data-action': 'rate-limits' }, 'Rate limits');
  rates.addEventListener('click', () => rateLimitsDialog(k));
  const limits = withdraws
    ? h('a', { href: `#/keys/${encodeURIComponent(k.apiKey)}/withdraw`, class: 'button small-btn', 'data-action': 'withdraw-rules' }, 'Withdrawal limits')
    : null;

  return h('tr', { 'data-api-key': k.apiKey, 'data-status': k.status },
    cell('Label', h('strong', { class: 'label' }, k.label), h('br'), h('code', { class: 'small muted apikey', title: k.apiKey }, `${k.apiKey.slice(0, 12)}…`)),
    cell('Type', typeName(k.type)),
    cell('Permissions', h('div', { class: 'perms' }, perms),
      k.tradingAuthorityExpirationTime ? h('div', { class: 'small muted' }, 'Trading until ', fmtTime(k.tradingAuthorityExpirationTime)) : null,
      withdraws ? h('div', { class: 'small muted rules-summary' }) : null,
      h('div', { class: 'small limits-line' }, h('span', { class: 'muted' }, 'Rate limits: '), limitsSummary(k.limits))),
    cell('Read-only', k.readOnly ? 'Yes' : 'No'),
    cell('IP access', ips),
    cell('Status', statusBadge(k.status)),
    cell('Created', timeEl(k.createdAt)),
    cell('Expires', expires),
    cell('Last used', ...lastUsed),
    cell('Actions', h('div', { class: 'row-actions' }, toggle, edit, log, rates, limits, rotate, del)));
}

const typeName = (t) => ({ HMAC_SHA256: 'HMAC', ED25519: 'Ed25519', RSA: 'RSA' }[t] || t);

async function deactivate(k, button, errBox) {
  clearError(errBox);
  busy(button, true);
  try {
    await api('PATCH', `/console/v1/keys/${encodeURIComponent(k.apiKey)}`, { active: false });
    flash = { kind: 'ok', text: `"${k.label}" is deactivated: requests with it are refused from now on.` };
    render();
  } catch (e) {
    showError(errBox, e);
    busy(button, false);
  }
}

// A modal dialog with a form. build(form, err) adds the fields and returns {submitLabel, onSubmit};
// onSubmit returns true to close the dialog.
function modal(title, build, { danger = false, id } = {}) {
  const err = errorBox();
  const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const titleId = uid('dlg');
  const form = h('form', { method: 'dialog' });
  const dlg = h('dialog', { 'aria-labelledby': titleId, id }, form);
  form.append(h('h2', { id: titleId }, title));
  const { submitLabel, onSubmit, body } = build(form, err, dlg);
  append(form, [body]);
  submit.textContent = submitLabel;
  form.append(err, h('div', { class: 'actions' }, submit, cancel));
  cancel.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => { dlg.remove(); if (!dlg.dataset.keep) render(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    busy(submit, true);
    try {
      const done = await onSubmit({ form, err, submit, cancel, dlg });
      if (done) dlg.close();
    } catch (e) {
      showError(err, e);
    } finally {
      busy(submit, false);
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = form.querySelector('input, textarea, select');
  (first || submit).focus();
  return dlg;
}

function activateDialog(k) {
  modal(`Activate "${k.label}"`, () => {
    const code = codeField();
    return {
      body: [h('p', {}, 'Requests signed with this key are accepted again once it is active.'), code.wrap],
      submitLabel: 'Activate',
      onSubmit: async () => {
        await api('PATCH', `/console/v1/keys/${encodeURIComponent(k.apiKey)}`, { active: true, totp: code.input.value.trim() });
        flash = { kind: 'ok', text: `"${k.label}" is active.` };
        return true;
      },
    };
  }, { id: 'activate-dialog' });
}

function deleteDialog(k) {
  modal(`Delete "${k.label}"?`, () => ({
    body: [h('p', {}, 'Programs using this key stop working at once. This cannot be undone.'),
      h('p', {}, h('code', { class: 'small' }, k.apiKey))],
    submitLabel: 'Delete key',
    onSubmit: async () => {
      await api('DELETE', `/console/v1/keys/${encodeURIComponent(k.apiKey)}`);
      flash = { kind: 'ok', text: `"${k.label}" is deleted.` };
      return true;
    },
  }), { danger: true, id: 'delete-dialog' });
}

function deleteAllDialog(n) {
  modal('Delete all API keys?', () => {
    const code = codeField();
    return {
      body: [h('p', {}, `All ${n} of your keys are deleted, and every program using one of them stops working at once. This cannot be undone.`), code.wrap],
      submitLabel: 'Delete all keys',
      onSubmit: async () => {
        const r = await api('POST', '/console/v1/keys/delete-all', { totp: code.input.value.trim() });
        flash = { kind: 'ok', text: `${r.deleted} ${r.deleted === 1 ? 'key' : 'keys'} deleted.` };
        return true;
      },
    };
  }, { danger: true, id: 'delete-all-dialog' });
}

function rotateDialog(k) {
  modal(`Rotate the secret of "${k.label}"`, (form) => {
    const code = codeField();
    const grace = field('Keep the old secret working for (seconds)', {
      type: 'number', min: '0', max: '604800', step: '1', value: '0', name: 'graceSeconds', required: true,
    }, 'Time to update your program; 0 stops the old secret at once (at most 7 days = 604800).');
    return {
      body: [h('p', {}, 'A new secret is made for the same API key. The new secret is shown once.'), grace.wrap, code.wrap],
      submitLabel: 'Rotate',
      onSubmit: async ({ submit, cancel, dlg }) => {
        const r = await api('POST', `/console/v1/keys/${encodeURIComponent(k.apiKey)}/rotate`,
          { totp: code.input.value.trim(), graceSeconds: Number(grace.input.value || 0) });
        // Replace the form with the new secret; it is gone when the dialog closes.
        for (const el of [...form.children]) if (el.tagName !== 'H2') el.remove();
        form.append(secretOnce(r), h('p', { class: 'muted small' },
          r.previousSecretValidUntil > Date.now() + 1000 ? `The old secret works until ${fmtTime(r.previousSecretValidUntil)}.` : 'The old secret no longer works.'));
        const close = h('button', { type: 'button', class: 'primary' }, 'I have saved the secret');
        close.addEventListener('click', () => dlg.close());
        form.append(h('div', { class: 'actions' }, close));
        submit.remove();
        cancel.remove();
        flash = { kind: 'ok', text: `The secret of "${k.label}" is rotated.` };
        close.focus();
        return false;
      },
    };
  }, { id: 'rotate-dialog' });
}

// A key's own rate limits, below the account's (orders) and the IP's (weight): {ordersPer10s,
// weightPerMinute}, null where it has none. Lowering one, or setting one where there was none, needs
// no code; raising or removing one does (the server answers -7200 without it, as for withdrawal limits).

function limitsText(l) {
  const parts = [];
  if (l?.ordersPer10s) parts.push(`Orders: ${l.ordersPer10s} per 10 s`);
  if (l?.weightPerMinute) parts.push(`Weight: ${l.weightPerMinute} per minute`);
  return parts.length ? parts.join(' · ') : 'Account limits only';
}

function limitsSummary(l) {
  const own = !!(l?.ordersPer10s || l?.weightPerMinute);
  const el = h('span', { class: `key-limits${own ? '' : ' muted'}` });
  if (!own) el.textContent = limitsText(l);
  else {
    const parts = limitsText(l).split(' · ');
    parts.forEach((p, i) => append(el, i ? ' · ' : null, h('span', { class: 'nowrap' }, p)));
  }
  return el;
}

function rateLimitsDialog(k) {
  const now = k.limits || {};
  modal(`Rate limits of "${k.label}"`, (form) => {
    form.noValidate = true;
    const number = (label, name, value, hint) => field(label, {
      type: 'number', inputmode: 'numeric', min: '1', step: '1', name, id: `limit-${name}`, autocomplete: 'off',
      placeholder: 'No limit of its own', value: value ? String(value) : null,
    }, hint);
    const orders = number('New orders per 10 seconds', 'ordersPer10s', now.ordersPer10s, 'Empty: none of its own.');
    const weight = number('Request weight per minute', 'weightPerMinute', now.weightPerMinute,
      'Empty: none of its own. An order weighs 1, /api/v3/account 20.');
    const code = codeField('Two-factor code (only when raising)', {
      required: false,
      hint: 'Not needed to lower a limit or set a new one; raising or removing one asks for it.',
    });
    code.wrap.classList.add('optional-code');
    if (!me?.twoFactorEnabled) code.wrap.hidden = true;
    const inputs = [[orders.input, 'ordersPer10s', 'new orders per 10 seconds'], [weight.input, 'weightPerMinute', 'request weight per minute']];
    return {
      body: [
        h('p', {}, 'Limits for this key alone, below the account\'s limits (on Binance: 50 new orders per 10 seconds, ',
          '6000 request weight per minute), so a runaway program cannot use up what your other keys need. ',
          'Over them its requests get HTTP 429.'),
        h('p', { class: 'notice info', id: 'limits-now' }, h('strong', {}, 'Now: '), limitsText(now)),
        h('div', { class: 'limits-fields' }, orders.wrap, weight.wrap),
        code.wrap,
      ],
      submitLabel: 'Save rate limits',
      onSubmit: async ({ err }) => {
        const body = {};
        for (const [input, name, what] of inputs) {
          const v = input.value.trim();
          if (input.validity.badInput || (v && (!/^[0-9]{1,9}$/.test(v) || Number(v) < 1))) {
            showError(err, `The ${what} must be a whole number from 1 to 999999999, or empty for no limit of its own.`);
            input.focus();
            return false;
          }
          body[name] = v ? Number(v) : null;
        }
        const totp = code.input.value.trim();
        if (totp) {
          if (!/^[0-9]{6}$/.test(totp)) { showError(err, 'The two-factor code has 6 digits.'); code.input.focus(); return false; }
          body.totp = totp;
        }
        let saved;
        try {
          saved = await api('PUT', `/console/v1/keys/${encodeURIComponent(k.apiKey)}/limits`, body);
        } catch (e) {
          if (e.code === -7200 && !me?.twoFactorEnabled) {
            showError(err, { code: e.code, msg: 'Raising or removing a limit needs a two-factor code, and two-factor authentication is off. Turn it on under Security first.' });
            return false;
          }
          if (widenNeedsCode(e, code, err)) return false;
          throw e;
        }
        flash = { kind: 'ok', text: `The rate limits of "${k.label}" are saved: ${limitsText(saved)}.` };
        return true;
      },
    };
  }, { id: 'rate-limits-dialog' });
}

// A change to a key that may widen it, refused: -7200 (no code) marks the optional code field as
// needed and says why (true: handled); -7201 (a wrong code) selects the field for retyping.
function widenNeedsCode(e, code, err, msg = 'This change lets the key do more than before: enter a two-factor code and save again.') {
  if (e.code === -7200) {
    code.input.required = true;
    code.wrap.classList.add('needed');
    showError(err, { code: e.code, msg });
    code.input.focus();
    return true;
  }
  if (e.code === -7201) { code.input.select(); code.input.focus(); }
  return false;
}

// "Never" or "On a date" for a key's expiry, in the wizard and in Edit restrictions: a date means
// the end of that day, local time. `at`: the key's expiry now (null: never). end() is the chosen
// date's epoch ms, or null when "Never" is chosen or no date is given.
function expiryPicker({ name, at = null, ids }) {
  const set = h('fieldset', {}, h('legend', {}, 'When should the key expire?'));
  const never = choice('radio', name, 'none', 'Never', { checked: !at, id: ids.never });
  const onDate = choice('radio', name, 'date', 'On a date', { checked: !!at, id: ids.dateMode });
  const date = field('Expiry date (the key stops working at the end of this day, your time)',
    { type: 'date', name: 'expiresAt', id: ids.date });
  if (at) {
    const d = new Date(at);
    date.input.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  const sync = () => { date.wrap.hidden = !onDate.input.checked; };
  never.input.addEventListener('change', sync);
  onDate.input.addEventListener('change', sync);
  sync();
  append(set, [never.wrap, onDate.wrap]);
  const end = () => {
    if (!onDate.input.checked || !date.input.value) return null;
    const [y, m, d] = date.input.value.split('-').map(Number);
    return new Date(y, m - 1, d, 23, 59, 59, 999).getTime();
  };
  return { set, dateWrap: date.wrap, input: date.input, never: never.input, onDate: onDate.input, end };
}

// Permissions, read-only, IP access and expiry of an existing key. Narrowing (an earlier expiry
// too) needs no code; when the server answers that the change widens the key (-7200), the code
// field becomes required.
function restrictionsDialog(k) {
  modal(`Restrictions of "${k.label}"`, (form) => {
    form.noValidate = true;
    const boxes = {};
    const permSet = h('fieldset', { class: 'perm-list' }, h('legend', {}, 'What may this key do?'));
    for (const p of PERMISSIONS) {
      const c = choice('checkbox', 'permissions', p.name, [p.title, ' ', riskBadge(p.risk)],
        { checked: k.permissions.includes(p.name), class: `perm-choice risk-${p.risk}-row`, id: `edit-perm-${p.name}` });
      boxes[p.name] = c.input;
      permSet.append(c.wrap);
    }
    const ro = choice('checkbox', 'readOnly', 'yes', 'Read-only', { checked: k.readOnly, id: 'edit-read-only' },
      'Only READ works, whatever else is selected.');
    const ipSet = h('fieldset', {}, h('legend', {}, 'Which IP addresses may use the key?'));
    const ipList = choice('radio', 'editIpMode', 'list', 'Only these IP addresses', { checked: !k.allowAllIps, id: 'edit-ip-mode-list' });
    const ipAll = choice('radio', 'editIpMode', 'all', 'Allow all IPs', { checked: k.allowAllIps, id: 'edit-ip-mode-all' });
    const ips = field('IP addresses', { tag: 'textarea', name: 'ipAllowlist', rows: '3', spellcheck: 'false', id: 'edit-ip-allowlist' },
      'IPv4 or IPv6 addresses or CIDR ranges, one per line (at most 30).');
    ips.input.value = (k.ipAllowlist || []).join('\n');
    const syncIp = () => { ips.wrap.hidden = ipAll.input.checked; };
    ipList.input.addEventListener('change', syncIp);
    ipAll.input.addEventListener('change', syncIp);
    syncIp();
    append(ipSet, [ipList.wrap, ipAll.wrap]);
    // The expiry, sent only when changed here.
    const expiry = expiryPicker({ name: 'editExpiry', at: k.expiresAt,
      ids: { never: 'edit-expiry-never', dateMode: 'edit-expiry-date-mode', date: 'edit-expiry-date' } });
    const startDate = expiry.input.value;
    const code = codeField('Two-factor code (only when widening)', {
      required: false,
      hint: 'Not needed to take a permission away, narrow the IP list or expire the key sooner; the opposite asks for it.',
    });
    code.wrap.classList.add('optional-code');
    return {
      body: [permSet, ro.wrap, ipSet, ips.wrap, expiry.set, expiry.dateWrap, code.wrap],
      submitLabel: 'Save restrictions',
      onSubmit: async ({ err }) => {
        const body = { permissions: PERMISSIONS.map((p) => p.name).filter((n) => boxes[n].checked), readOnly: ro.input.checked };
        if (body.permissions.length === 0) { showError(err, 'Choose at least one permission.'); return false; }
        if (ipAll.input.checked) {
          body.allowAllIps = true;
        } else {
          body.ipAllowlist = ips.input.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
          if (body.ipAllowlist.length === 0) {
            showError(err, 'Enter at least one IP address, or choose "Allow all IPs".');
            ips.input.focus();
            return false;
          }
        }
        if (expiry.never.checked && k.expiresAt) {
          body.expiresAt = 0;  // never
        } else if (expiry.onDate.checked && (!k.expiresAt || expiry.input.value !== startDate)) {
          body.expiresAt = expiry.end();
          if (!body.expiresAt) { showError(err, 'Choose a date, or "Never".'); expiry.input.focus(); return false; }
          if (body.expiresAt <= Date.now()) { showError(err, 'Choose a date in the future.'); expiry.input.focus(); return false; }
        }
        const totp = code.input.value.trim();
        if (totp) {
          if (!/^[0-9]{6}$/.test(totp)) { showError(err, 'The two-factor code has 6 digits.'); code.input.focus(); return false; }
          body.totp = totp;
        }
        try {
          await api('PATCH', `/console/v1/keys/${encodeURIComponent(k.apiKey)}`, body);
        } catch (e) {
          if (widenNeedsCode(e, code, err)) return false;
          throw e;
        }
        flash = { kind: 'ok', text: `The restrictions of "${k.label}" are saved; they apply from its next request.` };
        return true;
      },
    };
  }, { id: 'restrictions-dialog' });
}

// The secret, once: with a copy button and a clear warning. Nothing keeps it but this DOM.
function secretOnce(k) {
  const secretCode = h('code', { class: 'secret', id: 'secret-key' }, k.secretKey);
  const copyState = h('span', { class: 'copy-state', role: 'status' });
  const copy = h('button', { type: 'button', id: 'copy-secret' }, 'Copy secret');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secretCode.textContent);
      copyState.textContent = 'Copied.';
    } catch {
      const r = document.createRange();
      r.selectNodeContents(secretCode);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      copyState.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
  const copyKey = h('button', { type: 'button', class: 'small-btn' }, 'Copy');
  const apiKeyCode = h('code', { class: 'secret', id: 'api-key' }, k.apiKey);
  copyKey.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(k.apiKey); copyState.textContent = 'API key copied.'; } catch { /* select by hand */ }
  });
  return h('div', { class: 'secret-once', id: 'secret-once' },
    h('div', { class: 'notice danger', role: 'alert' },
      h('strong', {}, 'Copy the secret key now: you will not see it again. '),
      'keygate keeps only an encrypted copy it cannot show. If you lose it, rotate the secret or create a new key. ',
      'Never share it: anyone with it can use the key.'),
    h('dl', { class: 'kv' },
      h('dt', {}, 'API key'), h('dd', {}, apiKeyCode, ' ', copyKey),
      h('dt', {}, 'Secret key'), h('dd', {}, secretCode)),
    h('div', { class: 'actions' }, copy, copyState));
}

// ---------------------------------------------------------------------------------------------
// The creation wizard: name → permissions → read-only? → IP addresses → active now? → expiry → 2FA.

async function wizardPage(view) {
  me = await api('GET', '/console/v1/me');
  updateNav('keys');
  view.append(h('p', { class: 'crumbs' }, h('a', { href: '#/keys' }, 'API keys'), ' / Create'));
  view.append(h('h1', {}, 'Create an API key'));
  if (!me.twoFactorEnabled) {
    view.append(h('div', { class: 'notice warn', id: 'needs-2fa' },
      h('strong', {}, 'API keys need two-factor authentication. '),
      h('a', { href: '#/security' }, 'Turn it on'), ' first.'));
    return;
  }

  const STEPS = ['Name', 'Permissions', 'Read-only', 'IP addresses', 'Active', 'Expiry', 'Confirm'];
  let step = 0;
  const progress = h('ol', { class: 'progress', 'aria-label': 'Steps' },
    STEPS.map((s, i) => h('li', { 'data-step': String(i) }, h('span', { class: 'num' }, String(i + 1)), h('span', { class: 'name' }, s))));
  const err = errorBox();
  const back = h('button', { type: 'button', id: 'wizard-back' }, 'Back');
  const next = h('button', { type: 'submit', class: 'primary', id: 'wizard-next' }, 'Next');
  const panels = [];
  const form = h('form', { class: 'card wizard', id: 'key-wizard', novalidate: true });

  // 1. Name and type.
  const label = field('Name of the key', { type: 'text', name: 'label', maxlength: '50', required: true, autocomplete: 'off' },
    'Say what uses it, e.g. "grid bot on vps-1". 1 to 50 characters.');
  const typeBox = h('fieldset', {}, h('legend', {}, 'Key type'));
  const tHmac = choice('radio', 'type', 'HMAC_SHA256', 'HMAC (system generated)', { checked: true }, 'keygate makes the secret and shows it once. Works with every client.');
  const tEd = choice('radio', 'type', 'ED25519', 'Ed25519 (your own key pair)', {}, 'You keep the private key; upload the public key.');
  const tRsa = choice('radio', 'type', 'RSA', 'RSA (your own key pair)', {}, '2048 or 4096 bits; upload the public key.');
  const pem = field('Public key (PEM)', { tag: 'textarea', name: 'publicKey', rows: '5', spellcheck: 'false' },
    'Starts with -----BEGIN PUBLIC KEY-----.');
  pem.wrap.hidden = true;
  append(typeBox, [tHmac.wrap, tEd.wrap, tRsa.wrap]);
  for (const c of [tHmac, tEd, tRsa]) c.input.addEventListener('change', () => { pem.wrap.hidden = tHmac.input.checked; });
  panels.push(h('div', {}, h('h2', {}, 'Name the key'), label.wrap, typeBox, pem.wrap));

  // 2. Permissions, with their risk.
  const permBoxes = {};
  const permSet = h('fieldset', { class: 'perm-list' }, h('legend', {}, 'What may this key do?'));
  for (const p of PERMISSIONS) {
    const c = choice('checkbox', 'permissions', p.name, [p.title, ' ', riskBadge(p.risk)], { checked: p.name === 'READ', class: `perm-choice risk-${p.risk}-row`, id: `perm-${p.name}` }, p.desc);
    permBoxes[p.name] = c.input;
    permSet.append(c.wrap);
  }
  panels.push(h('div', {}, h('h2', {}, 'Permissions'),
    h('p', {}, 'Select only what the program needs. Withdrawals carry the highest risk: a leaked key with it can empty your account.'),
    permSet));

  // 3. Read-only?
  const roSet = h('fieldset', {}, h('legend', {}, 'Should the key work in read-only mode?'));
  const roYes = choice('radio', 'readOnly', 'yes', 'Yes, read-only', {}, 'The key can only view information; trading, transfers and withdrawals are refused even if selected.');
  const roNo = choice('radio', 'readOnly', 'no', 'No', { checked: true }, 'The key can do everything the permissions you chose allow.');
  append(roSet, [roYes.wrap, roNo.wrap]);
  panels.push(h('div', {}, h('h2', {}, 'Read-only'), roSet));

  // 4. IP addresses.
  const ipSet = h('fieldset', {}, h('legend', {}, 'Which IP addresses may use the key?'));
  const ipList = choice('radio', 'ipMode', 'list', 'Only these IP addresses (recommended)', { checked: true, id: 'ip-mode-list' });
  const ipAll = choice('radio', 'ipMode', 'all', 'Allow all IPs', { id: 'ip-mode-all' }, 'Anyone who gets the key and secret can use it from anywhere.');
  const ips = field('IP addresses', { tag: 'textarea', name: 'ipAllowlist', rows: '4', spellcheck: 'false', id: 'ip-allowlist', placeholder: '203.0.113.7\n2001:db8::/48' },
    'IPv4 or IPv6 addresses or CIDR ranges, one per line (at most 30).');
  const allWarn = notice('warn', h('strong', {}, 'Not recommended. '),
    'A key open to all IPs can be used by anyone who learns it. Trading on such a key may lapse after a period the server sets ',
    '(the key list then shows "Trading until"), and it cannot have the withdrawal permission.');
  allWarn.hidden = true;
  const syncIp = () => { ips.wrap.hidden = ipAll.input.checked; allWarn.hidden = !ipAll.input.checked; };
  ipList.input.addEventListener('change', syncIp);
  ipAll.input.addEventListener('change', syncIp);
  append(ipSet, [ipList.wrap, ipAll.wrap]);
  panels.push(h('div', {}, h('h2', {}, 'IP addresses'), ipSet, ips.wrap, allWarn));

  // 5. Active now?
  const actSet = h('fieldset', {}, h('legend', {}, 'Should the key be active right after it is created?'));
  const actYes = choice('radio', 'active', 'yes', 'Yes, active now', { checked: true }, 'The key works as soon as it is created.');
  const actNo = choice('radio', 'active', 'no', 'No, create it inactive', {}, 'Activate it later from the list (that asks for a 2FA code).');
  append(actSet, [actYes.wrap, actNo.wrap]);
  panels.push(h('div', {}, h('h2', {}, 'Active'), actSet));

  // 6. Expiry.
  const expiry = expiryPicker({ name: 'expiry', ids: { dateMode: 'expiry-date-mode', date: 'expiry-date' } });
  panels.push(h('div', {}, h('h2', {}, 'Expiry'), expiry.set, expiry.dateWrap));

  // 7. Review and 2FA code.
  const summary = h('dl', { class: 'kv summary', id: 'wizard-summary' });
  const code = codeField();
  panels.push(h('div', {}, h('h2', {}, 'Confirm with two-factor authentication'), summary, code.wrap));

  panels.forEach((p, i) => { p.className = 'panel'; p.dataset.step = String(i); });
  append(form, [progress, ...panels, err, h('div', { class: 'actions wizard-nav' }, back, next)]);
  view.append(form);

  function collect() {
    const permissions = PERMISSIONS.map((p) => p.name).filter((n) => permBoxes[n].checked);
    const type = [tHmac, tEd, tRsa].find((c) => c.input.checked).input.value;
    const body = { label: label.input.value.trim(), type, permissions, readOnly: roYes.input.checked, active: actYes.input.checked };
    if (type !== 'HMAC_SHA256') body.publicKey = pem.input.value.trim();
    if (ipAll.input.checked) body.allowAllIps = true;
    else body.ipAllowlist = ips.input.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    const expiresAt = expiry.end();
    if (expiresAt) body.expiresAt = expiresAt;
    return body;
  }

  // Checks in the browser, before a 2FA code is spent; the server checks everything again.
  function check(i) {
    const b = collect();
    if (i === 0) {
      if (!b.label || b.label.length > 50) return [label.input, 'Give the key a name of 1 to 50 characters.'];
      if (b.type !== 'HMAC_SHA256' && !/-----BEGIN PUBLIC KEY-----/.test(b.publicKey || '')) return [pem.input, 'Paste the PEM public key.'];
    }
    if (i === 1 && b.permissions.length === 0) return [permBoxes.READ, 'Choose at least one permission.'];
    if (i === 3 && !b.allowAllIps) {
      if (b.ipAllowlist.length === 0) return [ips.input, 'Enter at least one IP address, or choose "Allow all IPs".'];
      if (b.ipAllowlist.length > 30) return [ips.input, 'At most 30 entries.'];
    }
    if (i === 3 && b.allowAllIps && b.permissions.includes('WITHDRAW') && !b.readOnly) {
      return [ipAll.input, 'A key with the withdrawal permission needs an IP allowlist.'];
    }
    if (i === 5 && expiry.onDate.checked) {
      if (!b.expiresAt) return [expiry.input, 'Choose a date, or "Never".'];
      if (b.expiresAt <= Date.now()) return [expiry.input, 'Choose a date in the future.'];
    }
    if (i === 6 && !/^[0-9]{6}$/.test(code.input.value.trim())) return [code.input, 'Enter the 6-digit code from your authenticator app.'];
    return null;
  }

  function fillSummary() {
    const b = collect();
    summary.replaceChildren();
    const row = (k, ...v) => append(summary, [h('dt', {}, k), h('dd', {}, ...v)]);
    row('Name', b.label);
    row('Type', typeName(b.type));
    row('Permissions', b.permissions.join(', '), b.permissions.includes('WITHDRAW') && !b.readOnly ? [' ', riskBadge('highest')] : null);
    row('Read-only', b.readOnly ? 'Yes' : 'No');
    row('IP addresses', b.allowAllIps ? h('span', { class: 'badge warn' }, 'All IPs') : b.ipAllowlist.join(', '));
    row('Active now', b.active ? 'Yes' : 'No');
    row('Expires', b.expiresAt ? fmtTime(b.expiresAt) : 'Never');
  }

  function show(i, { focus = true } = {}) {
    step = i;
    panels.forEach((p, j) => { p.hidden = j !== i; });
    for (const li of progress.children) {
      const j = Number(li.dataset.step);
      li.className = j < i ? 'done' : j === i ? 'current' : '';
      if (j === i) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    }
    back.hidden = i === 0;
    next.textContent = i === STEPS.length - 1 ? 'Create key' : 'Next';
    if (i === STEPS.length - 1) fillSummary();
    form.dataset.step = String(i);
    if (focus) {
      const first = panels[i].querySelector('input:checked, input:not([type=radio]):not([type=checkbox]), textarea, input');
      (first || panels[i].querySelector('h2')).focus();
    }
  }

  // Server errors that belong to an earlier step send the person back to it.
  const STEP_OF = { '-7303': 0, '-7310': 0, '-7311': 0, '-7312': 0, '-7304': 1, '-7305': 1, '-7306': 3, '-7307': 3, '-7308': 3, '-7309': 3, '-7313': 5 };

  back.addEventListener('click', () => { clearError(err); show(step - 1); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    const problem = check(step);
    if (problem) {
      showError(err, problem[1]);
      problem[0].focus();
      return;
    }
    if (step < STEPS.length - 1) { show(step + 1); return; }
    busy(next, true);
    try {
      const created = await api('POST', '/console/v1/keys', { ...collect(), totp: code.input.value.trim() });
      showCreated(view, created);
    } catch (e) {
      const s = STEP_OF[String(e.code)];
      if (s !== undefined) show(s);
      showError(err, e);
      if (s === undefined) code.input.select();
      busy(next, false);
    }
  });
  show(0);
}

function showCreated(view, k) {
  view.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/keys' }, 'API keys'), ' / Created'),
    h('h1', {}, 'Your new API key'),
    h('p', {}, `"${k.label}" is created${k.active ? ' and active' : ' (inactive)'}.`));
  const box = h('section', { class: 'card' });
  if (k.secretKey) box.append(secretOnce(k));
  else box.append(h('dl', { class: 'kv' }, h('dt', {}, 'API key'), h('dd', {}, h('code', { class: 'secret', id: 'api-key' }, k.apiKey))),
    h('p', {}, 'Sign requests with your private key; keygate has only the public key.'));
  const done = h('a', { class: 'button primary', href: '#/keys', id: 'secret-done' }, 'I have saved it: back to API keys');
  if (k.permissions.includes('WITHDRAW') && !k.readOnly) {
    box.append(notice('info', 'This key can withdraw. Limit it to chosen addresses of your address book and to daily amounts under ',
      h('a', { href: `#/keys/${encodeURIComponent(k.apiKey)}/withdraw`, id: 'created-limits' }, 'Withdrawal limits'), '.'));
  }
  box.append(h('div', { class: 'actions' }, done));
  view.append(box);
  document.title = 'Your new API key · keygate';
  done.focus();
}

// ---------------------------------------------------------------------------------------------
// Amounts: the API sends decimal strings with 8 decimals; they are never turned into floats.

const AMOUNT_RE = /^[0-9]{1,12}(\.[0-9]{1,8})?$/;

function toUnits(text) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]{0,8}))?$/.exec(String(text).trim());
  if (!m) return null;
  const units = BigInt(m[2]) * 100000000n + BigInt((m[3] || '').padEnd(8, '0'));
  return m[1] ? -units : units;
}

function fromUnits(units) {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const frac = String(abs % 100000000n).padStart(8, '0');
  return `${neg ? '-' : ''}${abs / 100000000n}.${frac}`;
}

// "1.50000000" -> "1.5", "2.00000000" -> "2": the full text stays in the title.
function fmtAmount(text) {
  const s = String(text ?? '');
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function amountEl(text, asset) {
  return h('span', { class: 'amount', title: asset ? `${text} ${asset}` : String(text) }, fmtAmount(text));
}

function fmtDuration(seconds) {
  const s = Number(seconds);
  if (!(s > 0)) return 'no time';
  const parts = [];
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const unit = (n, w) => (n ? parts.push(`${n} ${w}${n === 1 ? '' : 's'}`) : null);
  // 86400 reads better as "24 hours" than "1 day": exchanges say "24 hours".
  if (d === 1 && hr === 0) unit(24, 'hour');
  else { unit(d, 'day'); unit(hr, 'hour'); }
  unit(min, 'minute');
  unit(sec, 'second');
  return parts.slice(0, 2).join(' ');
}

// A button that copies the text of a code element (or selects it, when the clipboard is not allowed).
function copyButton(codeEl, what, state, id) {
  const b = h('button', { type: 'button', class: 'small-btn', id }, `Copy ${what}`);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(codeEl.textContent);
      state.textContent = `${what.charAt(0).toUpperCase()}${what.slice(1)} copied.`;
    } catch {
      const r = document.createRange();
      r.selectNodeContents(codeEl);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      state.textContent = `${what.charAt(0).toUpperCase()}${what.slice(1)} selected: press Ctrl+C (⌘C) to copy.`;
    }
  });
  return b;
}

// Calls fn again after ms while el is on the page and want() says so (e.g. a deposit is pending).
// Returns the timer (or 0), so that a manual refresh can cancel the pending one.
function refreshWhile(el, want, fn, ms = 2500) {
  if (!want()) return 0;
  return setTimeout(async () => {
    if (!el.isConnected) return;
    try { await fn(); } catch { /* the Refresh button shows errors */ }
  }, ms);
}

// ---------------------------------------------------------------------------------------------
// Wallet: balances, deposit addresses and history, withdrawals, transfers, the withdrawal address book.

const WALLET_TABS = [
  ['balances', '#/wallet', 'Balances'],
  ['deposit', '#/wallet/deposit', 'Deposit'],
  ['withdrawals', '#/wallet/withdrawals', 'Withdrawals'],
  ['transfers', '#/wallet/transfers', 'Transfers'],
  ['addresses', '#/wallet/addresses', 'Address book'],
];

function walletHead(view, tab, title, ...extra) {
  view.append(h('nav', { class: 'tabs', 'aria-label': 'Wallet' },
    WALLET_TABS.map(([id, href, text]) => h('a', { href, 'data-tab': id, 'aria-current': id === tab ? 'page' : null }, text))));
  view.append(h('div', { class: 'page-head' }, h('h1', {}, title), ...extra));
}

const assetName = (a) => (a.name && a.name !== a.asset ? `${a.asset} · ${a.name}` : a.asset);
const networkName = (n) => (n.name && n.name !== n.network ? `${n.network} · ${n.name}` : n.network);

// The asset and network <select>s shared by the deposit page and the address book's form.
// onChange(asset, network) runs after every change; returns {wrap, asset(), network(), set(a, n)}.
function assetNetworkPicker(assets, { idPrefix, forDeposit = false, onChange = () => {} }) {
  const coin = field('Coin', { tag: 'select', name: 'asset', id: `${idPrefix}-asset`, required: true });
  const net = field('Network', { tag: 'select', name: 'network', id: `${idPrefix}-network`, required: true });
  append(coin.input, h('option', { value: '' }, 'Choose a coin'),
    assets.map((a) => h('option', { value: a.asset }, assetName(a))));
  const find = (a) => assets.find((x) => x.asset === a);
  function fillNetworks(asset, wanted) {
    net.input.replaceChildren();
    const a = find(asset);
    net.input.disabled = !a;
    if (!a) { net.input.append(h('option', { value: '' }, 'Choose a coin first')); return; }
    for (const n of a.networks) {
      const off = forDeposit && !n.depositEnable;
      net.input.append(h('option', { value: n.network, disabled: off },
        `${networkName(n)}${n.hasTag ? ' (tag/memo)' : ''}${off ? ' (suspended)' : ''}`));
    }
    const pick = a.networks.find((n) => n.network === wanted)
      || a.networks.find((n) => n.isDefault && !(forDeposit && !n.depositEnable))
      || a.networks.find((n) => !(forDeposit && !n.depositEnable));
    if (pick) net.input.value = pick.network;
  }
  const current = () => {
    const a = find(coin.input.value);
    return { asset: a, network: a ? a.networks.find((n) => n.network === net.input.value) : undefined };
  };
  coin.input.addEventListener('change', () => { fillNetworks(coin.input.value); onChange(current()); });
  net.input.addEventListener('change', () => onChange(current()));
  fillNetworks('');
  return {
    wrap: h('div', { class: 'pick-row' }, coin.wrap, net.wrap),
    coin: coin.input,
    net: net.input,
    current,
    set(asset, network) {
      if (!find(asset)) return false;
      coin.input.value = asset;
      fillNetworks(asset, network);
      return true;
    },
  };
}

async function balancesPage(view) {
  const [bal, nets] = await Promise.all([api('GET', '/console/v1/balances'), api('GET', '/console/v1/networks')]);
  updateNav('wallet');
  walletHead(view, 'balances', 'Wallet');
  view.append(h('p', { class: 'lead' },
    'What you hold on this exchange. Free is what you can trade, convert, transfer or withdraw; locked is held by open orders.'));
  const names = Object.fromEntries(nets.assets.map((a) => [a.asset, a.name]));
  const list = bal.balances.filter((b) => (toUnits(b.free) ?? 0n) + (toUnits(b.locked) ?? 0n) !== 0n);
  if (list.length === 0) {
    view.append(h('div', { class: 'card empty', id: 'no-balances' },
      h('p', {}, 'You hold nothing yet.'),
      h('p', {}, h('a', { class: 'button primary', href: '#/wallet/deposit' }, 'Deposit'))));
    return;
  }
  const table = h('table', { id: 'balances-table' },
    h('caption', { class: 'sr-only' }, 'Your balances'),
    h('thead', {}, h('tr', {}, [['Coin'], ['Free', 'num'], ['Locked', 'num'], ['Total', 'num'], ['Actions']]
      .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
    h('tbody', {}, list.map((b) => {
      const total = fromUnits((toUnits(b.free) ?? 0n) + (toUnits(b.locked) ?? 0n));
      const depositable = nets.assets.some((a) => a.asset === b.asset);
      return h('tr', { 'data-asset': b.asset },
        cell('Coin', h('strong', {}, b.asset), names[b.asset] ? h('span', { class: 'muted small' }, ` ${names[b.asset]}`) : null),
        numCell('Free', amountEl(b.free, b.asset)),
        numCell('Locked', amountEl(b.locked, b.asset)),
        numCell('Total', amountEl(total, b.asset)),
        cell('Actions', depositable
          ? h('a', { class: 'button small-btn', href: `#/wallet/deposit/${encodeURIComponent(b.asset)}` }, 'Deposit')
          : h('span', { class: 'muted' }, '—')));
    })));
  view.append(h('div', { class: 'table-wrap' }, table));
  view.append(h('p', { class: 'muted small' },
    'Withdrawals are made by API keys with the Withdrawals permission; see ',
    h('a', { href: '#/wallet/addresses' }, 'Address book'), ' for where they may go.'));
}

function numCell(label, ...content) {
  return h('td', { 'data-label': label, class: 'num' }, h('div', { class: 'cell' }, ...content));
}

const DEPOSIT_STATUS = { PENDING: ['Pending', 'warn'], CREDITED: ['Credited', 'ok'] };

async function depositPage(view, wantAsset, wantNetwork) {
  const [nets, deps] = await Promise.all([api('GET', '/console/v1/networks'), api('GET', '/console/v1/deposits')]);
  updateNav('wallet');
  walletHead(view, 'deposit', 'Deposit');
  view.append(h('p', { class: 'lead' },
    'Choose the coin and the network you will send it over. Each network has its own address; ',
    'sending over another network than the one chosen here can lose the deposit.'));

  const result = h('div', { id: 'deposit-result', 'aria-live': 'polite' });
  const err = errorBox();
  let seq = 0;
  async function showAddress({ asset, network }) {
    clearError(err);
    result.replaceChildren();
    if (!asset || !network) return;
    history.replaceState(null, '', `#/wallet/deposit/${encodeURIComponent(asset.asset)}/${encodeURIComponent(network.network)}`);
    const mine = ++seq;
    result.append(h('p', { class: 'muted' }, 'Getting your address…'));
    let a;
    try {
      a = await api('GET', `/console/v1/deposit-address/${encodeURIComponent(asset.asset)}/${encodeURIComponent(network.network)}`);
    } catch (e) {
      if (mine !== seq) return;
      result.replaceChildren();
      showError(err, e);
      return;
    }
    if (mine !== seq) return;  // a later choice won
    const state = h('span', { class: 'copy-state', role: 'status' });
    const addrCode = h('code', { class: 'secret', id: 'deposit-address' }, a.address);
    const rows = [
      h('dt', {}, 'Coin'), h('dd', {}, assetName(asset)),
      h('dt', {}, 'Network'), h('dd', {}, networkName(network)),
      h('dt', {}, 'Address'), h('dd', {}, addrCode, ' ', copyButton(addrCode, 'address', state, 'copy-address')),
    ];
    const tagged = network.hasTag || a.tag;
    if (tagged) {
      const tagCode = h('code', { class: 'secret', id: 'deposit-tag' }, a.tag);
      rows.push(h('dt', {}, 'Tag (memo)'), h('dd', {}, tagCode, ' ', copyButton(tagCode, 'tag', state, 'copy-tag')));
    }
    const confirm = Number(network.minConfirm) > 0
      ? `It is credited after ${network.minConfirm} network confirmation${network.minConfirm === 1 ? '' : 's'}.`
      : 'It is credited as soon as the network shows it.';
    result.replaceChildren();
    append(result,
      tagged ? h('div', { class: 'notice danger', id: 'deposit-tag-warning', role: 'note' },
        h('strong', {}, 'A tag (memo) is required: send with both the address and the tag below. '),
        'The address is shared by many accounts; the tag is what tells keygate the deposit is yours. ',
        'A deposit without the right tag is not credited to your account.') : null,
      h('dl', { class: 'kv deposit-kv' }, rows),
      h('p', {}, state),
      notice('info', `Send only ${asset.asset} over the ${network.name} network to this ${tagged ? 'address and tag' : 'address'}. ${confirm}`));
  }
  const picker = assetNetworkPicker(nets.assets, { idPrefix: 'deposit', forDeposit: true, onChange: showAddress });
  view.append(h('section', { class: 'card', 'aria-labelledby': 'dep-h' },
    h('h2', { id: 'dep-h' }, 'Your deposit address'),
    nets.assets.length === 0 ? h('p', { class: 'muted' }, 'This exchange has no coins configured yet.') : picker.wrap,
    err, result));
  if (wantAsset && picker.set(wantAsset, wantNetwork)) showAddress(picker.current());

  // The history, refreshed while a deposit waits for confirmations.
  const refresh = h('button', { type: 'button', class: 'small-btn', id: 'deposits-refresh' }, 'Refresh');
  const histErr = errorBox();
  const body = h('div');
  const section = h('section', { 'aria-labelledby': 'deph-h', id: 'deposit-history' },
    h('div', { class: 'page-head' }, h('h2', { id: 'deph-h' }, 'Deposit history'), refresh), histErr, body);
  view.append(section);
  let timer = 0;
  const fill = (list) => {
    clearTimeout(timer);
    body.replaceChildren(depositTable(list));
    timer = refreshWhile(section, () => list.some((d) => d.status === 'PENDING'), load);
  };
  async function load() {
    clearError(histErr);
    try {
      fill((await api('GET', '/console/v1/deposits')).deposits);
    } catch (e) {
      showError(histErr, e);
    }
  }
  refresh.addEventListener('click', load);
  fill(deps.deposits);
}

function depositTable(list) {
  if (list.length === 0) return h('div', { class: 'card empty', id: 'no-deposits' }, h('p', {}, 'No deposits yet.'));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'deposits-table' },
    h('caption', { class: 'sr-only' }, 'Your deposits'),
    h('thead', {}, h('tr', {}, [['Time'], ['Coin'], ['Network'], ['Amount', 'num'], ['Status'], ['Confirmations'], ['Transaction']]
      .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
    h('tbody', {}, list.map((d) => {
      const [word, kind] = DEPOSIT_STATUS[d.status] || [d.status, 'off'];
      return h('tr', { 'data-id': String(d.id), 'data-status': d.status },
        cell('Time', timeEl(d.insertTime)),
        cell('Coin', h('strong', {}, d.asset)),
        cell('Network', d.network),
        numCell('Amount', amountEl(d.amount, d.asset)),
        cell('Status', h('span', { class: `badge ${kind}` }, word)),
        cell('Confirmations', d.confirmationsNeeded > 0
          ? h('span', { class: 'confirmations', title: `${Math.min(d.confirmations, d.confirmationsNeeded)} of ${d.confirmationsNeeded} confirmations` },
            `${Math.min(d.confirmations, d.confirmationsNeeded)}/${d.confirmationsNeeded}`)
          : h('span', { class: 'confirmations muted' }, 'none needed')),
        cell('Transaction', d.txId ? h('code', { class: 'small txid' }, d.txId) : h('span', { class: 'muted' }, '—')));
    }))));
}

const WITHDRAW_STATUS = {
  'awaiting approval': ['Awaiting approval', 'warn', 'An operator has to approve this amount before it is sent.'],
  processing: ['Processing', 'info', 'Being sent.'],
  completed: ['Completed', 'ok', 'Sent.'],
  rejected: ['Rejected', 'bad', 'Not sent; amount and fee are back in your balance.'],
  failed: ['Failed', 'bad', 'Not sent; amount and fee are back in your balance.'],
};

async function withdrawalsPage(view) {
  const data = await api('GET', '/console/v1/withdrawals');
  updateNav('wallet');
  const refresh = h('button', { type: 'button', id: 'withdrawals-refresh' }, 'Refresh');
  walletHead(view, 'withdrawals', 'Withdrawals', refresh);
  view.append(h('p', { class: 'lead' },
    'Withdrawals are made by your API keys with the Withdrawals permission. Amount and fee leave your free balance at once; ',
    'a rejected or failed withdrawal returns both.'));
  const err = errorBox();
  const body = h('div');
  view.append(err, body);
  let timer = 0;
  const fill = (list) => {
    clearTimeout(timer);
    body.replaceChildren(withdrawalTable(list));
    timer = refreshWhile(body, () => list.some((w) => w.status === 'processing'), load);
  };
  async function load() {
    clearError(err);
    try {
      fill((await api('GET', '/console/v1/withdrawals')).withdrawals);
    } catch (e) {
      showError(err, e);
    }
  }
  refresh.addEventListener('click', load);
  fill(data.withdrawals);
}

function withdrawalTable(list) {
  if (list.length === 0) {
    return h('div', { class: 'card empty', id: 'no-withdrawals' }, h('p', {}, 'No withdrawals yet.'));
  }
  return h('div', { class: 'table-wrap' }, h('table', { id: 'withdrawals-table' },
    h('caption', { class: 'sr-only' }, 'Your withdrawals'),
    h('thead', {}, h('tr', {}, [['Time'], ['Coin'], ['Network'], ['Amount', 'num'], ['Fee', 'num'], ['To'], ['Status'], ['Transaction']]
      .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
    h('tbody', {}, list.map((w) => {
      const [word, kind, what] = WITHDRAW_STATUS[w.status] || [w.status, 'off', ''];
      return h('tr', { 'data-id': String(w.id), 'data-status': w.status },
        cell('Time', timeEl(w.applyTime), w.updateTime && w.updateTime !== w.applyTime
          ? h('div', { class: 'small muted' }, 'updated ', fmtTime(w.updateTime)) : null),
        cell('Coin', h('strong', {}, w.asset)),
        cell('Network', w.network),
        numCell('Amount', amountEl(w.amount, w.asset)),
        numCell('Fee', amountEl(w.fee, w.asset)),
        cell('To', h('code', { class: 'small addr' }, w.address), w.tag ? h('div', { class: 'small' }, 'Tag ', h('code', {}, w.tag)) : null),
        cell('Status', h('span', { class: `badge ${kind}`, title: what }, word),
          w.info ? h('div', { class: 'small muted wd-info' }, w.info) : null),
        cell('Transaction', w.txId ? h('code', { class: 'small txid' }, w.txId) : h('span', { class: 'muted' }, '—')));
    }))));
}

// Internal transfers, sent and received. They are made by API keys (POST /sapi/v1/transfer/internal);
// the other party is shown by user ID, which is all the server tells.

const TRANSFER_DIRECTION = { IN: ['Received', 'ok', 'From'], OUT: ['Sent', 'info', 'To'] };

async function transfersPage(view) {
  const data = await api('GET', '/console/v1/transfers');
  updateNav('wallet');
  const refresh = h('button', { type: 'button', id: 'transfers-refresh' }, 'Refresh');
  walletHead(view, 'transfers', 'Transfers', refresh);
  view.append(h('p', { class: 'lead' },
    'Internal transfers move free balance between accounts of this exchange at once, with no fee. ',
    'They are made by your API keys with the Internal transfers permission.'));
  if (me && me.uid !== undefined) {
    view.append(h('p', { class: 'muted small', id: 'my-uid' },
      'Others can send to you by your email or by your user ID: ', h('code', {}, String(me.uid))));
  }
  const err = errorBox();
  const body = h('div');
  view.append(err, body);
  const fill = (list) => body.replaceChildren(transferTable(list));
  refresh.addEventListener('click', async () => {
    clearError(err);
    busy(refresh, true);
    try {
      fill((await api('GET', '/console/v1/transfers')).transfers);
    } catch (e) {
      showError(err, e);
    } finally {
      busy(refresh, false);
    }
  });
  fill(data.transfers);
}

function transferTable(list) {
  if (list.length === 0) {
    return h('div', { class: 'card empty', id: 'no-transfers' }, h('p', {}, 'No transfers yet.'));
  }
  return h('div', { class: 'table-wrap' }, h('table', { id: 'transfers-table' },
    h('caption', { class: 'sr-only' }, 'Your internal transfers'),
    h('thead', {}, h('tr', {}, [['Time'], ['Direction'], ['Coin'], ['Amount', 'num'], ['Other party'], ['Transfer ID']]
      .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
    h('tbody', {}, list.map((t) => {
      const [word, kind, prep] = TRANSFER_DIRECTION[t.direction] || [t.direction, 'off', ''];
      return h('tr', { 'data-id': String(t.tranId), 'data-direction': t.direction },
        cell('Time', timeEl(t.time)),
        cell('Direction', h('span', { class: `badge ${kind}` }, word)),
        cell('Coin', h('strong', {}, t.asset)),
        numCell('Amount', amountEl(t.amount, t.asset)),
        cell('Other party', `${prep} user `, h('code', { class: 'counterparty' }, String(t.counterpartyUid))),
        cell('Transfer ID', h('code', { class: 'small txid' }, String(t.tranId)),
          t.clientTranId ? h('div', { class: 'small muted txid', title: 'clientTranId' }, t.clientTranId) : null));
    }))));
}

// ---------------------------------------------------------------------------------------------
// The withdrawal address book and the address-management switch.

async function addressBookPage(view) {
  const [user, book, nets] = await Promise.all([
    api('GET', '/console/v1/me'), api('GET', '/console/v1/withdraw-addresses'), api('GET', '/console/v1/networks'),
  ]);
  me = user;
  updateNav('wallet');
  walletHead(view, 'addresses', 'Withdrawal address book');
  const cooloff = fmtDuration(book.cooloffSeconds);
  view.append(h('p', { class: 'lead' },
    'The addresses your API keys may withdraw to. A new address can be used ',
    book.cooloffSeconds > 0 ? `${cooloff} after it is added` : 'as soon as it is added',
    ', so a stolen session cannot add one and empty your account at once.'));

  // Address management: the switch.
  const on = book.withdrawWhitelistOnly;
  const sw = h('button', {
    type: 'button', role: 'switch', class: 'switch', id: 'wl-switch', 'aria-checked': on ? 'true' : 'false',
    'aria-labelledby': 'wl-h', 'aria-describedby': 'wl-desc',
  }, h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })),
  h('span', { class: 'switch-text' }, on ? 'On' : 'Off'));
  sw.addEventListener('click', async () => {
    if (on) { whitelistOffDialog(); return; }
    busy(sw, true);
    try {
      await api('PUT', '/console/v1/settings', { withdrawWhitelistOnly: true });
      flash = { kind: 'ok', text: 'Address management is on: API withdrawals go only to the addresses in your book.' };
      render();
    } catch (e) {
      showError(swErr, e);
      busy(sw, false);
    }
  });
  const swErr = errorBox();
  view.append(h('section', { class: 'card', id: 'address-management', 'data-on': on ? 'true' : 'false', 'aria-labelledby': 'wl-h' },
    h('div', { class: 'switch-row' }, h('h2', { id: 'wl-h' }, 'Address management'), sw),
    h('p', { id: 'wl-desc' }, h('strong', {}, 'When on, API withdrawals can go only to the addresses in this book'),
      book.cooloffSeconds > 0 ? ', once their cooling-off period is over. ' : '. ',
      'When off, a key with the Withdrawals permission can send to any valid address. ',
      'Turning it off asks for a two-factor code; turning it on does not.'),
    on ? null : notice('warn', h('strong', {}, 'Address management is off. '),
      'Your withdrawal keys can send to any address. Turn it on unless a program really needs that.'),
    swErr));

  // The list.
  const listErr = errorBox();
  view.append(h('h2', { class: 'section-h' }, `Saved addresses (${book.addresses.length})`), listErr);
  if (book.addresses.length === 0) {
    view.append(h('div', { class: 'card empty', id: 'no-addresses' }, h('p', {}, 'No addresses yet.')));
  } else {
    const table = h('table', { id: 'book-table' },
      h('caption', { class: 'sr-only' }, 'Your withdrawal addresses'),
      h('thead', {}, h('tr', {}, ['Label', 'Coin', 'Network', 'Address', 'Tag', 'Added', 'Usable', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, book.addresses.map((a) => {
        const del = h('button', { type: 'button', class: 'small-btn danger-text', 'data-action': 'delete' }, 'Delete');
        del.addEventListener('click', () => deleteAddressDialog(a));
        return h('tr', { 'data-id': String(a.id), 'data-usable': a.usable ? 'true' : 'false' },
          cell('Label', h('strong', { class: 'label' }, a.label)),
          cell('Coin', a.asset),
          cell('Network', a.network),
          cell('Address', h('code', { class: 'small addr' }, a.address)),
          cell('Tag', a.tag ? h('code', { class: 'small' }, a.tag) : h('span', { class: 'muted' }, '—')),
          cell('Added', timeEl(a.createdAt)),
          cell('Usable', a.usable
            ? h('span', { class: 'badge ok' }, 'Usable')
            : h('span', { class: 'cooling' }, h('span', { class: 'badge warn' }, 'Cooling off'), h('br'),
              h('span', { class: 'small' }, 'usable from ', timeEl(a.usableAt)))),
          cell('Actions', del));
      })));
    view.append(h('div', { class: 'table-wrap' }, table));
  }

  // The form.
  const card = h('section', { class: 'card add-address', 'aria-labelledby': 'add-h' }, h('h2', { id: 'add-h' }, 'Add an address'));
  view.append(card);
  if (!me.twoFactorEnabled) {
    card.append(h('div', { class: 'notice warn', id: 'needs-2fa' },
      h('strong', {}, 'Adding an address needs two-factor authentication. '),
      h('a', { href: '#/security' }, 'Turn it on'), ' first.'));
    return;
  }
  if (nets.assets.length === 0) {
    card.append(h('p', { class: 'muted' }, 'This exchange has no coins configured yet.'));
    return;
  }
  addAddressForm(card, nets.assets, book);
}

function addAddressForm(card, assets, book) {
  const err = errorBox();
  const address = field('Address', { type: 'text', name: 'address', id: 'add-address', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: '128' });
  const tag = field('Tag (memo)', { type: 'text', name: 'tag', id: 'add-tag', autocomplete: 'off', spellcheck: 'false', maxlength: '64' },
    'The recipient\'s tag or memo, if they gave you one. Exchanges need it to credit a deposit.');
  const label = field('Label', { type: 'text', name: 'label', id: 'add-label', required: true, maxlength: '50', autocomplete: 'off' },
    'For you, e.g. "cold wallet" or "Kraken deposit". 1 to 50 characters.');
  const code = codeField();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add address');
  const picker = assetNetworkPicker(assets, {
    idPrefix: 'add',
    onChange: ({ network }) => { tag.wrap.hidden = !network?.hasTag; },
  });
  tag.wrap.hidden = true;
  const form = h('form', { id: 'add-address-form', novalidate: true },
    picker.wrap, address.wrap, tag.wrap, label.wrap, code.wrap,
    h('p', { class: 'muted small' }, book.cooloffSeconds > 0
      ? `It can be used for withdrawals ${fmtDuration(book.cooloffSeconds)} after it is added.`
      : 'It can be used for withdrawals at once.'),
    err, h('div', { class: 'actions' }, submit));
  card.append(form);
  const FIELD_OF = { '-7416': address.input, '-7417': tag.input, '-7436': address.input, '-7200': code.input, '-7201': code.input };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    const { asset, network } = picker.current();
    const problem = !asset ? [picker.coin, 'Choose a coin.']
      : !network ? [picker.net, 'Choose a network.']
        : !address.input.value.trim() ? [address.input, 'Enter the address.']
          : !label.input.value.trim() ? [label.input, 'Give the address a label.']
            : !/^[0-9]{6}$/.test(code.input.value.trim()) ? [code.input, 'Enter the 6-digit code from your authenticator app.'] : null;
    if (problem) {
      showError(err, problem[1]);
      problem[0].focus();
      return;
    }
    const body = {
      asset: asset.asset, network: network.network, address: address.input.value.trim(),
      label: label.input.value.trim(), totp: code.input.value.trim(),
    };
    if (network.hasTag && tag.input.value.trim()) body.tag = tag.input.value.trim();
    busy(submit, true);
    try {
      const a = await api('POST', '/console/v1/withdraw-addresses', body);
      flash = {
        kind: 'ok',
        text: a.usable ? `"${a.label}" is added and can be used now.` : `"${a.label}" is added. It can be used from ${fmtTime(a.usableAt)}.`,
      };
      render();
    } catch (e) {
      showError(err, e);
      const el = FIELD_OF[String(e.code)];
      if (el) { el.focus(); el.select?.(); }
      busy(submit, false);
    }
  });
}

function whitelistOffDialog() {
  modal('Turn address management off?', () => {
    const code = codeField();
    return {
      body: [h('p', {}, 'Your API keys with the Withdrawals permission could then send funds to any valid address, not only to your address book. ',
        'Per-key address lists still apply.'), code.wrap],
      submitLabel: 'Turn off',
      onSubmit: async () => {
        await api('PUT', '/console/v1/settings', { withdrawWhitelistOnly: false, totp: code.input.value.trim() });
        flash = { kind: 'warn', text: 'Address management is off: API withdrawals can go to any address.' };
        return true;
      },
    };
  }, { danger: true, id: 'wl-off-dialog' });
}

function deleteAddressDialog(a) {
  modal(`Delete "${a.label}"?`, () => ({
    body: [h('p', {}, 'API withdrawals to this address are refused from now on. Adding it again starts a new cooling-off period.'),
      h('p', {}, h('code', { class: 'small addr' }, `${a.asset} · ${a.network} · ${a.address}${a.tag ? ` · tag ${a.tag}` : ''}`))],
    submitLabel: 'Delete address',
    onSubmit: async () => {
      await api('DELETE', `/console/v1/withdraw-addresses/${encodeURIComponent(a.id)}`);
      flash = { kind: 'ok', text: `"${a.label}" is deleted from your address book.` };
      return true;
    },
  }), { danger: true, id: 'delete-address-dialog' });
}

// ---------------------------------------------------------------------------------------------
// A key's withdrawal limits: which address-book entries it may send to, and caps per 24 hours.

function rulesText(rules, book) {
  const ids = rules.addressIds || [];
  const caps = Object.entries(rules.dailyCaps || {});
  const to = ids.length === 0 ? 'to any allowed address'
    : ids.length === 1 ? `only to "${book?.find((b) => b.id === ids[0])?.label ?? `entry #${ids[0]}`}"`
      : `only to ${ids.length} book addresses`;
  const capText = caps.length === 0 ? 'no daily cap' : `at most ${caps.map(([a, v]) => `${fmtAmount(v)} ${a}`).join(', ')} per 24 h`;
  return `Withdraws ${to}; ${capText}.`;
}

// Fills the small summary under a WITHDRAW key's permissions in the key list.
function fillRulesSummaries(table, keys) {
  for (const k of keys.filter((x) => x.permissions.includes('WITHDRAW'))) {
    const el = table.querySelector(`tr[data-api-key="${CSS.escape(k.apiKey)}"] .rules-summary`);
    if (!el) continue;
    api('GET', `/console/v1/keys/${encodeURIComponent(k.apiKey)}/withdraw-rules`)
      .then((r) => { el.textContent = rulesText(r); })
      .catch(() => { el.textContent = ''; });
  }
}

async function withdrawRulesPage(view, apiKey) {
  const [list, rules, book, nets] = await Promise.all([
    api('GET', '/console/v1/keys'),
    api('GET', `/console/v1/keys/${encodeURIComponent(apiKey)}/withdraw-rules`),
    api('GET', '/console/v1/withdraw-addresses'),
    api('GET', '/console/v1/networks'),
  ]);
  updateNav('keys');
  const k = list.keys.find((x) => x.apiKey === apiKey);
  view.append(h('p', { class: 'crumbs' }, h('a', { href: '#/keys' }, 'API keys'), ' / Withdrawal limits'));
  view.append(h('h1', {}, `Withdrawal limits: ${k ? k.label : apiKey.slice(0, 12)}`));
  if (k) view.append(h('p', { class: 'muted' }, h('code', { class: 'small addr' }, k.apiKey), ' ', statusBadge(k.status)));
  view.append(h('p', { class: 'lead' },
    'Narrow what this key can withdraw beyond what the account allows: only to chosen addresses of your address book, ',
    'and at most an amount per coin over any 24 hours. Narrowing needs no two-factor code and takes effect at once; ',
    'widening (another address, a higher cap, or no cap) asks for one.'));
  if (k && !k.permissions.includes('WITHDRAW')) {
    view.append(notice('warn', 'This key does not have the Withdrawals permission: it cannot withdraw at all.'));
  } else if (k?.readOnly) {
    view.append(notice('warn', 'This key is read-only: it cannot withdraw at all.'));
  }
  const summary = h('p', { class: 'notice info', id: 'rules-summary', role: 'status' }, h('strong', {}, 'Now: '), rulesText(rules, book.addresses));
  view.append(summary);

  const err = errorBox();
  const form = h('form', { class: 'card rules-form', id: 'withdraw-rules-form', novalidate: true });

  // Addresses.
  const known = new Set(book.addresses.map((a) => a.id));
  const chosen = new Set(rules.addressIds);
  const stale = rules.addressIds.filter((id) => !known.has(id));
  const addrSet = h('fieldset', {}, h('legend', {}, 'Which addresses may this key withdraw to?'));
  const anyDesc = book.withdrawWhitelistOnly
    ? 'Address management is on: any usable address in your address book.'
    : 'Address management is off: any valid address.';
  const modeAny = choice('radio', 'addrMode', 'any', 'Any address the account allows', { checked: rules.addressIds.length === 0, id: 'rules-any' }, anyDesc);
  const modeList = choice('radio', 'addrMode', 'list', 'Only these addresses from the address book', { checked: rules.addressIds.length > 0, id: 'rules-only' });
  const boxes = h('div', { class: 'rules-addresses', id: 'rules-addresses' });
  const checks = book.addresses.map((a) => {
    const c = choice('checkbox', 'addressIds', String(a.id), [a.label, ' ', h('span', { class: 'muted small' }, `${a.asset} · ${a.network}`)],
      { checked: chosen.has(a.id), id: `rules-addr-${a.id}` },
      [h('code', { class: 'small addr' }, a.address), a.tag ? ` tag ${a.tag}` : '', a.usable ? '' : ` (cooling off until ${fmtTime(a.usableAt)})`]);
    boxes.append(c.wrap);
    return [a.id, c.input];
  });
  if (book.addresses.length === 0) {
    boxes.append(h('p', { class: 'muted' }, 'Your address book is empty. ', h('a', { href: '#/wallet/addresses' }, 'Add addresses'), ' first.'));
  }
  if (stale.length) {
    boxes.append(notice('warn', `${stale.length} address${stale.length === 1 ? ' was' : 'es were'} deleted from your book since; saving drops ${stale.length === 1 ? 'it' : 'them'} from this key.`));
  }
  const syncAddr = () => { boxes.hidden = !modeList.input.checked; };
  modeAny.input.addEventListener('change', syncAddr);
  modeList.input.addEventListener('change', syncAddr);
  append(addrSet, [modeAny.wrap, modeList.wrap, boxes]);
  syncAddr();

  // Daily caps, one field per coin.
  const capSet = h('fieldset', {}, h('legend', {}, 'Daily caps (over any 24 hours)'),
    h('p', { class: 'hint' }, 'Leave a coin empty for no cap. Rejected and failed withdrawals do not count.'));
  const capGrid = h('div', { class: 'caps-grid' });
  const assetsOf = [...new Set([...nets.assets.map((a) => a.asset), ...Object.keys(rules.dailyCaps)])];
  const capInputs = assetsOf.map((asset) => {
    const f = field(`${asset} per 24 h`, {
      type: 'text', inputmode: 'decimal', name: `cap-${asset}`, id: `cap-${asset}`, autocomplete: 'off',
      placeholder: 'No cap', value: rules.dailyCaps[asset] !== undefined ? fmtAmount(rules.dailyCaps[asset]) : null,
    });
    capGrid.append(f.wrap);
    return [asset, f.input];
  });
  capSet.append(capGrid);

  const code = codeField('Two-factor code (only when widening)', {
    required: false,
    hint: 'Not needed to narrow: fewer addresses, a lower cap or a new cap. Widening asks for it.',
  });
  code.wrap.classList.add('optional-code');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'rules-save' }, 'Save limits');
  append(form, [addrSet, capSet, code.wrap, err, h('div', { class: 'actions' }, submit, h('a', { class: 'button', href: '#/keys' }, 'Back to API keys'))]);
  view.append(form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    const body = { addressIds: [], dailyCaps: {} };
    if (modeList.input.checked) {
      body.addressIds = checks.filter(([, input]) => input.checked).map(([id]) => id);
      if (body.addressIds.length === 0) {
        showError(err, 'Choose at least one address, or "Any address the account allows".');
        (checks[0]?.[1] || modeAny.input).focus();
        return;
      }
    }
    for (const [asset, input] of capInputs) {
      const v = input.value.trim();
      if (!v) continue;
      if (!AMOUNT_RE.test(v) || toUnits(v) <= 0n) {
        showError(err, `The cap for ${asset} must be a positive amount with at most 8 decimals, or empty for no cap.`);
        input.focus();
        return;
      }
      body.dailyCaps[asset] = v;
    }
    const totp = code.input.value.trim();
    if (totp) {
      if (!/^[0-9]{6}$/.test(totp)) { showError(err, 'The two-factor code has 6 digits.'); code.input.focus(); return; }
      body.totp = totp;
    }
    busy(submit, true);
    try {
      await api('PUT', `/console/v1/keys/${encodeURIComponent(apiKey)}/withdraw-rules`, body);
      flash = { kind: 'ok', text: `The withdrawal limits of "${k ? k.label : 'the key'}" are saved.` };
      render();
    } catch (e) {
      if (!widenNeedsCode(e, code, err, 'This change lets the key withdraw more than before: enter a two-factor code and save again.')) {
        showError(err, e);
      }
      busy(submit, false);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The access log of one key.

async function logPage(view, apiKey) {
  const [list, log] = await Promise.all([
    api('GET', '/console/v1/keys'),
    api('GET', `/console/v1/keys/${encodeURIComponent(apiKey)}/log`),
  ]);
  const k = list.keys.find((x) => x.apiKey === apiKey);
  view.append(h('p', { class: 'crumbs' }, h('a', { href: '#/keys' }, 'API keys'), ' / Access log'));
  const refresh = h('button', { type: 'button', id: 'log-refresh' }, 'Refresh');
  refresh.addEventListener('click', () => render());
  view.append(h('div', { class: 'page-head' }, h('h1', {}, `Access log: ${k ? k.label : apiKey.slice(0, 12)}`), refresh));
  if (k) view.append(h('p', { class: 'muted' }, h('code', { class: 'small addr' }, k.apiKey), ' ', statusBadge(k.status)));
  view.append(h('p', { class: 'lead' },
    'Every request made with this key, accepted or refused. A refused client only sees "Invalid API-key, IP, or permissions"; ',
    'the reason column tells you, the owner, exactly why. Repeated identical requests are counted in one line.'));
  if (log.entries.length === 0) {
    view.append(h('div', { class: 'card empty', id: 'log-empty' }, h('p', {}, 'No requests with this key yet.')));
    return;
  }
  const table = h('table', { class: 'log', id: 'log-table' },
    h('caption', { class: 'sr-only' }, 'Requests made with this key'),
    h('thead', {}, h('tr', {}, ['Time', 'IP', 'Method', 'Path', 'Result', 'Status', 'Reason', 'Count'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, log.entries.map((e) => h('tr', { class: e.result === 'ACCEPTED' ? 'ok' : 'rejected' },
      cell('Time', timeEl(e.time)),
      cell('IP', h('code', {}, e.ip)),
      cell('Method', e.method),
      cell('Path', h('code', {}, e.path)),
      cell('Result', h('span', { class: `badge ${e.result === 'ACCEPTED' ? 'ok' : 'bad'}` }, e.result === 'ACCEPTED' ? 'Accepted' : 'Rejected')),
      cell('Status', String(e.status)),
      cell('Reason', e.reason ? h('span', { class: 'reason' }, e.reason) : h('span', { class: 'muted' }, '—')),
      cell('Count', String(e.count))))));
  view.append(h('div', { class: 'table-wrap' }, table));
}

// ---------------------------------------------------------------------------------------------

window.addEventListener('hashchange', () => render());
await loadMe();
render();
