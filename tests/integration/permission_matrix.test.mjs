// S3, the permission matrix (reliability-security.md): every signed REST endpoint (USER_DATA,
// TRADE and USER_STREAM routes) × every kind of caller: no key, a read-only key (every permission
// with the read-only switch), a key with exactly one permission (READ, TRADE, CONVERT, TRANSFER,
// WITHDRAW, DEPOSIT), and keys with every permission that are inactive, disabled by the operator,
// of a user whose API access is off, expired, deleted, or called from an IP outside their
// allowlist. ROUTES below is the route table as data (method, path, security, permission); the
// test first checks it against the route registrations in src/api/*.cpp (parsed here, so the
// table cannot go stale), then expects per cell what the table says: an allowed cell gets past the
// gatekeeper (the handler may still refuse the parameters or the balance, but never with an
// API-key, signature or permission error), a denied cell gets exactly Binance's refusal: 401 -2014
// without a key, 401 -1002 for a missing WITHDRAW or TRANSFER permission, 401 -2015 otherwise.
// Finally, a changed key fails on its very next request: deactivated, disabled by the operator,
// deleted, its user's API access turned off, its secret rotated, its TRADE lapsed, revoked, its
// permissions or its allowlist narrowed in place (PATCH, no code; widening back needs one).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  adminCall, assertBinance, assertError, BINANCE, createKey, forEachBackend, keyLog, REPO, request, sendRaw,
  signedRequest, sleep, startServer, userWith2FA,
} from './harness.mjs';

const ALL = ['READ', 'TRADE', 'CONVERT', 'TRANSFER', 'WITHDRAW', 'DEPOSIT'];
const UNAUTHORIZED = [401, -1002, 'You are not authorized to execute this request.'];
// Codes that mean the gatekeeper refused the request (key, IP, signature, window, permission).
const GATE_CODES = new Set([-2014, -2015, -1002, -1022, -1021, -1131]);

// The route table: every route that takes an API key, with the permission the key must have
// (null: any live key). Kept in step with src/api by the first test.
const ROUTES = [
  ['GET', '/api/v3/account', 'USER_DATA', 'READ'],
  ['GET', '/sapi/v1/account/apiRestrictions', 'USER_DATA', null],
  ['POST', '/sapi/v1/transfer/internal', 'USER_DATA', 'TRANSFER'],
  ['GET', '/sapi/v1/transfer/internal/history', 'USER_DATA', 'READ'],
  ['POST', '/api/v3/order', 'TRADE', 'TRADE'],
  ['POST', '/api/v3/order/test', 'TRADE', 'TRADE'],
  ['GET', '/api/v3/order', 'USER_DATA', 'READ'],
  ['DELETE', '/api/v3/order', 'TRADE', 'TRADE'],
  ['DELETE', '/api/v3/openOrders', 'TRADE', 'TRADE'],
  ['GET', '/api/v3/openOrders', 'USER_DATA', 'READ'],
  ['GET', '/api/v3/allOrders', 'USER_DATA', 'READ'],
  ['GET', '/api/v3/myTrades', 'USER_DATA', 'READ'],
  ['GET', '/api/v3/historicalTrades', 'USER_STREAM', null],
  ['POST', '/api/v3/userDataStream', 'USER_STREAM', 'READ'],
  ['PUT', '/api/v3/userDataStream', 'USER_STREAM', 'READ'],
  ['DELETE', '/api/v3/userDataStream', 'USER_STREAM', 'READ'],
  ['POST', '/sapi/v1/convert/getQuote', 'USER_DATA', 'CONVERT'],
  ['POST', '/sapi/v1/convert/acceptQuote', 'USER_DATA', 'CONVERT'],
  ['GET', '/sapi/v1/convert/orderStatus', 'USER_DATA', 'READ'],
  ['GET', '/sapi/v1/convert/tradeFlow', 'USER_DATA', 'READ'],
  ['GET', '/sapi/v1/capital/config/getall', 'USER_DATA', 'READ'],
  ['GET', '/sapi/v1/capital/deposit/address', 'USER_DATA', 'DEPOSIT'],
  ['GET', '/sapi/v1/capital/deposit/hisrec', 'USER_DATA', 'READ'],
  ['POST', '/sapi/v1/capital/withdraw/apply', 'USER_DATA', 'WITHDRAW'],
  ['GET', '/sapi/v1/capital/withdraw/history', 'USER_DATA', 'READ'],
  // Last: an allowed revoke turns the key off.
  ['POST', '/sapi/v1/apikey/revoke', 'USER_DATA', null],
];

