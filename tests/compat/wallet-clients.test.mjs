// keygate's wallet endpoints through the unmodified official @binance/connector: coins and
// networks, deposit address and history, withdraw and its history, as a Binance bot calls them.
// Run with scripts/compat.sh.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, after, test } from 'node:test';
import {
  admin, forEachBackend, rejection, request, sleep, startServer, userWith2FA, createKey, withoutProxies,
} from '../integration/harness.mjs';

const require = createRequire(import.meta.url);
const { Spot } = require('@binance/connector');

withoutProxies();


forEachBackend('official Binance client: wallet endpoints', (backend) => {
  let s;
  let u;
  let key;
  let readOnly;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], env: { KEYGATE_WALLET_WITHDRAW_DELAY_MS: '200', KEYGATE_WALLET_CHAIN_TICK_MS: '50' } });
    u = await userWith2FA(s.url, { tag: 'compat-wallet' });
    key = await createKey(s.url, u, { permissions: ['READ', 'DEPOSIT', 'WITHDRAW'], allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] });
    const off = await request(s.url, 'PUT', '/console/v1/settings',
      { token: u.token, json: { withdrawWhitelistOnly: false, totp: await u.code() } });
    assert.equal(off.status, 200, off.text);
    readOnly = await createKey(s.url, u, { permissions: ['READ'] });
  });
  after(async () => { await s?.stop(); });

  const client = (k) => new Spot(k.apiKey, k.secretKey, { baseURL: s.url, timeout: 10000 });

  test('coinInfo, depositAddress, depositHistory, withdraw, withdrawHistory', async () => {
    const c = client(key);
    const coins = (await c.coinInfo()).data;
    const usdt = coins.find((x) => x.coin === 'USDT');
    assert.deepEqual(usdt.networkList.map((n) => n.network), ['TRX', 'ETH']);
    assert.equal(usdt.networkList[0].withdrawFee, '1.00000000');

    const addr = (await c.depositAddress('usdt', { network: 'TRX' })).data;
    assert.equal(addr.coin, 'USDT');
    assert.match(addr.address, /^T/);
    const dep = await admin(s.dataDir, ['deposit', '--address', addr.address, '--asset', 'USDT', '--amount', '250', '--txid', 'compat-tx-1']);
    assert.equal(dep.code, 0, dep.stderr);
    const hist = (await c.depositHistory({ coin: 'USDT' })).data;
    assert.equal(hist.length, 1);
    assert.equal(hist[0].txId, 'compat-tx-1');
    assert.equal(hist[0].status, 1);
    assert.equal(hist[0].amount, '250.00000000');

    const target = `T${'A'.repeat(33)}`;
    const w = (await c.withdraw('usdt', target, 100, { network: 'TRX', withdrawOrderId: 'compat-w-1' })).data;
    assert.equal(typeof w.id, 'string');
    const again = (await c.withdraw('usdt', target, 100, { network: 'TRX', withdrawOrderId: 'compat-w-1' })).data;
    assert.equal(again.id, w.id, 'the same withdrawOrderId: the first withdrawal');
    let row;
    for (let i = 0; i < 50; i += 1) {
      [row] = (await c.withdrawHistory({ coin: 'USDT', withdrawOrderId: 'compat-w-1' })).data;
      if (row.status === 6) break;
      await sleep(100);
    }
    assert.equal(row.id, w.id);
    assert.equal(row.status, 6);
    assert.equal(row.amount, '100.00000000');
    assert.equal(row.transactionFee, '1.00000000');
    const account = (await c.account()).data;
    assert.equal(account.balances.find((b) => b.asset === 'USDT').free, '149.00000000');
    assert.equal(account.canWithdraw, true);
    assert.equal(account.canDeposit, true);

    // The client surfaces keygate's refusals as Binance errors.
    const tooMuch = await rejection(c.withdraw('usdt', target, 1000, { network: 'TRX' }));
    assert.equal(tooMuch.response.status, 400);
    assert.equal(tooMuch.response.data.code, -2010);
    const noPerm = await rejection(client(readOnly).withdraw('usdt', target, 10, { network: 'TRX' }));
    assert.equal(noPerm.response.status, 401);
    assert.equal(noPerm.response.data.code, -1002);
  });
});
