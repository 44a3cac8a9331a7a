// The ledger through the server: deposits from the simulated chain (operator command), balances
// on GET /api/v3/account, exactly once per txid, durable across a restart, and the reconciliation
// of `keygate admin ledger verify`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, createKey, forEachBackend, signedRequest, startServer, userWith2FA,
} from './harness.mjs';

const balancesOf = async (url, key) => {
  const r = await signedRequest(url, 'GET', '/api/v3/account', key);
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.body.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
};

forEachBackend('ledger: deposits, balances, verify', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend, extraArgs: ['--demo'] }); });
  after(async () => { await s?.stop(); });

  test('a deposit is credited once per txid and shows in the account; verify holds', async () => {
    const u = await userWith2FA(s.url, { tag: 'ledger' });
    const k = await createKey(s.url, u);
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };

    // Every configured asset is listed, at zero, before any deposit.
    let b = await balancesOf(s.url, key);
    assert.deepEqual(Object.keys(b).sort(), ['BTC', 'ETH', 'USDT', 'XRP']);
    assert.deepEqual(b.BTC, { free: '0.00000000', locked: '0.00000000' });

    const dep = (args) => admin(s.dataDir, ['deposit', '--email', u.email, ...args]);
    let r = await dep(['--asset', 'BTC', '--amount', '1.5', '--txid', `tx-${u.email}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /credited 1\.50000000 BTC/);
    // The same chain transaction again: nothing changes.
    r = await dep(['--asset', 'BTC', '--amount', '1.5', '--txid', `tx-${u.email}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already credited/);
    r = await dep(['--asset', 'USDT', '--amount', '250.12345678']);
    assert.equal(r.code, 0, r.stderr);

    b = await balancesOf(s.url, key);
    assert.deepEqual(b.BTC, { free: '1.50000000', locked: '0.00000000' });
    assert.deepEqual(b.USDT, { free: '250.12345678', locked: '0.00000000' });

    // Bad deposits change nothing and say why.
    for (const [args, why] of [
      [['--asset', 'DOGE', '--amount', '1'], /Unknown asset 'DOGE'/],
      [['--asset', 'BTC', '--amount', '0'], /positive decimal/],
      [['--asset', 'BTC', '--amount', '0.000000001'], /at most 8 places/],
      [['--asset', 'BTC', '--amount', '-1'], /positive decimal/],
    ]) {
      r = await dep(args);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, why);
    }
    assert.deepEqual((await balancesOf(s.url, key)).BTC, { free: '1.50000000', locked: '0.00000000' });

    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /ok: every balance equals its journal/);
    // ASSET USERS_FREE USERS_LOCKED FEES PENDING_WITHDRAWAL DESK EXTERNAL (the demo's desk holds 100 BTC)
    assert.match(v.stdout, /^BTC\s+\S+\s+0\.00000000\s+0\.00000000\s+0\.00000000\s+100\.00000000\s+-\S+$/m);
  });

  test('internal transfer: TRANSFER permission, exactly once per clientTranId, history, verify', async () => {
    const a = await userWith2FA(s.url, { tag: 'from' });
    const b = await userWith2FA(s.url, { tag: 'to' });
    const ka = await createKey(s.url, a, { permissions: ['READ', 'TRANSFER'] });
    const kaRead = await createKey(s.url, a, { permissions: ['READ'] });
    const kb = await createKey(s.url, b, { permissions: ['READ'] });
    const keyA = { apiKey: ka.apiKey, type: 'HMAC_SHA256', secretKey: ka.secretKey };
    const keyARead = { apiKey: kaRead.apiKey, type: 'HMAC_SHA256', secretKey: kaRead.secretKey };
    const keyB = { apiKey: kb.apiKey, type: 'HMAC_SHA256', secretKey: kb.secretKey };
    const dep = await admin(s.dataDir, ['deposit', '--email', a.email, '--asset', 'USDT', '--amount', '100']);
    assert.equal(dep.code, 0, dep.stderr);
    const send = (key, params) => signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', key, { body: params });

    let r = await send(keyA, { toEmail: b.email, asset: 'USDT', amount: '30', clientTranId: 'rent-1' });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.body.tranId, 'number');
    const tranId = r.body.tranId;
    // The same clientTranId again: the first answer, no second transfer.
    r = await send(keyA, { toEmail: b.email, asset: 'USDT', amount: '30', clientTranId: 'rent-1' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.tranId, tranId);
    // The same clientTranId with other parameters is refused.
    r = await send(keyA, { toEmail: b.email, asset: 'USDT', amount: '31', clientTranId: 'rent-1' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.code, -7413);
    // By uid too.
    r = await send(keyA, { toUid: String(b.uid), asset: 'USDT', amount: '0.5' });
    assert.equal(r.status, 200, r.text);

    const refused = [
      [keyARead, { toEmail: b.email, asset: 'USDT', amount: '1' }, 401, -1002],  // no TRANSFER permission
      [keyA, { toEmail: b.email, asset: 'USDT', amount: '1000' }, 400, -2010],  // more than the balance
      [keyA, { toEmail: 'nobody@example.com', asset: 'USDT', amount: '1' }, 400, -7411],
      [keyA, { toUid: '999999', asset: 'USDT', amount: '1' }, 400, -7411],
      [keyA, { toEmail: a.email, asset: 'USDT', amount: '1' }, 400, -7412],
      [keyA, { toEmail: b.email, asset: 'DOGE', amount: '1' }, 400, -7410],
      [keyA, { toEmail: b.email, asset: 'USDT', amount: '-1' }, 400, -1102],
      [keyA, { toEmail: b.email, toUid: String(b.uid), asset: 'USDT', amount: '1' }, 400, -1128],
      [keyA, { toEmail: b.email, asset: 'USDT', amount: '1', clientTranId: 'bad id!' }, 400, -1100],
    ];
    for (const [key, params, status, code] of refused) {
      r = await send(key, params);
      assert.equal(r.status, status, `${JSON.stringify(params)}: ${r.text}`);
      assert.equal(r.body.code, code, `${JSON.stringify(params)}: ${r.text}`);
    }

    assert.deepEqual((await balancesOf(s.url, keyA)).USDT, { free: '69.50000000', locked: '0.00000000' });
    assert.deepEqual((await balancesOf(s.url, keyB)).USDT, { free: '30.50000000', locked: '0.00000000' });

    const hist = await signedRequest(s.url, 'GET', '/sapi/v1/transfer/internal/history', keyB);
    assert.equal(hist.status, 200, hist.text);
    assert.equal(hist.body.total, 2);
    assert.deepEqual(hist.body.rows.map((x) => [x.direction, x.amount, x.fromUid]),
      [['IN', '0.50000000', a.uid], ['IN', '30.00000000', a.uid]]);
    const mine = await signedRequest(s.url, 'GET', '/sapi/v1/transfer/internal/history', keyA);
    assert.ok(mine.body.rows.every((x) => x.direction === 'OUT'), mine.text);

    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stderr);
  });

  test('concurrent transfers: one clientTranId moves money once, and none overdraws', async () => {
    const a = await userWith2FA(s.url, { tag: 'burst-from' });
    const b = await userWith2FA(s.url, { tag: 'burst-to' });
    const ka = await createKey(s.url, a, { permissions: ['READ', 'TRANSFER'] });
    const kb = await createKey(s.url, b, { permissions: ['READ'] });
    const keyA = { apiKey: ka.apiKey, type: 'HMAC_SHA256', secretKey: ka.secretKey };
    const keyB = { apiKey: kb.apiKey, type: 'HMAC_SHA256', secretKey: kb.secretKey };
    const dep = await admin(s.dataDir, ['deposit', '--email', a.email, '--asset', 'USDT', '--amount', '30']);
    assert.equal(dep.code, 0, dep.stderr);
    const send = (id) => signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', keyA,
      { body: { toEmail: b.email, asset: 'USDT', amount: '1', clientTranId: id } });

    // The same clientTranId 8 times at once (each signed with its own timestamp): one transfer,
    // and every answer names it.
    const dups = await Promise.all(Array.from({ length: 8 }, () => send('burst-dup')));
    for (const r of dups) assert.equal(r.status, 200, r.text);
    assert.equal(new Set(dups.map((r) => r.body.tranId)).size, 1, JSON.stringify(dups.map((r) => r.body)));
    assert.deepEqual((await balancesOf(s.url, keyA)).USDT, { free: '29.00000000', locked: '0.00000000' });

    // 40 distinct transfers of 1 at once against 29: exactly 29 land, the rest are -2010.
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => send(`burst-${i}`)));
    const landed = burst.filter((r) => r.status === 200);
    const refused = burst.filter((r) => r.status !== 200);
    assert.equal(landed.length, 29, burst.map((r) => r.text).join('\n'));
    for (const r of refused) assert.equal(r.body.code, -2010, r.text);
    assert.equal(new Set(landed.map((r) => r.body.tranId)).size, 29);
    assert.deepEqual((await balancesOf(s.url, keyA)).USDT, { free: '0.00000000', locked: '0.00000000' });
    assert.deepEqual((await balancesOf(s.url, keyB)).USDT, { free: '30.00000000', locked: '0.00000000' });
    // Every 200 is in the history, and nothing else is.
    const hist = await signedRequest(s.url, 'GET', '/sapi/v1/transfer/internal/history', keyB,
      { params: { limit: 100 } });
    assert.equal(hist.status, 200, hist.text);
    assert.equal(hist.body.total, 30);
    assert.deepEqual(new Set(hist.body.rows.map((x) => x.tranId)),
      new Set([dups[0].body.tranId, ...landed.map((r) => r.body.tranId)]));
    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stderr);
  });

  test('the demo user starts with 10,000 USDT', async () => {
    assert.match(s.stdoutLines.join('\n'), /10,000 USDT deposited/);
  });
});

forEachBackend('ledger: durable across a restart', (backend) => {
  test('balances and the txid memory survive SIGTERM and a new start', async () => {
    const start = (from) => startServer({ backend, extraArgs: ['--demo'], ...(from
      ? { dataDir: from.dataDir, dbUrl: from.dbUrl, adopt: true } : {}) });
    const first = await start();
    const u = await userWith2FA(first.url, { tag: 'restart' });
    let r = await admin(first.dataDir, ['deposit', '--email', u.email, '--asset', 'ETH', '--amount', '2', '--txid', 'eth-1']);
    assert.equal(r.code, 0, r.stderr);
    await first.stop({ keep: true });

    const second = await start(first);
    try {
      r = await admin(second.dataDir, ['deposit', '--email', u.email, '--asset', 'ETH', '--amount', '2', '--txid', 'eth-1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /already credited/, 'the txid is remembered across restarts');
      const k = await createKey(second.url, u);  // the session survived the restart too
      const b = await balancesOf(second.url, { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
      assert.deepEqual(b.ETH, { free: '2.00000000', locked: '0.00000000' });
      const v = await admin(second.dataDir, ['ledger', 'verify']);
      assert.equal(v.code, 0, v.stderr);
    } finally {
      await second.stop();
    }
  });
});
