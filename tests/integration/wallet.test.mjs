// The wallet through the server: coins and networks, deposit addresses, chain deposits with
// confirmations, withdrawals to the address book (cooling-off, address management, per-key
// addresses and daily caps, idempotency, operator approval, the simulated chain completing or
// returning them), and object-level authorization (S1) and withdrawal controls (S5).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, codesReady, createKey, forEachBackend, keyLog, request, signedRequest, sleep, startServer,
  until, userWith2FA,
} from './harness.mjs';

const WALLET_ENV = {
  KEYGATE_WALLET_CONFIRMATIONS: '2',
  KEYGATE_WALLET_BLOCK_MS: '300',
  KEYGATE_WALLET_WITHDRAW_DELAY_MS: '400',
  KEYGATE_WALLET_CHAIN_TICK_MS: '50',
  KEYGATE_WALLET_ADDRESS_COOLOFF_SECONDS: '2',
};

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
const ETH_ADDRESS = (n) => `0x${String(n).padStart(40, 'a')}`;


forEachBackend('wallet: deposits and withdrawals', (backend) => {
  let s;
  // Users made up front: their third and fourth 2FA codes come due while the first tests run.
  let wdUser;
  let capsUser;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], env: WALLET_ENV });
    wdUser = await userWith2FA(s.url, { tag: 'wd' });
    capsUser = await userWith2FA(s.url, { tag: 'caps' });
  });
  after(async () => { await s?.stop(); });

  const get = (key, path, params = {}) => signedRequest(s.url, 'GET', path, key, { params });
  const post = (key, path, params = {}) => signedRequest(s.url, 'POST', path, key, { params });
  const balance = async (key, asset) => {
    const r = await get(key, '/api/v3/account');
    assert.equal(r.status, 200, r.text);
    return r.body.balances.find((b) => b.asset === asset);
  };
  const deposit = (args) => admin(s.dataDir, ['deposit', ...args]);
  const book = (user, json) => request(s.url, 'POST', '/console/v1/withdraw-addresses', { token: user.token, json });

  test('coins and networks, deposit addresses, confirmations, hisrec', async () => {
    const u = await userWith2FA(s.url, { tag: 'dep' });
    const dep = hmac(await createKey(s.url, u, { permissions: ['DEPOSIT'] }));
    const read = hmac(await createKey(s.url, u, { permissions: ['READ'] }));

    // Addresses in each network's style, stable per user and network.
    const btc = await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'BTC' });
    assert.equal(btc.status, 200, btc.text);
    assert.match(btc.body.address, /^bc1q[a-z0-9]{38}$/);
    assert.deepEqual(Object.keys(btc.body).sort(), ['address', 'coin', 'tag', 'url']);
    assert.equal((await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'BTC', network: 'BTC' })).body.address,
      btc.body.address);
    const xrp = (await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'XRP' })).body;
    assert.match(xrp.address, /^r/);
    assert.match(xrp.tag, /^[1-9][0-9]{8}$/);
    const usdt = (await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'USDT' })).body;
    assert.match(usdt.address, /^T[1-9A-HJ-NP-Za-km-z]{33}$/);  // TRC20 is USDT's default network
    const usdtEth = (await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'USDT', network: 'ETH' })).body;
    const eth = (await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'ETH' })).body;
    assert.match(eth.address, /^0x[0-9a-f]{40}$/);
    assert.equal(usdtEth.address, eth.address, 'one address per network, as on Binance');

    assertError(await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'DOGE' }), 400, -7410);
    assertError(await get(dep, '/sapi/v1/capital/deposit/address', { coin: 'USDT', network: 'BSC' }), 400, -7414);
    assertError(await get(dep, '/sapi/v1/capital/deposit/address', {}), 400, -1102);
    // A key without DEPOSIT gets Binance's answer.
    assertError(await get(read, '/sapi/v1/capital/deposit/address', { coin: 'BTC' }), 401, -2015);

    // A chain transaction to the address: pending until 2 confirmations (300 ms blocks).
    const txid = `tx-${u.email}`;
    let r = await deposit(['--address', btc.body.address, '--asset', 'BTC', '--amount', '0.5', '--txid', txid]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pending, credited after 2 confirmations/);
    const pending = (await get(read, '/sapi/v1/capital/deposit/hisrec', { coin: 'BTC' })).body;
    if (pending[0].status === 0) {
      assert.match(pending[0].confirmTimes, /^[01]\/2$/);
      // Credited at the first chain tick 2 blocks after it was seen (insertTime, on this machine's
      // clock): a balance read answered before then must not have it.
      const free = (await balance(read, 'BTC')).free;
      const dueAt = pending[0].insertTime + 2 * Number(WALLET_ENV.KEYGATE_WALLET_BLOCK_MS);
      if (Date.now() < dueAt) assert.equal(free, '0.00000000', 'nothing credited before the confirmations');
    }
    const credited = await until('the BTC deposit to be credited', async () => {
      const h = (await get(read, '/sapi/v1/capital/deposit/hisrec', { coin: 'BTC' })).body;
      return h[0].status === 1 ? h[0] : null;
    });
    assert.equal(credited.amount, '0.50000000');
    assert.equal(credited.txId, txid);
    assert.equal(credited.confirmTimes, '2/2');
    assert.equal(credited.address, btc.body.address);
    assert.equal(typeof credited.id, 'string');
    assert.equal((await balance(read, 'BTC')).free, '0.50000000');

    // The same txid: nothing changes; with other details: refused.
    r = await deposit(['--address', btc.body.address, '--asset', 'BTC', '--amount', '0.5', '--txid', txid]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already credited/);
    r = await deposit(['--address', btc.body.address, '--asset', 'BTC', '--amount', '5', '--txid', txid]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already recorded with other details/);
    // XRP needs the tag: the shared address with another tag belongs to nobody.
    r = await deposit(['--address', xrp.address, '--tag', '999', '--asset', 'XRP', '--amount', '30']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No account owns deposit address/);
    r = await deposit(['--address', xrp.address, '--tag', xrp.tag, '--asset', 'XRP', '--amount', '30']);
    assert.equal(r.code, 0, r.stderr);
    await until('the XRP deposit', async () => (await balance(read, 'XRP')).free === '30.00000000');
    assert.equal((await get(read, '/sapi/v1/capital/deposit/hisrec', {})).body.length, 2);
    assert.equal((await get(read, '/sapi/v1/capital/deposit/hisrec', { coin: 'XRP' })).body[0].addressTag, xrp.tag);

    // Coins with networks, fees, minimums and the user's balance.
    const all = await get(read, '/sapi/v1/capital/config/getall');
    assert.equal(all.status, 200, all.text);
    const coin = all.body.find((c) => c.coin === 'BTC');
    assert.equal(coin.free, '0.50000000');
    assert.equal(coin.networkList[0].network, 'BTC');
    assert.equal(coin.networkList[0].withdrawFee, '0.00020000');
    assert.equal(coin.networkList[0].withdrawMin, '0.00100000');
    assert.equal(coin.networkList[0].minConfirm, 2);
    assert.deepEqual(all.body.find((c) => c.coin === 'USDT').networkList.map((n) => n.network), ['TRX', 'ETH']);
    assert.equal(all.body.find((c) => c.coin === 'XRP').networkList[0].sameAddress, true);
  });

  test('withdrawals: address book, cooling-off, idempotency, the chain, approvals (S5)', async () => {
    const u = wdUser;
    const wk = hmac(await createKey(s.url, u, { permissions: ['READ', 'WITHDRAW'], allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] }));
    const mine = ETH_ADDRESS(1);
    // The money first: the address's 2-second cooling-off must not pass while the deposit's
    // confirmations do.
    let r = await deposit(['--email', u.email, '--asset', 'ETH', '--amount', '200']);
    assert.equal(r.code, 0, r.stderr);
    await until('the ETH deposit', async () => (await balance(wk, 'ETH')).free === '200.00000000');
    // Adding an address needs 2FA (S5): without a code or with a wrong one, nothing is added.
    assertError(await book(u, { asset: 'ETH', address: mine, label: 'cold' }), 401, -7200);
    assertError(await book(u, { asset: 'ETH', address: mine, label: 'cold', totp: '000000' }), 401);
    assertError(await book(u, { asset: 'ETH', address: '0x12', label: 'bad', totp: '123456' }), 400, -7416);
    const added = await book(u, { asset: 'ETH', address: mine, label: 'cold', totp: await u.code() });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.usable, false);
    assert.equal(added.body.network, 'ETH');
    const list = await request(s.url, 'GET', '/console/v1/withdraw-addresses', { token: u.token });
    assert.equal(list.body.addresses.length, 1);
    assert.equal(list.body.withdrawWhitelistOnly, true, 'address management is on by default');

    const withdraw = (params) => post(wk, '/sapi/v1/capital/withdraw/apply', { coin: 'ETH', ...params });
    // Not in the book; in the book but cooling off: refused, each with its reason.
    assertError(await withdraw({ address: ETH_ADDRESS(2), amount: '1' }), 400, -7430);
    const cooling = await withdraw({ address: mine, amount: '1' });
    assertError(cooling, 400, -7431);
    assert.match(cooling.body.msg, /can be used from \d+/);
    assertError(await withdraw({ address: '0x12', amount: '1' }), 400, -7416);
    assertError(await withdraw({ address: mine, amount: '0.001' }), 400, -7418);
    assertError(await withdraw({ address: mine, amount: '1', network: 'BSC' }), 400, -7414);
    assertError(await withdraw({ address: mine, amount: '1', addressTag: '5' }), 400, -7417);
    assert.equal((await balance(wk, 'ETH')).free, '200.00000000', 'refusals change nothing');
    await sleep(2100);  // the 2-second cooling-off

    const w1 = await withdraw({ address: mine, amount: '1', withdrawOrderId: 'w-1' });
    assert.equal(w1.status, 200, w1.text);
    assert.equal(typeof w1.body.id, 'string');
    // Amount and fee leave the free balance at once.
    assert.equal((await balance(wk, 'ETH')).free, '198.99840000');
    // The same withdrawOrderId: the first id, nothing more; with other parameters: refused.
    const again = await withdraw({ address: mine, amount: '1', withdrawOrderId: 'w-1' });
    assert.deepEqual(again.body, w1.body);
    assertError(await withdraw({ address: mine, amount: '2', withdrawOrderId: 'w-1' }), 400, -7419);
    assert.equal((await balance(wk, 'ETH')).free, '198.99840000');
    assertError(await withdraw({ address: mine, amount: '1000' }), 400, -2010);

    const hist = async (params = {}) => (await get(wk, '/sapi/v1/capital/withdraw/history', params)).body;
    const done = await until('the withdrawal to complete', async () => {
      const h = await hist({ withdrawOrderId: 'w-1' });
      return h[0]?.status === 6 ? h[0] : null;
    });
    assert.equal(done.id, w1.body.id);
    assert.equal(done.amount, '1.00000000');
    assert.equal(done.transactionFee, '0.00160000');
    assert.match(done.txId, /^[0-9a-f]{64}$/);
    assert.match(done.applyTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(done.completeTime);

    // Above the network's approval threshold (50 ETH): it waits for the operator.
    const big = await withdraw({ address: mine, amount: '60' });
    assert.equal(big.status, 200, big.text);
    assert.equal((await hist({ idList: big.body.id }))[0].status, 2);
    await sleep(600);
    assert.equal((await hist({ idList: big.body.id }))[0].status, 2, 'no approval, no chain');
    r = await admin(s.dataDir, ['withdrawal', 'list']);
    assert.match(r.stdout, new RegExp(`^${big.body.id}\\s.*awaiting approval`, 'm'));
    r = await admin(s.dataDir, ['withdrawal', 'approve', big.body.id]);
    assert.equal(r.code, 0, r.stderr);
    await until('the approved withdrawal to complete', async () => (await hist({ idList: big.body.id }))[0].status === 6);
    r = await admin(s.dataDir, ['withdrawal', 'approve', big.body.id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The withdrawal is completed/);

    // Rejected: amount and fee come back, and the history says why.
    const before = (await balance(wk, 'ETH')).free;
    const rej = await withdraw({ address: mine, amount: '55' });
    assert.equal(rej.status, 200, rej.text);
    r = await admin(s.dataDir, ['withdrawal', 'reject', rej.body.id, '--reason', 'suspicious']);
    assert.equal(r.code, 0, r.stderr);
    const rejected = (await hist({ idList: rej.body.id }))[0];
    assert.equal(rejected.status, 3);
    assert.equal(rejected.info, 'suspicious');
    assert.equal((await balance(wk, 'ETH')).free, before);
    r = await admin(s.dataDir, ['withdrawal', 'reject', '999999']);
    assert.match(r.stderr, /No such withdrawal/);

    // Every refused attempt is in the key's access log with its reason (S5).
    const log = (await keyLog(s.url, u, wk.apiKey)).body.entries;
    for (const code of ['-7430', '-7431', '-7416', '-7418', '-7419', '-2010']) {
      assert.ok(log.some((e) => !e.ok && e.reason.startsWith(code)), `access log has a ${code} refusal`);
    }

    // Address management off needs 2FA; then any valid address may be used.
    const settings = (json) => request(s.url, 'PUT', '/console/v1/settings', { token: u.token, json });
    assertError(await settings({ withdrawWhitelistOnly: false }), 401, -7200);
    assertError(await withdraw({ address: ETH_ADDRESS(3), amount: '1' }), 400, -7430);
    await codesReady(u, 1);
    const off = await settings({ withdrawWhitelistOnly: false, totp: await u.code() });
    assert.equal(off.status, 200, off.text);
    assert.equal((await withdraw({ address: ETH_ADDRESS(3), amount: '1' })).status, 200);
    // Back on needs no code.
    assert.equal((await settings({ withdrawWhitelistOnly: true })).status, 200);
    assertError(await withdraw({ address: ETH_ADDRESS(3), amount: '1' }), 400, -7430);

    // S1: another user's key sees none of this, and cannot touch the book.
    const other = await userWith2FA(s.url, { tag: 'other' });
    const ok = hmac(await createKey(s.url, other, { permissions: ['READ'] }));
    assert.deepEqual((await get(ok, '/sapi/v1/capital/withdraw/history', { idList: w1.body.id })).body, []);
    assert.deepEqual((await get(ok, '/sapi/v1/capital/deposit/hisrec')).body, []);
    const del = await request(s.url, 'DELETE', `/console/v1/withdraw-addresses/${added.body.id}`, { token: other.token });
    const missing = await request(s.url, 'DELETE', '/console/v1/withdraw-addresses/99999999', { token: other.token });
    assertError(del, 404, -7437);
    assert.deepEqual(del.body, missing.body, 'not yours and not there get the same answer');
    assert.equal((await request(s.url, 'GET', '/console/v1/withdraw-addresses', { token: u.token })).body.addresses.length, 1);

    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('per-key withdrawal addresses and daily caps; widening needs 2FA', async () => {
    const u = capsUser;
    const a1 = await book(u, { asset: 'USDT', network: 'ETH', address: ETH_ADDRESS(11), label: 'one', totp: await u.code() });
    const a2 = await book(u, { asset: 'USDT', network: 'ETH', address: ETH_ADDRESS(12), label: 'two', totp: await u.code() });
    assert.equal(a1.status, 200, a1.text);
    assert.equal(a2.status, 200, a2.text);
    await codesReady(u, 1);
    const wk = hmac(await createKey(s.url, u, { permissions: ['READ', 'WITHDRAW'], allowAllIps: undefined, ipAllowlist: ['127.0.0.1/32'] }));
    let r = await deposit(['--email', u.email, '--asset', 'USDT', '--amount', '1000', '--network', 'ETH']);
    assert.equal(r.code, 0, r.stderr);
    await until('the USDT deposit', async () => (await balance(wk, 'USDT')).free === '1000.00000000');
    await sleep(2100);  // both addresses out of cooling-off

    const rules = (json) => request(s.url, 'PUT', `/console/v1/keys/${wk.apiKey}/withdraw-rules`, { token: u.token, json });
    // Narrowing needs no code.
    let set = await rules({ addressIds: [a1.body.id], dailyCaps: { USDT: '100' } });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body, { addressIds: [a1.body.id], dailyCaps: { USDT: '100.00000000' } });
    const withdraw = (address, amount) => post(wk, '/sapi/v1/capital/withdraw/apply',
      { coin: 'USDT', network: 'ETH', address, amount });
    assertError(await withdraw(ETH_ADDRESS(12), '20'), 400, -7432);
    assert.equal((await withdraw(ETH_ADDRESS(11), '60')).status, 200);
    const over = await withdraw(ETH_ADDRESS(11), '50');
    assertError(over, 400, -7433);
    assert.match(over.body.msg, /limit of 100\.00000000 USDT per 24 hours; 40\.00000000 remains/);
    assert.equal((await withdraw(ETH_ADDRESS(11), '40')).status, 200);
    assertError(await withdraw(ETH_ADDRESS(11), '10'), 400, -7433);

    // Widening (another address, a higher cap, no cap) needs a fresh code; a bad request changes nothing.
    assertError(await rules({ addressIds: [a1.body.id, a2.body.id], dailyCaps: { USDT: '100' } }), 401, -7200);
    assertError(await rules({ addressIds: [a1.body.id], dailyCaps: { USDT: '1000' } }), 401, -7200);
    assertError(await rules({ addressIds: [a1.body.id] }), 401, -7200);
    assertError(await rules({ addressIds: [a1.body.id], dailyCaps: { DOGE: '1' } }), 400, -7439);
    assertError(await rules({ addressIds: [a1.body.id, 99999999], dailyCaps: { USDT: '1' } }), 404, -7437);
    const now = await request(s.url, 'GET', `/console/v1/keys/${wk.apiKey}/withdraw-rules`, { token: u.token });
    assert.deepEqual(now.body, { addressIds: [a1.body.id], dailyCaps: { USDT: '100.00000000' } });

    // Another user cannot give their key this user's address (S1).
    const other = await userWith2FA(s.url, { tag: 'caps-other' });
    const ok = await createKey(s.url, other, { permissions: ['READ'] });
    const foreign = await request(s.url, 'PUT', `/console/v1/keys/${ok.apiKey}/withdraw-rules`,
      { token: other.token, json: { addressIds: [a1.body.id] } });
    assertError(foreign, 404, -7437);

    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('withdrawals survive a restart: open ones finish, ids and idempotency hold', async () => {
    const u = await userWith2FA(s.url, { tag: 'restart' });
    const wk = hmac(await createKey(s.url, u, { permissions: ['READ', 'WITHDRAW'], allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] }));
    const settings = await request(s.url, 'PUT', '/console/v1/settings',
      { token: u.token, json: { withdrawWhitelistOnly: false, totp: await u.code() } });
    assert.equal(settings.status, 200, settings.text);
    let r = await deposit(['--email', u.email, '--asset', 'BTC', '--amount', '10']);
    assert.equal(r.code, 0, r.stderr);
    await until('the BTC deposit', async () => (await balance(wk, 'BTC')).free === '10.00000000');
    const address = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
    const big = await post(wk, '/sapi/v1/capital/withdraw/apply', { coin: 'BTC', address, amount: '3', withdrawOrderId: 'r-1' });
    assert.equal(big.status, 200, big.text);

    await s.stop({ keep: true });
    s = await startServer({ backend, extraArgs: ['--demo'], env: WALLET_ENV, dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    const again = await post(wk, '/sapi/v1/capital/withdraw/apply', { coin: 'BTC', address, amount: '3', withdrawOrderId: 'r-1' });
    assert.deepEqual(again.body, big.body, 'the same withdrawOrderId after a restart: the first id');
    assert.equal((await balance(wk, 'BTC')).free, '6.99980000');
    r = await admin(s.dataDir, ['withdrawal', 'approve', big.body.id]);
    assert.equal(r.code, 0, r.stderr);
    await until('completion after the restart', async () =>
      (await get(wk, '/sapi/v1/capital/withdraw/history', { coin: 'BTC' })).body[0].status === 6);
    const next = await post(wk, '/sapi/v1/capital/withdraw/apply', { coin: 'BTC', address, amount: '0.1' });
    assert.equal(Number(next.body.id), Number(big.body.id) + 1, 'ids continue after a restart');
    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^BTC\s/m);
  });
});
