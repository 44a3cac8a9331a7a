// keygate against the unmodified official Binance Node clients: @binance/connector (Spot) and
// @binance/spot (the modular client), each pointed at a real keygate server on 127.0.0.1 with
// keys made through the console API. Run with scripts/compat.sh.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, after, test } from 'node:test';
import { Spot as ModularSpot, BadRequestError, UnauthorizedError } from '@binance/spot';
import {
  forEachBackend, startServer, userWith2FA, createKey, generateKeyPair, rejection, withoutProxies,
} from '../integration/harness.mjs';

const require = createRequire(import.meta.url);
const { Spot: ConnectorSpot, PrivateKeyAlgo } = require('@binance/connector');

// No proxy from the environment: every request goes straight to the server on 127.0.0.1.
withoutProxies();

const DAY_MS = 86_400_000;
const pkcs8 = (privateKey) => privateKey.export({ type: 'pkcs8', format: 'pem' });

// Runs fn with this process's clock (Date.now, which both clients use for `timestamp`) shifted.
async function withClockShift(ms, fn) {
  const real = Date.now;
  Date.now = () => real() + ms;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}


function assertAccount(a, uid, canTrade) {
  assert.equal(typeof a, 'object');
  assert.ok(!('code' in a), JSON.stringify(a));
  assert.equal(a.accountType, 'SPOT');
  assert.equal(a.canTrade, canTrade);
  assert.equal(a.canWithdraw, false);
  assert.deepEqual(a.balances, []);
  assert.deepEqual(a.permissions, ['SPOT']);
  assert.equal(Number(a.uid), uid);
  for (const f of ['maker', 'taker', 'buyer', 'seller']) assert.match(a.commissionRates[f], /^\d+\.\d{8}$/);
}

