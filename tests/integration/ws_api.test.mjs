// The WebSocket API (/ws-api/v3) against the real binary, on every backend: requests signed on their
// own (HMAC over the params sorted by name, raw or percent-encoded values, JSON numbers as written),
// Binance's refusals (bad signature, replay, stale timestamp, missing key, read-only key), logon
// with Ed25519 only and requests without signature after it, logout, the user data stream by
// logon or by signature, ended with eventStreamTerminated when its key is deactivated, and
// malformed frames.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  admin, createKey, forEachBackend, request, startServer, userWith2FA, WsClient, wsUrl,
} from './harness.mjs';

let lastTs = 0;
const timestamp = () => { lastTs = Math.max(Date.now(), lastTs + 1); return lastTs; };

// params in the order given; the signature over them sorted by name (`encode`: values as
// encodeURIComponent writes them). `raw` maps names to JSON text written as is (numbers).
function signedFrame(id, method, key, params, { encode = false, raw = {}, sign, ts } = {}) {
  const all = { apiKey: key.apiKey, ...params, timestamp: ts ?? timestamp() };
  const text = (v) => String(v);
  const payload = Object.keys(all).sort()
    .map((k) => `${k}=${encode ? encodeURIComponent(raw[k] ?? text(all[k])) : (raw[k] ?? text(all[k]))}`).join('&');
  let signature;
  if (sign) signature = sign(payload);
  else if (key.secretKey) signature = crypto.createHmac('sha256', key.secretKey).update(payload).digest('hex');
  else signature = crypto.sign(null, Buffer.from(payload), key.privateKey).toString('base64');
  const fields = Object.entries({ ...all, signature })
    .map(([k, v]) => `${JSON.stringify(k)}:${raw[k] ?? JSON.stringify(v)}`).join(',');
  return `{"id":${JSON.stringify(id)},"method":"${method}","params":{${fields}}}`;
}

