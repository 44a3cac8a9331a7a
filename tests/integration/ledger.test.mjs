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
    assert.match(v.stdout, /^BTC\s+\S+\s+0\.00000000\s+0\.00000000\s+0\.00000000\s+-\S+$/m);
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
