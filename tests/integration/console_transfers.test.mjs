// The console's list of internal transfers (GET /console/v1/transfers): the signed-in user's own
// transfers, sent and received, newest first, with direction, the other party's uid, amount and
// ids; a third user sees none of them (object-level authorization), and without a session: 401.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, createKey, forEachBackend, request, signedRequest, sleep, startServer, userWith2FA,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });

forEachBackend('console: internal transfers', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend, extraArgs: ['--demo'] }); });  // --demo: its coins
  after(async () => { await s?.stop(); });

  const list = (user) => request(s.url, 'GET', '/console/v1/transfers', { token: user.token });

  test('each user sees only their own transfers, with direction and the other party', async () => {
    const a = await userWith2FA(s.url, { tag: 'ct-from' });
    const b = await userWith2FA(s.url, { tag: 'ct-to' });
    const c = await userWith2FA(s.url, { tag: 'ct-other' });
    const ka = hmac(await createKey(s.url, a, { permissions: ['READ', 'TRANSFER'] }));
    const kb = hmac(await createKey(s.url, b, { permissions: ['READ', 'TRANSFER'] }));
    for (const u of [a, b]) {
      const dep = await admin(s.dataDir, ['deposit', '--email', u.email, '--asset', 'USDT', '--amount', '100']);
      assert.equal(dep.code, 0, dep.stderr);
    }
    const credited = async (key) => (await signedRequest(s.url, 'GET', '/api/v3/account', key)).body?.balances
      ?.some((x) => x.asset === 'USDT' && x.free === '100.00000000');
    for (let i = 0; i < 50 && !((await credited(ka)) && (await credited(kb))); i++) await sleep(100);
    assert.ok((await credited(ka)) && (await credited(kb)), 'both deposits are credited');

    // Nothing yet, for anyone.
    for (const u of [a, b, c]) {
      const r = await list(u);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { transfers: [] });
    }

    const send = async (key, params) => {
      const r = await signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', key, { body: params });
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const t1 = await send(ka, { toEmail: b.email, asset: 'USDT', amount: '30', clientTranId: 'rent-1' });
    const t2 = await send(kb, { toUid: String(a.uid), asset: 'USDT', amount: '0.25', clientTranId: 'back-1' });
    const t3 = await send(ka, { toUid: String(b.uid), asset: 'USDT', amount: '1.5' });

    const mine = await list(a);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.transfers.length, 3);
    const row = mine.body.transfers[0];
    assert.deepEqual(Object.keys(row).sort(),
      ['amount', 'asset', 'clientTranId', 'counterpartyUid', 'direction', 'time', 'tranId']);
    assert.ok(Math.abs(row.time - Date.now()) < 60000, `time ${row.time}`);
    const brief = (r) => [r.tranId, r.direction, r.counterpartyUid, r.asset, r.amount, r.clientTranId];
    assert.deepEqual(mine.body.transfers.map(brief), [
      [t3.tranId, 'OUT', b.uid, 'USDT', '1.50000000', t3.clientTranId],
      [t2.tranId, 'IN', b.uid, 'USDT', '0.25000000', 'back-1'],
      [t1.tranId, 'OUT', b.uid, 'USDT', '30.00000000', 'rent-1'],
    ]);
    assert.match(t3.clientTranId, /^kg-/, 'a generated clientTranId is listed too');

    const theirs = await list(b);
    assert.equal(theirs.status, 200, theirs.text);
    assert.deepEqual(theirs.body.transfers.map(brief), [
      [t3.tranId, 'IN', a.uid, 'USDT', '1.50000000', t3.clientTranId],
      [t2.tranId, 'OUT', a.uid, 'USDT', '0.25000000', 'back-1'],
      [t1.tranId, 'IN', a.uid, 'USDT', '30.00000000', 'rent-1'],
    ]);

    // The same rows as the API's own history, seen from a's key.
    const api = await signedRequest(s.url, 'GET', '/sapi/v1/transfer/internal/history', ka);
    assert.deepEqual(api.body.rows.map((r) => [r.tranId, r.direction, r.amount, r.timestamp]),
      mine.body.transfers.map((r) => [r.tranId, r.direction, r.amount, r.time]));

    // A third user, and no session at all: none of it.
    const other = await list(c);
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.body, { transfers: [] });
    assertError(await request(s.url, 'GET', '/console/v1/transfers'), 401, -7100);
    assertError(await request(s.url, 'GET', '/console/v1/transfers', { token: 'kgs_not-a-session' }), 401, -7100);
  });
});