// Parameters that take an allowed request into its handler (which may still refuse them).
const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '20000' };
const PARAMS = {
  'POST /sapi/v1/transfer/internal': () => ({ asset: 'USDT', amount: '1', toUid: '1' }),
  'POST /api/v3/order': () => order,
  'POST /api/v3/order/test': () => order,
  'GET /api/v3/order': () => ({ symbol: 'BTCUSDT', orderId: '999999' }),
  'DELETE /api/v3/order': () => ({ symbol: 'BTCUSDT', orderId: '999999' }),
  'DELETE /api/v3/openOrders': () => ({ symbol: 'BTCUSDT' }),
  'GET /api/v3/allOrders': () => ({ symbol: 'BTCUSDT' }),
  'GET /api/v3/myTrades': () => ({ symbol: 'BTCUSDT' }),
  'GET /api/v3/historicalTrades': () => ({ symbol: 'BTCUSDT' }),
  'PUT /api/v3/userDataStream': () => ({ listenKey: 'no-such-listen-key' }),
  'DELETE /api/v3/userDataStream': () => ({ listenKey: 'no-such-listen-key' }),
  'POST /sapi/v1/convert/getQuote': () => ({ fromAsset: 'USDT', toAsset: 'BTC', fromAmount: '10' }),
  'POST /sapi/v1/convert/acceptQuote': () => ({ quoteId: 'no-such-quote' }),
  'GET /sapi/v1/convert/orderStatus': () => ({ orderId: '999999' }),
  'GET /sapi/v1/convert/tradeFlow': () => ({ startTime: String(Date.now() - 3_600_000), endTime: String(Date.now()) }),
  'GET /sapi/v1/capital/deposit/address': () => ({ coin: 'BTC' }),
  'POST /sapi/v1/capital/withdraw/apply': () => ({ coin: 'ETH', address: `0x${'d'.repeat(40)}`, amount: '1' }),
};

// ---------------------------------------------------------------------------------------------
// The route registrations in src/api/*.cpp: router.add({"METHOD", "/path", Security::kX, weight,
// blocking, handler[, Permission::kY]}), parsed with strings, characters and comments skipped.

const SECURITY = { kUserData: 'USER_DATA', kTrade: 'TRADE', kUserStream: 'USER_STREAM', kNone: 'NONE', kConsole: 'CONSOLE' };

// Whether text[i] starts a literal: a "string" or a 'c'haracter (not a digit separator: 86'400).
const literalAt = (text, i) => text[i] === '"' || (text[i] === "'" && !/[0-9A-Fa-f]/.test(text[i - 1] ?? ''));

// Index just past the literal that starts at i (a "string", an R"d(raw string)d" or a 'c'haracter).
function skipLiteral(text, i) {
  const q = text[i];
  if (q === '"' && text[i - 1] === 'R' && !/\w/.test(text[i - 2] ?? '')) {
    const open = text.indexOf('(', i);
    const end = text.indexOf(`)${text.slice(i + 1, open)}"`, open);
    if (end < 0) throw new Error(`unterminated raw string at ${i}`);
    return end + open - i + 1;
  }
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === q) return j + 1;
  }
  throw new Error(`unterminated literal at ${i}`);
}