forEachBackend('WebSocket API', (backend) => {
  let s;
  let user;
  let hmac;
  let ed;
  let readOnly;
  let ws;
  let n = 0;
  const ask = async (frame, id) => {
    ws.send(frame);
    const m = await ws.next((d) => d.id === id);
    assert.ok(m, `an answer to ${id}`);
    return m.data;
  };
  const call = (method, key, params, opts) => { const id = `r${++n}`; return ask(signedFrame(id, method, key, params, opts), id); };
  const unsigned = (method, params = {}) => { const id = `u${++n}`; return ask(JSON.stringify({ id, method, params }), id); };

  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    user = await userWith2FA(s.url, { tag: 'ws-api' });
    hmac = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
    ed = await createKey(s.url, user, { type: 'ED25519', permissions: ['READ', 'TRADE'] });
    readOnly = await createKey(s.url, user, { permissions: ['READ'] });
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '10000']);
    assert.equal(dep.code, 0, dep.stderr);
    ws = await WsClient.open(wsUrl(s.url, '/ws-api/v3'));
  });
  after(async () => { ws?.close(); await s?.stop(); });

  test('a request signed on its own runs as its REST route, with rateLimits', async () => {
    const r = await call('order.place', hmac, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      quantity: '0.01', price: '50000', newClientOrderId: 'wsapi-1' });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.result.status, 'NEW');
    assert.equal(r.result.clientOrderId, 'wsapi-1');
    assert.deepEqual(r.rateLimits.map((l) => l.rateLimitType).sort(), ['ORDERS', 'ORDERS', 'REQUEST_WEIGHT']);
    // Values as clients percent-encode them when signing, and JSON numbers as written.
    const colon = await call('order.place', hmac, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      quantity: '0.01', price: '50000', newClientOrderId: 'bot:a/1' }, { encode: true });
    assert.equal(colon.status, 200, JSON.stringify(colon));
    assert.equal(colon.result.clientOrderId, 'bot:a/1');
    const numbers = await call('order.place', hmac, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      quantity: 0, price: 0 }, { raw: { quantity: '0.010', price: '49000.50' } });
    assert.equal(numbers.status, 200, JSON.stringify(numbers));
    assert.equal(numbers.result.price, '49000.50000000');
    assert.equal(numbers.result.origQty, '0.01000000');
    const status = await call('order.status', hmac, { symbol: 'BTCUSDT', origClientOrderId: 'wsapi-1' });
    assert.equal(status.result.orderId, r.result.orderId);
    const account = await call('account.status', hmac, {});
    assert.deepEqual(account.result.balances.find((b) => b.asset === 'USDT'),
      { asset: 'USDT', free: '8509.99500000', locked: '1490.00500000' });
    const depth = await unsigned('depth', { symbol: 'BTCUSDT', limit: 5 });
    assert.equal(depth.status, 200);
    assert.equal(depth.result.bids[0][0], '50000.00000000');
    assert.equal((await unsigned('ping')).status, 200);
    assert.equal(typeof (await unsigned('time')).result.serverTime, 'number');
  });

  test('Binance\'s refusals: signature, replay, timestamp, missing or weak key', async () => {
    const bad = await call('account.status', hmac, {}, { sign: () => '0'.repeat(64) });
    assert.deepEqual([bad.status, bad.error.code], [400, -1022]);
    const frame = signedFrame('replay-1', 'account.status', hmac, {});
    assert.equal((await ask(frame, 'replay-1')).status, 200);
    ws.messages.length = 0;
    const again = await ask(frame, 'replay-1');
    assert.deepEqual([again.status, again.error.code, again.error.msg], [400, -1022, 'Signature for this request was already used.']);
    const old = await call('account.status', hmac, { recvWindow: 5000 }, { ts: Date.now() - 120_000 });
    assert.deepEqual([old.status, old.error.code], [400, -1021]);
    const none = await unsigned('account.status');
    assert.deepEqual([none.status, none.error.code], [401, -2014]);
    const weak = await call('order.place', readOnly, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      quantity: '0.01', price: '50000' });
    assert.deepEqual([weak.status, weak.error.code], [401, -2015]);
    const unknown = await unsigned('order.teleport');
    assert.deepEqual([unknown.status, unknown.error.code], [400, -1102]);
    ws.send('{"id": 1, "method": ');
    const broken = await ws.next((d) => d.id === null && d.status === 400);
    assert.equal(broken.data.error.code, -7006);
  });

  test('session.logon with Ed25519 only; then no signature is needed until logout', async () => {
    const refused = await call('session.logon', hmac, {});
    assert.deepEqual([refused.status, refused.error.code], [401, -1002]);
    const logon = await call('session.logon', ed, {});
    assert.equal(logon.status, 200, JSON.stringify(logon));
    assert.equal(logon.result.apiKey, ed.apiKey);
    assert.equal(typeof logon.result.authorizedSince, 'number');
    const placed = await unsigned('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
      quantity: '0.001', price: '40000', timestamp: Date.now() });
    assert.equal(placed.status, 200, JSON.stringify(placed));
    const stale = await unsigned('account.status', { timestamp: Date.now() - 120_000 });
    assert.equal(stale.error.code, -1021, 'the timestamp window still applies');
    const status = await unsigned('session.status');
    assert.equal(status.result.apiKey, ed.apiKey);
    await unsigned('session.logout');
    const after = await unsigned('account.status', { timestamp: Date.now() });
    assert.deepEqual([after.status, after.error.code], [401, -2014]);
  });

  test('the user data stream needs READ, by signature and after logon (-2015)', async () => {
    // A key that may trade but not read must not see the account's events. (A user of its own:
    // each key takes a fresh TOTP code, and a new user has codes to spare without waiting.)
    const other = await userWith2FA(s.url, { tag: 'ws-api-noread' });
    const tradeOnly = await createKey(s.url, other, { permissions: ['TRADE'] });
    const edTradeOnly = await createKey(s.url, other, { type: 'ED25519', permissions: ['TRADE'] });
    const conn = await WsClient.open(wsUrl(s.url, '/ws-api/v3'));
    try {
      conn.send(signedFrame('sig', 'userDataStream.subscribe.signature', tradeOnly, {}));
      const bySignature = (await conn.next((d) => d.id === 'sig')).data;
      assert.equal(bySignature.error?.code, -2015, JSON.stringify(bySignature));
      conn.send(signedFrame('logon', 'session.logon', edTradeOnly, {}));
      assert.equal((await conn.next((d) => d.id === 'logon')).data.status, 200, 'a TRADE key may log on');
      conn.send(JSON.stringify({ id: 'sub', method: 'userDataStream.subscribe' }));
      const afterLogon = (await conn.next((d) => d.id === 'sub')).data;
      assert.equal(afterLogon.error?.code, -2015, JSON.stringify(afterLogon));
    } finally {
      conn.close();
    }
  });

  test('the user data stream by signature ends when its key is deactivated', async () => {
    const key = hmac;  // the last test: this key is deactivated at its end
    const conn = await WsClient.open(wsUrl(s.url, '/ws-api/v3'));
    try {
      conn.send(signedFrame('sub', 'userDataStream.subscribe.signature', key, {}));
      const sub = await conn.next((d) => d.id === 'sub');
      assert.equal(sub.data.status, 200, JSON.stringify(sub.data));
      const id = sub.data.result.subscriptionId;
      const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '1']);
      assert.equal(dep.code, 0, dep.stderr);
      const ev = await conn.next((d) => d.subscriptionId === id && d.event.e === 'balanceUpdate');
      assert.ok(ev, 'balanceUpdate wrapped with its subscriptionId');
      assert.equal(ev.data.event.d, '1.00000000');
      const off = await request(s.url, 'PATCH', `/console/v1/keys/${key.apiKey}`, { token: user.token, json: { active: false } });
      assert.equal(off.status, 200, off.text);
      const ended = await conn.next((d) => d.subscriptionId === id && d.event.e === 'eventStreamTerminated', { ms: 3000 });
      assert.ok(ended, 'eventStreamTerminated');
      // A subscription by logon needs a logged-on session.
      conn.send(JSON.stringify({ id: 'nolog', method: 'userDataStream.subscribe' }));
      assert.equal((await conn.next((d) => d.id === 'nolog')).data.error.code, -2015);
    } finally {
      conn.close();
    }
  });
});
