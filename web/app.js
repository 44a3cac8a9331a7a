// keygate's web console: sign-up, login (with 2FA), two-factor setup, and API keys (the creation
// wizard, the secret shown once, activate/deactivate, rotate, delete, delete all, access logs).
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

function codeField(label = 'Two-factor code') {
  return field(label, {
    type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6',
    required: true, class: 'code', name: 'totp',
  }, 'The 6-digit code from your authenticator app.');
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
  { name: 'TRADE', title: 'Spot trading', risk: 'medium', desc: 'Place and cancel orders. Without an IP allowlist, trading lapses after 30 days.' },
  { name: 'CONVERT', title: 'Convert', risk: 'medium', desc: 'Exchange one asset for another at a quoted price.' },
  { name: 'TRANSFER', title: 'Internal transfers', risk: 'high', desc: 'Move funds between your accounts and to other users.' },
  { name: 'WITHDRAW', title: 'Withdrawals', risk: 'highest', desc: 'Send funds out of your account to external addresses. Needs an IP allowlist.' },
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

  return h('tr', { 'data-api-key': k.apiKey, 'data-status': k.status },
    cell('Label', h('strong', { class: 'label' }, k.label), h('br'), h('code', { class: 'small muted apikey', title: k.apiKey }, `${k.apiKey.slice(0, 12)}…`)),
    cell('Type', typeName(k.type)),
    cell('Permissions', h('div', { class: 'perms' }, perms),
      k.tradingAuthorityExpirationTime ? h('div', { class: 'small muted' }, 'Trading until ', fmtTime(k.tradingAuthorityExpirationTime)) : null),
    cell('Read-only', k.readOnly ? 'Yes' : 'No'),
    cell('IP access', ips),
    cell('Status', statusBadge(k.status)),
    cell('Created', timeEl(k.createdAt)),
    cell('Expires', expires),
    cell('Last used', ...lastUsed),
    cell('Actions', h('div', { class: 'row-actions' }, toggle, log, rotate, del)));
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
    'A key open to all IPs can be used by anyone who learns it. Trading on such a key lapses after 30 days, and it cannot have the withdrawal permission.');
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
  const expSet = h('fieldset', {}, h('legend', {}, 'When should the key expire?'));
  const expNone = choice('radio', 'expiry', 'none', 'Never', { checked: true });
  const expDate = choice('radio', 'expiry', 'date', 'On a date', { id: 'expiry-date-mode' });
  const date = field('Expiry date (the key stops working at the end of this day, your time)', { type: 'date', name: 'expiresAt', id: 'expiry-date' });
  date.wrap.hidden = true;
  const syncExp = () => { date.wrap.hidden = !expDate.input.checked; };
  expNone.input.addEventListener('change', syncExp);
  expDate.input.addEventListener('change', syncExp);
  append(expSet, [expNone.wrap, expDate.wrap]);
  panels.push(h('div', {}, h('h2', {}, 'Expiry'), expSet, date.wrap));

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
    if (expDate.input.checked && date.input.value) {
      const [y, m, d] = date.input.value.split('-').map(Number);
      body.expiresAt = new Date(y, m - 1, d, 23, 59, 59, 999).getTime();
    }
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
    if (i === 5 && expDate.input.checked) {
      if (!b.expiresAt) return [date.input, 'Choose a date, or "Never".'];
      if (b.expiresAt <= Date.now()) return [date.input, 'Choose a date in the future.'];
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
  box.append(h('div', { class: 'actions' }, done));
  view.append(box);
  document.title = 'Your new API key · keygate';
  done.focus();
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
  if (k) view.append(h('p', { class: 'muted' }, h('code', { class: 'small' }, k.apiKey), ' ', statusBadge(k.status)));
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