function stripComments(text) {
  let out = '';
  for (let i = 0; i < text.length;) {
    if (literalAt(text, i)) {
      const j = skipLiteral(text, i);
      out += text.slice(i, j);
      i = j;
    } else if (text.startsWith('//', i)) {
      i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    } else if (text.startsWith('/*', i)) {
      i = text.indexOf('*/', i) + 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// The index of the bracket that closes the one at `open`.
function closing(text, open) {
  let depth = 0;
  for (let i = open; i < text.length;) {
    const c = text[i];
    if (literalAt(text, i)) { i = skipLiteral(text, i); continue; }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
    i++;
  }
  throw new Error(`no closing bracket for ${open}`);
}

// The top-level comma-separated parts of a brace-initialiser's inside.
function topLevelArgs(text) {
  const args = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (literalAt(text, i)) { i = skipLiteral(text, i); continue; }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) { args.push(text.slice(start, i).trim()); start = i + 1; }
    i++;
  }
  args.push(text.slice(start).trim());
  return args;
}

function routesInSource() {
  const dir = path.join(REPO, 'src', 'api');
  const routes = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpp')).sort()) {
    const text = stripComments(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (let at = text.indexOf('router.add('); at >= 0; at = text.indexOf('router.add(', at + 1)) {
      const open = at + 'router.add'.length;
      const call = text.slice(open + 1, closing(text, open));
      const brace = call.indexOf('{');
      const args = topLevelArgs(call.slice(brace + 1, closing(call, brace)));
      const method = /^"([A-Z]+)"$/.exec(args[0])?.[1];
      const security = /Security::(k\w+)$/.exec(args[2])?.[1];
      assert.ok(method && security, `${file}: cannot read the route ${call.slice(0, 120)}`);
      const routePath = /^"(.*)"$/.exec(args[1])?.[1] ?? args[1];  // web assets: an expression
      const perm = args.length > 6 ? /Permission::k(\w+)$/.exec(args[6])?.[1] : null;
      assert.ok(args.length <= 6 || perm, `${file}: cannot read the permission of ${method} ${routePath}: ${args[6]}`);
      routes.push({ file, method, path: routePath, security: SECURITY[security] ?? security, permission: perm ? perm.toUpperCase() : null });
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------

forEachBackend('S3: permission matrix over every signed endpoint', (backend) => {
  let s;
  const cols = [];  // {name, key, apiKey (header; null: none), effective (permissions) | state}
  const users = {};

  before(async () => {
    // TRADE lapses 3 s after creation for keys without an IP allowlist (the lapse test); every
    // matrix key has an allowlist (WITHDRAW needs one anyway), so nothing in the matrix lapses.
    s = await startServer({ backend, extraArgs: ['--demo'], env: { KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS: '3' } });
    // Each user spends three 2FA codes (enable + two), so no one waits for the next 30-second step.
    const tags = ['read-trade', 'convert-transfer', 'withdraw-deposit', 'readonly-ip', 'inactive-disabled',
      'expired-deleted', 'api-off', 'chg-a', 'chg-b', 'chg-c'];
    const made = await Promise.all(tags.map((tag) => userWith2FA(s.url, { tag: `s3-${tag}` })));
    tags.forEach((tag, i) => { users[tag] = made[i]; });
  });
  after(async () => { await s?.stop(); });

  const local = { allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] };
  const hmac = (k) => ({ ...k, type: 'HMAC_SHA256' });
  const make = async (user, label, fields) => hmac(await createKey(s.url, user, { label, ...local, ...fields }));
  const call = (route, key, apiKey) => {
    const [method, p, security] = route;
    const params = PARAMS[`${method} ${p}`]?.() ?? {};
    if (security === 'USER_STREAM') {
      // Key only, no signature (as Binance's USER_STREAM and MARKET_DATA routes).
      const query = new URLSearchParams(params).toString();
      return sendRaw(s.url, method, p, { apiKey: apiKey === undefined ? key.apiKey : apiKey, query });
    }
    return signedRequest(s.url, method, p, key, { params, apiKey });
  };
  const account = (key) => signedRequest(s.url, 'GET', '/api/v3/account', key);

  test('the table lists exactly the signed routes registered in src/api', () => {
    const src = routesInSource();
    assert.ok(src.length > ROUTES.length, `found ${src.length} routes in src/api`);
    const signed = src.filter((r) => ['USER_DATA', 'TRADE', 'USER_STREAM'].includes(r.security));
    const fmt = (r) => `${r.method} ${r.path} ${r.security} ${r.permission ?? '-'}`;
    assert.deepEqual(ROUTES.map(([method, p, security, permission]) => fmt({ method, path: p, security, permission })).sort(),
      signed.map(fmt).sort(), 'ROUTES against the router.add calls in src/api/*.cpp');
    // No route is both secured and in the console's namespace, and each is registered once.
    assert.equal(new Set(signed.map((r) => `${r.method} ${r.path}`)).size, signed.length);
  });

  test(`${ROUTES.length} routes × the callers: allowed cells pass the gatekeeper, denied cells get Binance's refusal`, async (t) => {
    const u = users;
    // One key per single permission.
    const single = {
      READ: await make(u['read-trade'], 'READ', { permissions: ['READ'] }),
      TRADE: await make(u['read-trade'], 'TRADE', { permissions: ['TRADE'] }),
      CONVERT: await make(u['convert-transfer'], 'CONVERT', { permissions: ['CONVERT'] }),
      TRANSFER: await make(u['convert-transfer'], 'TRANSFER', { permissions: ['TRANSFER'] }),
      WITHDRAW: await make(u['withdraw-deposit'], 'WITHDRAW', { permissions: ['WITHDRAW'] }),
      DEPOSIT: await make(u['withdraw-deposit'], 'DEPOSIT', { permissions: ['DEPOSIT'] }),
    };
    const readOnly = await make(u['readonly-ip'], 'read-only, every permission', { permissions: ALL, readOnly: true });
    assert.deepEqual(readOnly.effectivePermissions, ['READ']);
    const otherIp = await make(u['readonly-ip'], 'only 10.0.0.1', { permissions: ALL, ipAllowlist: ['10.0.0.1'] });
    // Keys with every permission, each then put out of service its own way: each works first.
    const full = (user, label, extra = {}) => make(user, label, { permissions: ALL, ...extra });
    const inactive = await full(u['inactive-disabled'], 'inactive');
    const disabled = await full(u['inactive-disabled'], 'disabled by the operator');
    const deleted = await full(u['expired-deleted'], 'deleted');
    const apiOff = await full(u['api-off'], 'API access off');
    // The expiring key last, its 2FA code first (waiting for one must not eat into its life), and
    // checked first: it must be made and shown to work within its life on a slow machine too.
    const totp = await u['expired-deleted'].code();
    const expired = await full(u['expired-deleted'], 'expires', { totp, expiresAt: Date.now() + 5000 });
    for (const key of [expired, inactive, disabled, deleted, apiOff]) assert.equal((await account(key)).status, 200, key.label);
    let r = await request(s.url, 'PATCH', `/console/v1/keys/${inactive.apiKey}`,
      { token: u['inactive-disabled'].token, json: { active: false } });
    assert.equal(r.status, 200, r.text);
    let a = await adminCall(s.dataDir, { cmd: 'key.disable', apiKey: disabled.apiKey });
    assert.ok(a.ok, a.text);
    r = await request(s.url, 'DELETE', `/console/v1/keys/${deleted.apiKey}`, { token: u['expired-deleted'].token });
    assert.equal(r.status, 200, r.text);
    a = await adminCall(s.dataDir, { cmd: 'user.set', email: u['api-off'].email, apiAccess: 'off' });
    assert.ok(a.ok, a.text);
    await sleep(Math.max(0, expired.expiresAt - Date.now()) + 200);

    cols.push({ name: 'no key', key: single.READ, apiKey: null, refusal: BINANCE.keyFormat });
    cols.push({ name: 'read-only (every permission)', key: readOnly, effective: ['READ'] });
    for (const p of ALL) cols.push({ name: p, key: single[p], effective: [p] });
    for (const [name, key] of [['inactive', inactive], ['disabled by the operator', disabled], ['expired', expired],
      ['deleted', deleted], ['API access off', apiOff], ['IP not in the allowlist', otherIp]]) {
      cols.push({ name, key, refusal: BINANCE.keyRejected });
    }

    // The expected cell, from the table.
    const expected = ([, , , permission], col) => {
      if (col.refusal) return col.refusal;
      if (permission === null || col.effective.includes(permission)) return 'allowed';
      return permission === 'WITHDRAW' || permission === 'TRANSFER' ? UNAUTHORIZED : BINANCE.keyRejected;
    };

    // Columns in parallel, each column's routes in order (revoke last).
    const grid = await Promise.all(cols.map(async (col) => {
      const row = [];
      for (const route of ROUTES) {
        const res = await call(route, col.key, col.apiKey);
        row.push(res);
      }
      return row;
    }));

    const problems = [];
    let allowed = 0;
    let denied = 0;
    const lines = [];
    ROUTES.forEach((route, i) => {
      const marks = [];
      cols.forEach((col, j) => {
        const want = expected(route, col);
        const res = grid[j][i];
        const where = `${route[0]} ${route[1]} × ${col.name}`;
        if (want === 'allowed') {
          allowed++;
          marks.push(res.status === 200 ? 'ok' : String(res.body?.code ?? res.status));
          const code = res.body?.code;
          if (res.status === 401 || GATE_CODES.has(code) || (code === -1102 && /'(timestamp|signature)'/.test(res.body.msg)) ||
            !(res.status === 200 || (res.status === 400 && typeof code === 'number'))) {
            problems.push(`${where}: allowed by the table, got ${res.status} ${res.text}`);
          }
        } else {
          denied++;
          marks.push(`×${-want[1]}`);
          const [status, code, msg] = want;
          if (res.status !== status || res.body?.code !== code || res.body?.msg !== msg) {
            problems.push(`${where}: expected ${status} ${code} ${msg}, got ${res.status} ${res.text}`);
          }
        }
      });
      lines.push(`${route[0].padEnd(6)} ${route[1].padEnd(36)} ${marks.join(' ')}`);
    });
    t.diagnostic(`columns: ${cols.map((c) => c.name).join(' | ')}`);
    for (const l of lines) t.diagnostic(l);
    t.diagnostic(`${ROUTES.length} routes × ${cols.length} callers = ${ROUTES.length * cols.length} cells: ` +
      `${allowed} allowed, ${denied} denied`);
    assert.deepEqual(problems, [], 'cells where the server disagrees with the route table');

    // The refusals are in the keys' access logs with their reasons.
    const reasons = async (user, key) => (await keyLog(s.url, user, key.apiKey)).body.entries.map((e) => e.reason);
    assert.ok((await reasons(u['read-trade'], single.TRADE)).includes('key lacks the READ permission'));
    assert.ok((await reasons(u['readonly-ip'], readOnly)).includes('key lacks the TRADE permission (read-only)'));
    assert.ok((await reasons(u['inactive-disabled'], inactive)).every((x) => x === 'key is inactive' || x === ''));
    assert.ok((await reasons(u['expired-deleted'], expired)).includes('key has expired'));
    assert.ok((await reasons(u['api-off'], apiOff)).includes('API access is disabled for this account'));
  });

  test('a changed key fails on its very next request', async () => {
    const ua = users['chg-a'];
    const ub = users['chg-b'];
    const uc = users['chg-c'];
    const ok = async (key, what) => {
      const res = await account(key);
      assert.equal(res.status, 200, `${what}: ${res.text}`);
    };

    // Deactivated in the console (no 2FA code needed to reduce).
    const off = await make(ua, 'to deactivate', { permissions: ALL });
    await ok(off, 'before deactivation');
    const p = await request(s.url, 'PATCH', `/console/v1/keys/${off.apiKey}`, { token: ua.token, json: { active: false } });
    assert.equal(p.status, 200, p.text);
    assertBinance(await account(off), BINANCE.keyRejected);
    assertBinance(await call(ROUTES.find((x) => x[1] === '/api/v3/userDataStream'), off), BINANCE.keyRejected);

    // Disabled by the operator.
    const dis = await make(ua, 'to disable', { permissions: ['READ', 'TRADE'] });
    await ok(dis, 'before the operator disables it');
    const d = await adminCall(s.dataDir, { cmd: 'key.disable', apiKey: dis.apiKey });
    assert.ok(d.ok, d.text);
    assertBinance(await signedRequest(s.url, 'POST', '/api/v3/order/test', dis, { params: order }), BINANCE.keyRejected);

    // Deleted in the console.
    const gone = await make(ub, 'to delete', { permissions: ['READ', 'TRANSFER'] });
    await ok(gone, 'before deletion');
    const del = await request(s.url, 'DELETE', `/console/v1/keys/${gone.apiKey}`, { token: ub.token });
    assert.equal(del.status, 200, del.text);
    assertBinance(await account(gone), BINANCE.keyRejected);

    // TRADE lapses (no allowlist, KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS=3): the next order
    // is refused, reading still works.
    const lapse = hmac(await createKey(s.url, ub, { label: 'lapses', permissions: ['READ', 'TRADE'] }));
    const testOrder = () => signedRequest(s.url, 'POST', '/api/v3/order/test', lapse, { params: order });
    const first = await testOrder();
    assert.equal(first.status, 200, `before the lapse: ${first.text}`);
    await sleep(Math.max(0, lapse.tradingAuthorityExpirationTime - Date.now()) + 200);
    assertBinance(await testOrder(), BINANCE.keyRejected);
    await ok(lapse, 'READ after the TRADE lapse');
    const lapsed = (await keyLog(s.url, ub, lapse.apiKey)).body.entries.map((e) => e.reason);
    assert.ok(lapsed.includes('TRADE lapsed: the key has no IP allowlist'), JSON.stringify(lapsed));

    // Rotated with no grace period: the old secret fails at once, the new one works.
    const rot = await make(uc, 'to rotate', { permissions: ['READ'] });
    await ok(rot, 'before rotation');
    const rr = await request(s.url, 'POST', `/console/v1/keys/${rot.apiKey}/rotate`,
      { token: uc.token, json: { totp: await uc.code(), graceSeconds: 0 } });
    assert.equal(rr.status, 200, rr.text);
    assertBinance(await account(rot), BINANCE.badSignature);
    await ok({ ...rot, secretKey: rr.body.secretKey }, 'the new secret');

    // The user's API access turned off, then on again.
    const rot2 = { ...rot, secretKey: rr.body.secretKey };
    let a = await adminCall(s.dataDir, { cmd: 'user.set', email: uc.email, apiAccess: 'off' });
    assert.ok(a.ok, a.text);
    assertBinance(await account(rot2), BINANCE.keyRejected);
    a = await adminCall(s.dataDir, { cmd: 'user.set', email: uc.email, apiAccess: 'on' });
    assert.ok(a.ok, a.text);
    await ok(rot2, 'API access on again');

    // Revoked by itself.
    const rev = await signedRequest(s.url, 'POST', '/sapi/v1/apikey/revoke', rot2, { body: '' });
    assert.equal(rev.status, 200, rev.text);
    assertBinance(await account(rot2), BINANCE.keyRejected);

    // Narrowed in place with no code: the next request needing the removed permission is refused
    // and what is left still works. Widening back needs a fresh code; refused, it changes nothing.
    const orderRoute = ROUTES.find((x) => x[0] === 'POST' && x[1] === '/api/v3/order');
    const passes = (res) => res.status === 200 || (res.status === 400 && !GATE_CODES.has(res.body?.code));
    const narrowed = await make(ub, 'to narrow', { permissions: ['READ', 'TRADE'], ipAllowlist: ['127.0.0.0/8'] });
    const before = await call(orderRoute, narrowed);
    assert.ok(passes(before), `TRADE before narrowing: ${before.text}`);
    const patch = (json) => request(s.url, 'PATCH', `/console/v1/keys/${narrowed.apiKey}`, { token: ub.token, json });
    let r = await patch({ permissions: ['READ'] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.permissions, ['READ']);
    assertBinance(await call(orderRoute, narrowed), BINANCE.keyRejected);
    await ok(narrowed, 'READ after TRADE was removed');
    assertError(await patch({ permissions: ['READ', 'TRADE'] }), 401, -7200);
    const listed = (await request(s.url, 'GET', '/console/v1/keys', { token: ub.token })).body.keys.find((x) => x.apiKey === narrowed.apiKey);
    assert.deepEqual(listed.permissions, ['READ'], 'a refused PATCH leaves the permissions alone');
    assertBinance(await call(orderRoute, narrowed), BINANCE.keyRejected);
    r = await patch({ permissions: ['READ', 'TRADE'], totp: await ub.code() });
    assert.equal(r.status, 200, r.text);
    const after = await call(orderRoute, narrowed);
    assert.ok(passes(after), `TRADE after widening with a code: ${after.text}`);
    // A narrower allowlist that leaves out the caller's address (no code): the next request is refused.
    r = await patch({ ipAllowlist: ['127.0.0.2'] });
    assert.equal(r.status, 200, r.text);
    assertBinance(await account(narrowed), BINANCE.keyRejected);
  });
});
