// The demo user's money, end to end (issue 4's "done when"): deposit, convert USDT -> XRP,
// transfer to another user and withdraw to a whitelisted address with one key that has exactly
// those permissions; a key without them gets Binance's errors; the ledger verifies after it all.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, codesReady, createKey, forEachBackend, login, nextTotp, request, signedRequest, sleep, signup,
  startServer,
} from './harness.mjs';

forEachBackend('demo user: deposit, convert, transfer, withdraw', (backend) => {
  let s;
  before(async () => {
    s = await startServer({
      backend,
      extraArgs: ['--demo'],
      env: { KEYGATE_WALLET_ADDRESS_COOLOFF_SECONDS: '1', KEYGATE_WALLET_WITHDRAW_DELAY_MS: '200', KEYGATE_WALLET_CHAIN_TICK_MS: '50' },
    });
  });
  after(async () => { await s?.stop(); });

  test('one key with exactly DEPOSIT, CONVERT, TRANSFER, WITHDRAW does it all; READ alone does none', async () => {
    const line = await s.waitForLine(/demo@keygate\.local\s+password: /, 3000);
    const password = /password: (\S+)/.exec(line)[1];
    const logged = await login(s.url, 'demo@keygate.local', password);
    assert.equal(logged.status, 200, logged.text);
    const demo = { token: logged.body.token, email: 'demo@keygate.local', lastStep: 0 };
    const setup = await request(s.url, 'POST', '/console/v1/2fa/setup', { token: demo.token, json: {} });
    demo.secret = setup.body.secret;
    demo.code = () => nextTotp(demo);
    assert.equal((await request(s.url, 'POST', '/console/v1/2fa/enable', { token: demo.token, json: { code: await demo.code() } })).status, 200);

    const k = await createKey(s.url, demo, {
      permissions: ['DEPOSIT', 'CONVERT', 'TRANSFER', 'WITHDRAW'], allowAllIps: undefined, ipAllowlist: ['127.0.0.1'],
    });
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    const r = await createKey(s.url, demo, { permissions: ['READ'] });
    const read = { apiKey: r.apiKey, type: 'HMAC_SHA256', secretKey: r.secretKey };
    const balances = async () => Object.fromEntries(
      (await signedRequest(s.url, 'GET', '/api/v3/account', read)).body.balances.map((b) => [b.asset, b.free]));
    assert.equal((await balances()).USDT, '10000.00000000', 'the welcome deposit');

    // Deposit: the key gets an address; the (simulated) chain pays into it.
    const addr = await signedRequest(s.url, 'GET', '/sapi/v1/capital/deposit/address', key, { params: { coin: 'BTC' } });
    assert.equal(addr.status, 200, addr.text);
    const dep = await admin(s.dataDir, ['deposit', '--address', addr.body.address, '--asset', 'BTC', '--amount', '0.25']);
    assert.equal(dep.code, 0, dep.stderr);

    // Convert 100 USDT into XRP.
    const q = await signedRequest(s.url, 'POST', '/sapi/v1/convert/getQuote', key,
      { body: { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '100' } });
    assert.equal(q.status, 200, q.text);
    const a = await signedRequest(s.url, 'POST', '/sapi/v1/convert/acceptQuote', key, { body: { quoteId: q.body.quoteId } });
    assert.equal(a.status, 200, a.text);
    const xrp = q.body.toAmount;
    assert.ok(Number(xrp) > 190 && Number(xrp) < 200, `about 200 XRP at 0.5 less the spread: ${xrp}`);

    // Transfer 50 USDT to another user.
    const bob = await signup(s.url);
    const t = await signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', key,
      { body: { toEmail: bob.email, asset: 'USDT', amount: '50', clientTranId: 'demo-t-1' } });
    assert.equal(t.status, 200, t.text);

    // Withdraw 50 XRP to a whitelisted address (added with 2FA, past its 1 s cooling-off).
    await codesReady(demo, 1);
    const bookAddress = 'rN7n7otQDd6FczFgLdSqtcsAUxDkw6fzRH';
    const added = await request(s.url, 'POST', '/console/v1/withdraw-addresses', { token: demo.token,
      json: { asset: 'XRP', address: bookAddress, tag: '12345', label: 'my ledger wallet', totp: await demo.code() } });
    assert.equal(added.status, 200, added.text);
    await sleep(1100);
    const w = await signedRequest(s.url, 'POST', '/sapi/v1/capital/withdraw/apply', key,
      { body: { coin: 'XRP', address: bookAddress, addressTag: '12345', amount: '50' } });
    assert.equal(w.status, 200, w.text);

    // A READ key can do none of it, with Binance's answers.
    assertError(await signedRequest(s.url, 'GET', '/sapi/v1/capital/deposit/address', read, { params: { coin: 'BTC' } }), 401, -2015);
    assertError(await signedRequest(s.url, 'POST', '/sapi/v1/convert/getQuote', read,
      { body: { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '100' } }), 401, -2015);
    assertError(await signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', read,
      { body: { toEmail: 'x@example.com', asset: 'USDT', amount: '1' } }), 401, -1002);
    assertError(await signedRequest(s.url, 'POST', '/sapi/v1/capital/withdraw/apply', read,
      { body: { coin: 'XRP', address: bookAddress, addressTag: '12345', amount: '5' } }), 401, -1002);
    // ...and the money key cannot read the account (no READ).
    assertError(await signedRequest(s.url, 'GET', '/api/v3/account', key), 401, -2015);

    const b = await balances();
    assert.equal(b.USDT, '9850.00000000');
    assert.equal(b.BTC, '0.25000000');
    const xrpLeft = (BigInt(xrp.replace('.', '')) - 5_020_000_000n);  // 50 + 0.2 fee, in 1e-8
    assert.equal(b.XRP.replace('.', ''), xrpLeft.toString().padStart(9, '0'));
    const v = await admin(s.dataDir, ['ledger', 'verify']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});