forEachBackend('official Binance clients', (backend) => {
  let s;
  let u1;
  let u2;
  const k = {};
  before(async () => {
    s = await startServer({ backend });
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the clients talk to loopback only');
    u1 = await userWith2FA(s.url, { tag: 'compat-hmac' });
    k.hmac = await createKey(s.url, u1, { label: 'connector hmac', permissions: ['READ', 'TRADE'] });
    k.readOnly = await createKey(s.url, u1, { label: 'read-only', permissions: ['READ', 'TRADE'], readOnly: true });
    u2 = await userWith2FA(s.url, { tag: 'compat-asym' });
    k.ed = await createKey(s.url, u2, { label: 'connector ed25519', type: 'ED25519', permissions: ['READ', 'TRADE'] });
    k.rsa = await createKey(s.url, u2, { label: 'connector rsa', type: 'RSA' });
  });
  after(async () => { await s?.stop(); });

  const connector = (key, options = {}) => new ConnectorSpot(key.apiKey, key.secretKey ?? '', { baseURL: s.url, timeout: 10000, ...options });
  const modular = (key, options = {}) => new ModularSpot({
    configurationRestAPI: { apiKey: key.apiKey, basePath: s.url, timeout: 10000, retries: 0, ...options },
  });

  test('@binance/connector, HMAC: account() and apiPermissions()', async () => {
    const c = connector(k.hmac);
    const r = await c.account();
    assert.equal(r.status, 200);
    assertAccount(r.data, u1.uid, true);
    const p = await c.apiPermissions();
    assert.equal(p.status, 200);
    assert.equal(p.data.ipRestrict, false);
    assert.equal(p.data.createTime, k.hmac.createdAt);
    assert.equal(p.data.enableReading, true);
    assert.equal(p.data.enableSpotAndMarginTrading, true);
    assert.equal(p.data.enableWithdrawals, false);
    assert.equal(p.data.tradingAuthorityExpirationTime, k.hmac.createdAt + 30 * DAY_MS);
    // recvWindow through the client's own option.
    assert.equal((await c.account({ recvWindow: 10000 })).status, 200);
  });

  test('@binance/connector, HMAC errors: wrong secret -1022, unknown key -2015, recvWindow -1131', async () => {
    let e = await rejection(connector({ ...k.hmac, secretKey: `kgSK${'0'.repeat(60)}` }).account());
    assert.equal(e.response?.status, 400, String(e));
    assert.deepEqual(e.response.data, { code: -1022, msg: 'Signature for this request is not valid.' });
    e = await rejection(connector({ ...k.hmac, apiKey: `kgAK${'0'.repeat(60)}` }).account());
    assert.equal(e.response?.status, 401, String(e));
    assert.deepEqual(e.response.data, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
    e = await rejection(connector(k.hmac).account({ recvWindow: 60001 }));
    assert.equal(e.response?.status, 400, String(e));
    assert.equal(e.response.data.code, -1131);
  });

  test('@binance/connector: a stale timestamp is 400 -1021', async (t) => {
    // The connector always signs timestamp = Date.now() and has no option to set it; a client
    // whose clock is 10 s behind (or 2 s ahead) stands in for a stale (or future) timestamp.
    t.diagnostic('the connector cannot set timestamp: the client clock is shifted instead');
    let e = await rejection(withClockShift(-10000, () => connector(k.hmac).account()));
    assert.equal(e.response?.status, 400, String(e));
    assert.deepEqual(e.response.data, { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' });
    e = await rejection(withClockShift(2000, () => connector(k.hmac).account()));
    assert.equal(e.response?.status, 400, String(e));
    assert.deepEqual(e.response.data, { code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." });
  });

  test('@binance/connector, read-only key: account() works, no trading', async () => {
    const c = connector(k.readOnly);
    const r = await c.account();
    assert.equal(r.status, 200);
    assertAccount(r.data, u1.uid, false);
    const p = await c.apiPermissions();
    assert.equal(p.data.enableReading, true);
    assert.equal(p.data.enableSpotAndMarginTrading, false);
  });

  test('@binance/connector, Ed25519 key via privateKey / privateKeyAlgo', async () => {
    const c = connector(k.ed, { privateKey: pkcs8(k.ed.privateKey), privateKeyAlgo: PrivateKeyAlgo.ED25519 });
    const r = await c.account();
    assert.equal(r.status, 200);
    assertAccount(r.data, u2.uid, true);
    assert.equal((await c.apiPermissions()).status, 200);
    // Signed with another Ed25519 key: -1022.
    const otherKey = pkcs8(generateKeyPair('ED25519').privateKey);
    const other = connector(k.ed, { privateKey: otherKey, privateKeyAlgo: PrivateKeyAlgo.ED25519 });
    const e = await rejection(other.account());
    assert.equal(e.response?.status, 400, String(e));
    assert.equal(e.response.data.code, -1022);
  });

  test('@binance/connector, RSA-2048 key via privateKey', async () => {
    const r = await connector(k.rsa, { privateKey: pkcs8(k.rsa.privateKey) }).account();
    assert.equal(r.status, 200);
    assertAccount(r.data, u2.uid, false);
  });

  test('@binance/spot, HMAC: restAPI.getAccount()', async () => {
    const c = modular(k.hmac, { apiSecret: k.hmac.secretKey });
    const r = await c.restAPI.getAccount();
    assert.equal(r.status, 200);
    assertAccount(await r.data(), u1.uid, true);
    const r2 = await c.restAPI.getAccount({ omitZeroBalances: true, recvWindow: 10000 });
    assert.equal(r2.status, 200);
    assertAccount(await r2.data(), u1.uid, true);
    // The rate-limit headers the client parses.
    assert.ok(Array.isArray(r.rateLimits));
  });

  test('@binance/spot errors: BadRequestError -1022 and -1021, UnauthorizedError -2015', async () => {
    let e = await rejection(modular(k.hmac, { apiSecret: `kgSK${'0'.repeat(60)}` }).restAPI.getAccount());
    assert.ok(e instanceof BadRequestError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -1022);
    assert.equal(e.message, 'Signature for this request is not valid.');
    e = await rejection(modular({ apiKey: `kgAK${'0'.repeat(60)}` }, { apiSecret: k.hmac.secretKey }).restAPI.getAccount());
    assert.ok(e instanceof UnauthorizedError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -2015);
    e = await rejection(withClockShift(-10000, () => modular(k.hmac, { apiSecret: k.hmac.secretKey }).restAPI.getAccount()));
    assert.ok(e instanceof BadRequestError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -1021);
  });

  test('@binance/spot, read-only key', async () => {
    const r = await modular(k.readOnly, { apiSecret: k.readOnly.secretKey }).restAPI.getAccount();
    assertAccount(await r.data(), u1.uid, false);
  });

  test('@binance/spot, Ed25519 and RSA keys via privateKey', async () => {
    const ed = await modular(k.ed, { privateKey: pkcs8(k.ed.privateKey) }).restAPI.getAccount();
    assert.equal(ed.status, 200);
    assertAccount(await ed.data(), u2.uid, true);
    const rsa = await modular(k.rsa, { privateKey: pkcs8(k.rsa.privateKey) }).restAPI.getAccount();
    assert.equal(rsa.status, 200);
    assertAccount(await rsa.data(), u2.uid, false);
    const e = await rejection(modular(k.ed, { privateKey: pkcs8(k.rsa.privateKey) }).restAPI.getAccount());
    assert.ok(e instanceof BadRequestError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -1022);
  });
});
