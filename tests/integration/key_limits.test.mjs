// Rate limits an owner sets on one key, below the account's and the IP's, on every backend:
// lowering needs no 2FA code, raising or removing does; over a key's order limit its orders get
// 429 -1015 with Retry-After, over its weight limit every signed request gets 429 -1003; the
// refusal is in the key's access log; the account's other keys are not affected.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, createKey, forEachBackend, keyLog, listKeys, request, signedRequest, sleep, startServer,
  userWith2FA,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
const putLimits = (s, user, key, body) =>
  request(s.url, 'PUT', `/console/v1/keys/${key.apiKey}/limits`, { token: user.token, json: body });

// Waits until at least `room` ms are left in the current clock-aligned window of `windowMs`.
async function windowWithRoom(windowMs, room) {
  while (windowMs - (Date.now() % windowMs) < room) await sleep(50);
}

forEachBackend('per-key rate limits', (backend) => {
  let s;
  let user;
  let key;
  let other;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    user = await userWith2FA(s.url, { tag: 'key-limits' });
    key = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
    other = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '10000']);
    assert.equal(dep.code, 0, dep.stderr);
  });
  after(async () => { await s?.stop(); });

  const order = (k, i) => signedRequest(s.url, 'POST', '/api/v3/order', hmac(k), { params: {
    symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: String(40000 + i),
    newOrderRespType: 'ACK' } });

  test('orders beyond a key\'s own limit are refused with -1015; its other keys are not', async () => {
    const set = await putLimits(s, user, key, { ordersPer10s: 2 });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body, { ordersPer10s: 2, weightPerMinute: null });
    const listed = (await listKeys(s.url, user)).body.keys.find((k) => k.apiKey === key.apiKey);
    assert.deepEqual(listed.limits, { ordersPer10s: 2, weightPerMinute: null });

    await windowWithRoom(10_000, 4_000);
    assert.equal((await order(key, 1)).status, 200);
    assert.equal((await order(key, 2)).status, 200);
    const third = await order(key, 3);
    assertError(third, 429, -1015, 'Too many new orders; this API key\'s own limit is 2 orders per 10 SECOND.');
    assert.ok(Number(third.headers['retry-after']) >= 1 && Number(third.headers['retry-after']) <= 10, third.headers['retry-after']);
    assert.equal((await order(other, 4)).status, 200, 'another key of the account has no such limit');
    const log = (await keyLog(s.url, user, key.apiKey)).body.entries;
    assert.ok(log.some((e) => e.status === 429 && /-1015/.test(e.reason)), JSON.stringify(log.slice(0, 3)));
    const open = await signedRequest(s.url, 'GET', '/api/v3/openOrders', hmac(other), { params: { symbol: 'BTCUSDT' } });
    assert.equal(open.body.length, 3, 'the refused order was not placed');
  });

  test('raising or removing a limit needs a fresh code; lowering does not', async () => {
    assertError(await putLimits(s, user, key, { ordersPer10s: 10 }), 401, -7200);
    assertError(await putLimits(s, user, key, { ordersPer10s: null }), 401, -7200);
    const raised = await putLimits(s, user, key, { ordersPer10s: 10, totp: await user.code() });
    assert.equal(raised.status, 200, raised.text);
    const lowered = await putLimits(s, user, key, { ordersPer10s: 10, weightPerMinute: 40 });
    assert.equal(lowered.status, 200, lowered.text);
    assertError(await putLimits(s, user, key, { ordersPer10s: -1 }), 400, -1102);
    assertError(await putLimits(s, user, key, { ordersPer10s: 1, extra: 1 }), 400, -1104);
    const foreign = await userWith2FA(s.url, { tag: 'key-limits-b' });
    const notMine = await request(s.url, 'PUT', `/console/v1/keys/${key.apiKey}/limits`,
      { token: foreign.token, json: { ordersPer10s: 1 } });
    assert.equal(notMine.status, 404, notMine.text);
  });

  test('weight beyond a key\'s own limit is refused with -1003', async () => {
    await windowWithRoom(60_000, 10_000);
    const account = (k) => signedRequest(s.url, 'GET', '/api/v3/account', hmac(k));
    // Weight 20 each against 40 a minute: one or two pass (the orders above may share the minute).
    let passed = 0;
    let refused;
    for (let i = 0; i < 4 && !refused; i++) {
      const r = await account(key);
      if (r.status === 200) passed += 1; else refused = r;
    }
    assert.ok(passed >= 1 && passed <= 2, `${passed} passed`);
    assertError(refused, 429, -1003, 'Too much request weight used; this API key\'s own limit is 40 request weight per 1 MINUTE.');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal((await account(other)).status, 200);
  });
});
