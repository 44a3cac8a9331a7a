// The signed-request gatekeeper, as a Binance client sees it: the key header, HMAC / Ed25519 /
// RSA signatures over the Binance payload, the timestamp window, replay refusal, IP allowlists
// (IPv4, IPv6, CIDR, X-Forwarded-For from trusted proxies), permissions, expiry, TRADE lapse,
// revocation, and the reasons in the key's access log. Errors as in binance-wire.md §3.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertBinance, BINANCE, userWith2FA, createKey,
  listKeys, keyLog, signedRequest, signPayload, sendRaw, generateKeyPair, rawRequest, freshTimestamp, sleep,
} from './harness.mjs';

const DAY_MS = 86_400_000;
const ACCOUNT = '/api/v3/account';
const RESTRICTIONS = '/sapi/v1/account/apiRestrictions';
const REVOKE = '/sapi/v1/apikey/revoke';
const account = (url, key, opts) => signedRequest(url, 'GET', ACCOUNT, key, opts);
const restrictions = (url, key, opts) => signedRequest(url, 'GET', RESTRICTIONS, key, opts);
const revoke = (url, key, opts) => signedRequest(url, 'POST', REVOKE, key, { body: '', ...opts });

function ghostKey() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'kgAK' + Array.from(crypto.randomBytes(60), (b) => alphabet[b % 62]).join('');
}

async function logEntries(url, user, apiKey) {
  const r = await keyLog(url, user, apiKey);
  assert.equal(r.status, 200, r.text);
  return r.body.entries;
}

// A request whose answer depends on when the server reads its clock: send(now) makes it with
// timestamps relative to now (the server's clock is this machine's). Its answer says something
// only if it came back within slackMs, the margin those timestamps leave to the edge of the window;
// on a machine too loaded for that, it is made again with fresh timestamps (up to 5 times).
async function promptly(slackMs, send) {
  for (let attempt = 1; ; attempt++) {
    const t0 = Date.now();
    const res = await send(t0);
    if (Date.now() - t0 < slackMs || attempt === 5) return res;
  }
}

// Sends hand-made bytes: method, target, headers and body exactly as given.
async function rawHttp(port, method, target, headers, body = '') {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const { res } = await rawRequest(port, `${lines.join('\r\n')}\r\n\r\n${body}`);
  assert.ok(res, 'a response');
  return res;
}

test('the signing helper reproduces the HMAC test vectors of binance-wire.md', () => {
  const key = { type: 'HMAC_SHA256', secretKey: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j' };
  const q = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC';
  const rest = 'quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
  assert.equal(signPayload(key, `${q}&${rest}`), 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71');
  assert.equal(signPayload(key, q + rest), '0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77');
  assert.equal(signPayload(key, `symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&${rest}`),
    'e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3');
});

forEachBackend('signed requests (gatekeeper)', (backend) => {
  let s;    // the default configuration
  let cfg;  // KEYGATE_HTTP_TRUSTED_PROXIES=127.0.0.1, TRADE lapses after 2 s without an allowlist
  let v6;   // listening on [::1], TRADE never lapses
  const u = {};
  const k = {};
  before(async () => {
    [s, cfg, v6] = await Promise.all([
      startServer({ backend }),
      startServer({ backend, env: { KEYGATE_HTTP_TRUSTED_PROXIES: '127.0.0.1', KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS: '2' } }),
      startServer({ backend, listen: '[::1]:0', env: { KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS: '0' } }),
    ]);
    // Each user spends at most three codes (enable + two keys) here: no waiting for the next step.
    u.sig = await userWith2FA(s.url, { tag: 'g-sig' });
    k.hmac = await createKey(s.url, u.sig, { label: 'hmac', permissions: ['READ', 'TRADE'] });
    k.ed = await createKey(s.url, u.sig, { label: 'ed', type: 'ED25519' });
    u.rsa = await userWith2FA(s.url, { tag: 'g-rsa' });
    k.rsa = await createKey(s.url, u.rsa, { label: 'rsa', type: 'RSA' });
    k.ip10 = await createKey(s.url, u.rsa, { label: 'only 10.0.0.1', allowAllIps: undefined, ipAllowlist: ['10.0.0.1'] });
    u.m1 = await userWith2FA(s.url, { tag: 'g-m1' });
    k.read = await createKey(s.url, u.m1, { label: 'read', permissions: ['READ'] });
    k.tradeOnly = await createKey(s.url, u.m1, { label: 'trade only', permissions: ['TRADE'] });
    u.m2 = await userWith2FA(s.url, { tag: 'g-m2' });
    k.readOnly = await createKey(s.url, u.m2, { label: 'read-only', permissions: ['READ', 'TRADE'], readOnly: true });
    k.inactive = await createKey(s.url, u.m2, { label: 'inactive', active: false });
    u.m3 = await userWith2FA(s.url, { tag: 'g-m3' });
    k.deleted = await createKey(s.url, u.m3, { label: 'to delete' });
    k.revoked = await createKey(s.url, u.m3, { label: 'to revoke' });
    u.m4 = await userWith2FA(s.url, { tag: 'g-m4' });
    k.cidr = await createKey(s.url, u.m4, { label: 'cidr', allowAllIps: undefined, ipAllowlist: ['127.0.0.0/8'] });
    // k.expired is made by the expiry test (u.m4's third code).

    u.cfg = await userWith2FA(cfg.url, { tag: 'g-cfg' });
    k.xff = await createKey(cfg.url, u.cfg, { label: 'xff', permissions: ['READ', 'TRADE'], allowAllIps: undefined, ipAllowlist: ['10.0.0.1'] });
    // k.lapse is made by the lapse test (u.cfg's third code).

    u.v6 = await userWith2FA(v6.url, { tag: 'g-v6' });
    k.v6 = await createKey(v6.url, u.v6, { label: 'v6', permissions: ['READ', 'TRADE'], allowAllIps: undefined, ipAllowlist: ['::1'] });
    k.v4only = await createKey(v6.url, u.v6, { label: 'v4 only', allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] });
    u.v6b = await userWith2FA(v6.url, { tag: 'g-v6b' });
    k.v6all = await createKey(v6.url, u.v6b, { label: 'v6 all', permissions: ['READ', 'TRADE'] });
  });
  after(async () => { await Promise.all([s?.stop(), cfg?.stop(), v6?.stop()]); });

  test('HMAC: GET /api/v3/account and apiRestrictions, lower- and upper-case hex', async () => {
    const r = await account(s.url, k.hmac);
    assert.equal(r.status, 200, r.text);
    const a = r.body;
    assert.ok(!('code' in a), r.text);
    for (const f of ['makerCommission', 'takerCommission', 'buyerCommission', 'sellerCommission', 'updateTime', 'uid']) {
      assert.equal(typeof a[f], 'number', `${f}: ${r.text}`);
    }
    for (const f of ['maker', 'taker', 'buyer', 'seller']) assert.match(a.commissionRates[f], /^\d+\.\d{8}$/, f);
    assert.equal(a.canTrade, true);
    assert.equal(a.canWithdraw, false);
    assert.equal(a.canDeposit, false);
    assert.equal(a.brokered, false);
    assert.equal(a.requireSelfTradePrevention, false);
    assert.equal(a.accountType, 'SPOT');
    assert.deepEqual(a.balances, []);
    assert.deepEqual(a.permissions, ['SPOT']);
    assert.equal(a.uid, u.sig.uid);

    assert.equal((await account(s.url, k.hmac, { uppercase: true })).status, 200, 'upper-case hex');
    assert.equal((await account(s.url, k.hmac, { recvWindow: 5000, params: { omitZeroBalances: 'true' } })).status, 200);

    const rr = await restrictions(s.url, k.hmac);
    assert.equal(rr.status, 200, rr.text);
    assert.deepEqual(rr.body, {
      ipRestrict: false, createTime: k.hmac.createdAt, enableReading: true, enableSpotAndMarginTrading: true,
      enableWithdrawals: false, enableInternalTransfer: false, permitsUniversalTransfer: false, enableMargin: false,
      enableFutures: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false, enableFixApiTrade: false,
      enableFixReadOnly: false, tradingAuthorityExpirationTime: k.hmac.createdAt + 30 * DAY_MS,
    });
  });

  test('the signature is over the raw bytes as received: no decoding or re-encoding', async () => {
    // '+' for a space, lower-case percent escapes, an unreserved character escaped: a server that
    // decoded and re-encoded the query would compute another payload.
    for (const params of ['note=a+b%2fc', 'note=%e2%9c%93&x=%7E', 'symbol=%EF%BC%91%EF%BC%92']) {
      const r = await account(s.url, k.hmac, { params });
      assert.equal(r.status, 200, `${params}: ${r.text}`);
    }
  });

  test('payload = query + body with no separator: GET with a body, POST with a form body', async () => {
    // GET with the timestamp (and then the signature too) in a form body, by hand.
    for (const signatureIn of ['query', 'body']) {
      const query = 'recvWindow=5000';
      const body = `timestamp=${freshTimestamp()}`;
      const sig = signPayload(k.hmac, query + body);
      const target = signatureIn === 'query' ? `${ACCOUNT}?${query}&signature=${sig}` : `${ACCOUNT}?${query}`;
      const fullBody = signatureIn === 'query' ? body : `${body}&signature=${sig}`;
      const res = await rawHttp(s.port, 'GET', target,
        { 'X-MBX-APIKEY': k.hmac.apiKey, 'Content-Type': 'application/x-www-form-urlencoded' }, fullBody);
      assert.equal(res.status, 200, `signature in the ${signatureIn}: ${res.text}`);
    }
    // POST /sapi/v1/apikey/revoke with parameters split between query and body. Signed with a '&'
    // between the two parts: not the Binance payload, refused.
    const key = k.revoked;
    const opts = { params: 'recvWindow=5000', body: '', timestampIn: 'body' };
    const ts = freshTimestamp();
    const wrong = await revoke(s.url, key, { ...opts, timestamp: ts, payload: `recvWindow=5000&timestamp=${ts}` });
    assertBinance(wrong, BINANCE.badSignature);
    const ok = await revoke(s.url, key, opts);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, {});
    assert.match(ok.rawBody, /^timestamp=\d+$/);
    assert.match(ok.query, /^recvWindow=5000&signature=[0-9a-f]{64}$/);
    // Revoked: the very next request fails, and the owner sees the key inactive.
    assertBinance(await account(s.url, key), BINANCE.keyRejected);
    const l = await listKeys(s.url, u.m3);
    const listed = l.body.keys.find((x) => x.apiKey === key.apiKey);
    assert.equal(listed.active, false);
    assert.equal(listed.status, 'INACTIVE');
    const entries = await logEntries(s.url, u.m3, key.apiKey);
    assert.deepEqual(entries.slice(0, 3).map((e) => [e.method, e.path, e.result, e.reason]), [
      ['GET', ACCOUNT, 'REJECTED', 'key is inactive'],
      ['POST', REVOKE, 'ACCEPTED', ''],
      ['POST', REVOKE, 'REJECTED', 'signature is not valid'],
    ]);
  });

  test('the key header: missing or malformed is 401 -2014, unknown is 401 -2015', async () => {
    for (const apiKey of [null, '', k.hmac.apiKey.slice(0, 63), `${k.hmac.apiKey}x`, `${k.hmac.apiKey.slice(0, 63)}-`,
      `${k.hmac.apiKey.slice(0, 63)}_`, ` ${k.hmac.apiKey.slice(1)}`]) {
      const r = await account(s.url, k.hmac, { apiKey });
      assertBinance(r, BINANCE.keyFormat);
    }
    assertBinance(await account(s.url, k.hmac, { apiKey: ghostKey() }), BINANCE.keyRejected);
    assertBinance(await restrictions(s.url, k.hmac, { apiKey: ghostKey() }), BINANCE.keyRejected);
  });

  test('bad signatures are 400 -1022', async () => {
    const wrongSecret = { ...k.hmac, secretKey: `kgSK${'x'.repeat(60)}` };
    assertBinance(await account(s.url, k.hmac, { signWith: wrongSecret }), BINANCE.badSignature);
    // Signed one query, sent another.
    const ts = freshTimestamp();
    assertBinance(await account(s.url, k.hmac, { timestamp: ts, payload: `timestamp=${ts + 1}` }), BINANCE.badSignature);
    // Another key's secret; an Ed25519 signature for an HMAC key; a cut or non-hex signature.
    assertBinance(await account(s.url, k.hmac, { signWith: k.read }), BINANCE.badSignature);
    assertBinance(await account(s.url, k.hmac, { signWith: k.ed }), BINANCE.badSignature);
    const good = signPayload(k.hmac, `timestamp=${freshTimestamp()}`);
    assertBinance(await account(s.url, k.hmac, { signature: good.slice(0, 63) }), BINANCE.badSignature);
    assertBinance(await account(s.url, k.hmac, { signature: 'z'.repeat(64) }), BINANCE.badSignature);
  });

  test('missing or malformed timestamp, signature or recvWindow is 400 -1102', async () => {
    assertBinance(await account(s.url, k.hmac, { timestamp: null }), BINANCE.missing('timestamp'));
    assertBinance(await account(s.url, k.hmac, { signature: null }), BINANCE.missing('signature'));
    assertBinance(await account(s.url, k.hmac, { signature: '' }), BINANCE.missing('signature'));
    assertBinance(await account(s.url, k.hmac, { timestamp: 'abc' }), BINANCE.missing('timestamp'));
    assertBinance(await account(s.url, k.hmac, { timestamp: '' }), BINANCE.missing('timestamp'));
    assertBinance(await account(s.url, k.hmac, { recvWindow: 'abc' }), BINANCE.missing('recvWindow'));
    assertBinance(await account(s.url, k.hmac, { recvWindow: '' }), BINANCE.missing('recvWindow'));
  });

  test('timestamp window: old, 2 s ahead, µs timestamps, recvWindow 60001 and decimals', async () => {
    const now = () => Date.now();
    assertBinance(await account(s.url, k.hmac, { timestamp: now() - 6000 }), BINANCE.tsOld);
    const inside = await promptly(2000, (t) => account(s.url, k.hmac, { timestamp: t - 3000 }));
    assert.equal(inside.status, 200, `inside the default 5000 ms: ${inside.text}`);
    assertBinance(await promptly(1000, (t) => account(s.url, k.hmac, { timestamp: t + 2000 })), BINANCE.tsAhead);
    assert.equal((await account(s.url, k.hmac, { timestamp: now() + 300 })).status, 200, 'less than 1000 ms ahead');
    // Microseconds (16 digits).
    const us = now() * 1000 + 123;
    assert.equal(String(us).length, 16);
    const ok = await account(s.url, k.hmac, { timestamp: us });
    assert.equal(ok.status, 200, ok.text);
    assertBinance(await account(s.url, k.hmac, { timestamp: (now() - 6000) * 1000 + 1 }), BINANCE.tsOld);
    assertBinance(await promptly(1000, (t) => account(s.url, k.hmac, { timestamp: (t + 2000) * 1000 + 1 })), BINANCE.tsAhead);
    // recvWindow: at most 60000, with up to three decimals.
    assertBinance(await account(s.url, k.hmac, { recvWindow: 60001 }), BINANCE.recvWindow);
    assertBinance(await account(s.url, k.hmac, { recvWindow: '60000.001' }), BINANCE.recvWindow);
    assert.equal((await account(s.url, k.hmac, { recvWindow: 60000, timestamp: now() - 50000 })).status, 200);
    assertBinance(await account(s.url, k.hmac, { recvWindow: '1000.5', timestamp: now() - 2000 }), BINANCE.tsOld);
    const dec = await promptly(2000, (t) => account(s.url, k.hmac, { recvWindow: '4000.125', timestamp: t - 2000 }));
    assert.equal(dec.status, 200, `recvWindow with 3 decimals: ${dec.text}`);
  });

  test('replay: the identical signed request is refused, the same with a new timestamp works', async () => {
    const first = await account(s.url, k.hmac);
    assert.equal(first.status, 200, first.text);
    const again = await sendRaw(s.url, 'GET', ACCOUNT, { apiKey: k.hmac.apiKey, query: first.query });
    assertBinance(again, BINANCE.replayed);
    const fresh = await account(s.url, k.hmac);
    assert.equal(fresh.status, 200, fresh.text);
    const entries = await logEntries(s.url, u.sig, k.hmac.apiKey);
    assert.ok(entries.some((e) => e.reason === 'signature was already used (replay)'), JSON.stringify(entries.slice(0, 5)));
  });

  test('a captured signature replayed against another endpoint is refused (method and path are not signed)', async () => {
    const first = await account(s.url, k.hmac);
    assert.equal(first.status, 200, first.text);
    assertBinance(await sendRaw(s.url, 'GET', RESTRICTIONS, { apiKey: k.hmac.apiKey, query: first.query }), BINANCE.replayed);
    assertBinance(await sendRaw(s.url, 'POST', '/sapi/v1/apikey/revoke', { apiKey: k.hmac.apiKey, query: first.query }),
      BINANCE.replayed);
    // The key was not revoked by the replay.
    assert.equal((await account(s.url, k.hmac)).status, 200);
  });

  test('replay: the same HMAC signature in other letter case is still a replay', async () => {
    const first = await account(s.url, k.hmac);
    assert.equal(first.status, 200, first.text);
    const upper = first.query.replace(/signature=([0-9a-f]+)$/, (_, sig) => `signature=${sig.toUpperCase()}`);
    assert.notEqual(upper, first.query);
    const again = await sendRaw(s.url, 'GET', ACCOUNT, { apiKey: k.hmac.apiKey, query: upper });
    assertBinance(again, BINANCE.replayed);
  });

  test('Ed25519 key: base64 signature, percent-encoded; wrong keys are -1022', async () => {
    const r = await account(s.url, k.ed);
    assert.equal(r.status, 200, r.text);
    assert.match(r.query, /signature=[A-Za-z0-9%]+$/, 'percent-encoded base64');
    assert.equal((await restrictions(s.url, k.ed)).status, 200);
    const other = { type: 'ED25519', privateKey: generateKeyPair('ED25519').privateKey };
    assertBinance(await account(s.url, k.ed, { signWith: other }), BINANCE.badSignature);
    assertBinance(await account(s.url, k.ed, { signWith: k.hmac }), BINANCE.badSignature);
    assertBinance(await account(s.url, k.ed, { signWith: k.rsa }), BINANCE.badSignature);
    // A base64 signature sent without percent-encoding ('+' arrives as a space) still verifies.
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      const ts = freshTimestamp();
      if (!signPayload(k.ed, `timestamp=${ts}`).includes('+')) continue;
      const raw = await account(s.url, k.ed, { timestamp: ts, encode: false });
      assert.equal(raw.status, 200, `unencoded signature ${raw.signature}: ${raw.text}`);
      sent++;
      break;
    }
    assert.equal(sent, 1, "found a signature with a '+'");
  });

  test("replay: the same Ed25519 signature sent unencoded ('+' as a space) is still a replay", async () => {
    let ts;
    for (;;) {
      ts = freshTimestamp();
      if (signPayload(k.ed, `timestamp=${ts}`).includes('+')) break;
    }
    const first = await account(s.url, k.ed, { timestamp: ts });
    assert.equal(first.status, 200, first.text);
    const again = await account(s.url, k.ed, { timestamp: ts, encode: false });
    assertBinance(again, BINANCE.replayed);
  });

  test('RSA-2048 key: PKCS#1 v1.5 SHA-256 base64; another RSA key is -1022', async () => {
    const r = await account(s.url, k.rsa);
    assert.equal(r.status, 200, r.text);
    assert.equal((await restrictions(s.url, k.rsa)).status, 200);
    const other = { type: 'RSA', privateKey: generateKeyPair('RSA').privateKey };
    assertBinance(await account(s.url, k.rsa, { signWith: other }), BINANCE.badSignature);
    assertBinance(await account(s.url, k.rsa, { signWith: k.ed }), BINANCE.badSignature);
    // PSS padding is not PKCS#1 v1.5.
    const ts = freshTimestamp();
    const pss = crypto.sign('sha256', Buffer.from(`timestamp=${ts}`), {
      key: k.rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    }).toString('base64');
    assertBinance(await account(s.url, k.rsa, { timestamp: ts, signature: pss }), BINANCE.badSignature);
  });

  test('public endpoints ignore X-MBX-APIKEY, even unknown or malformed', async () => {
    for (const apiKey of [ghostKey(), 'not-a-key', k.inactive.apiKey]) {
      for (const p of ['/api/v3/ping', '/api/v3/time', '/api/v3/exchangeInfo']) {
        const r = await request(s.url, 'GET', p, { headers: { 'x-mbx-apikey': apiKey } });
        assert.equal(r.status, 200, `${p} with key ${apiKey}: ${r.text}`);
      }
    }
  });

  test('IP allowlist: 10.0.0.1 only is refused from 127.0.0.1 and the log names the IP; 127.0.0.0/8 allows', async () => {
    const r = await account(s.url, k.ip10);
    assertBinance(r, BINANCE.keyRejected);
    let [e] = await logEntries(s.url, u.rsa, k.ip10.apiKey);
    assert.deepEqual([e.ip, e.method, e.path, e.result, e.status, e.reason],
      ['127.0.0.1', 'GET', ACCOUNT, 'REJECTED', 401, 'IP 127.0.0.1 is not in the allowlist']);
    // Without trusted proxies, X-Forwarded-For is ignored.
    assertBinance(await account(s.url, k.ip10, { headers: { 'x-forwarded-for': '10.0.0.1' } }), BINANCE.keyRejected);
    [e] = await logEntries(s.url, u.rsa, k.ip10.apiKey);
    assert.equal(e.reason, 'IP 127.0.0.1 is not in the allowlist');
    assert.equal(e.ip, '127.0.0.1');

    const c = await account(s.url, k.cidr);
    assert.equal(c.status, 200, c.text);
    const rr = await restrictions(s.url, k.cidr);
    assert.equal(rr.body.ipRestrict, true, rr.text);
    assert.equal(rr.body.tradingAuthorityExpirationTime, undefined, 'no TRADE, no lapse');
  });

  test('X-Forwarded-For is believed from a trusted proxy (KEYGATE_HTTP_TRUSTED_PROXIES=127.0.0.1)', async () => {
    const xff = (v) => ({ headers: { 'x-forwarded-for': v } });
    assertBinance(await account(cfg.url, k.xff), BINANCE.keyRejected);
    assert.equal((await logEntries(cfg.url, u.cfg, k.xff.apiKey))[0].reason, 'IP 127.0.0.1 is not in the allowlist');

    const ok = await account(cfg.url, k.xff, xff('10.0.0.1'));
    assert.equal(ok.status, 200, ok.text);
    let [e] = await logEntries(cfg.url, u.cfg, k.xff.apiKey);
    assert.deepEqual([e.ip, e.result], ['10.0.0.1', 'ACCEPTED']);
    const listed = (await listKeys(cfg.url, u.cfg)).body.keys.find((x) => x.apiKey === k.xff.apiKey);
    assert.equal(listed.lastUsedIp, '10.0.0.1');
    // The rightmost hop that is not a trusted proxy is the client.
    assert.equal((await account(cfg.url, k.xff, xff('10.0.0.1, 127.0.0.1'))).status, 200);
    assertBinance(await account(cfg.url, k.xff, xff('10.0.0.1, 192.0.2.7')), BINANCE.keyRejected);
    [e] = await logEntries(cfg.url, u.cfg, k.xff.apiKey);
    assert.equal(e.reason, 'IP 192.0.2.7 is not in the allowlist');
    assertBinance(await account(cfg.url, k.xff, xff('not-an-address')), BINANCE.keyRejected);
    [e] = await logEntries(cfg.url, u.cfg, k.xff.apiKey);
    assert.equal(e.reason, 'IP 127.0.0.1 is not in the allowlist', 'garbage in X-Forwarded-For: the peer address');
    // A range is not an address: the allowlisted 10.0.0.0/8 as a hop is garbage too.
    assertBinance(await account(cfg.url, k.xff, xff('10.0.0.0/8')), BINANCE.keyRejected);
    [e] = await logEntries(cfg.url, u.cfg, k.xff.apiKey);
    assert.equal(e.reason, 'IP 127.0.0.1 is not in the allowlist', 'a range in X-Forwarded-For: the peer address');
  });

  test('IPv6: a ::1 allowlist allows a client on ::1; a 127.0.0.1 allowlist does not', async () => {
    const ok = await account(v6.url, k.v6);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await logEntries(v6.url, u.v6, k.v6.apiKey))[0].ip, '::1');
    assertBinance(await account(v6.url, k.v4only), BINANCE.keyRejected);
    assert.equal((await logEntries(v6.url, u.v6, k.v4only.apiKey))[0].reason, 'IP ::1 is not in the allowlist');
    // KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS=0: TRADE without an allowlist never lapses.
    assert.equal(k.v6all.tradingAuthorityExpirationTime, null);
    const rr = await restrictions(v6.url, k.v6all);
    assert.equal(rr.status, 200, rr.text);
    assert.equal(rr.body.enableSpotAndMarginTrading, true);
    assert.ok(!('tradingAuthorityExpirationTime' in rr.body), rr.text);
  });

  test('TRADE without an allowlist lapses (KEYGATE_KEYS_TRADE_WITHOUT_ALLOWLIST_SECONDS=2)', async (t) => {
    k.lapse = await createKey(cfg.url, u.cfg, { label: 'lapses', permissions: ['READ', 'TRADE'] });
    const until = k.lapse.tradingAuthorityExpirationTime;
    assert.equal(until, k.lapse.createdAt + 2000);
    // Before it lapses: each answer that came back before `until` was made before it (the server's
    // clock is this machine's), and must show TRADE; one that came back later shows nothing.
    const rr0 = await restrictions(cfg.url, k.lapse);
    if (Date.now() < until) {
      assert.equal(rr0.body.enableSpotAndMarginTrading, true, rr0.text);
      assert.equal(rr0.body.tradingAuthorityExpirationTime, until);
    } else {
      t.diagnostic('too slow to see TRADE in apiRestrictions before it lapsed');
    }
    const a0 = await account(cfg.url, k.lapse);
    if (Date.now() < until) assert.equal(a0.body.canTrade, true, a0.text);
    else t.diagnostic('too slow to see canTrade before TRADE lapsed');
    await sleep(Math.max(0, until - Date.now()) + 300);
    const rr = await restrictions(cfg.url, k.lapse);
    assert.equal(rr.status, 200, rr.text);
    assert.equal(rr.body.enableSpotAndMarginTrading, false, rr.text);
    assert.equal(rr.body.enableReading, true);
    const a = await account(cfg.url, k.lapse);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.canTrade, false);
    const listed = (await listKeys(cfg.url, u.cfg)).body.keys.find((x) => x.apiKey === k.lapse.apiKey);
    assert.deepEqual(listed.permissions, ['READ', 'TRADE']);
    assert.deepEqual(listed.effectivePermissions, ['READ']);
    // A key with an allowlist keeps TRADE.
    assert.equal(k.xff.tradingAuthorityExpirationTime, null);
    const kept = await restrictions(cfg.url, k.xff, { headers: { 'x-forwarded-for': '10.0.0.1' } });
    assert.equal(kept.body.enableSpotAndMarginTrading, true, kept.text);
  });

  test('expiresAt: the key works until then, then 401 -2015 and status EXPIRED', async () => {
    // The 2FA code first (waiting for one must not eat into the key's life), and a life long enough
    // for the key to be made and shown to work within it on a slow machine.
    const totp = await u.m4.code();
    k.expired = await createKey(s.url, u.m4, { label: 'expiring', totp, expiresAt: Date.now() + 5000 });
    assert.equal(k.expired.status, 'ACTIVE');
    const ok = await account(s.url, k.expired);
    assert.equal(ok.status, 200, ok.text);
    await sleep(Math.max(0, k.expired.expiresAt - Date.now()) + 300);
    assertBinance(await account(s.url, k.expired), BINANCE.keyRejected);
    assert.equal((await logEntries(s.url, u.m4, k.expired.apiKey))[0].reason, 'key has expired');
    const listed = (await listKeys(s.url, u.m4)).body.keys.find((x) => x.apiKey === k.expired.apiKey);
    assert.equal(listed.status, 'EXPIRED');
    assert.equal(listed.active, true);
  });

  test('permission matrix: the signed routes × no key, READ, TRADE-only, read-only, inactive, expired, deleted, revoked', async () => {
    // Uses k.expired and k.revoked from the tests above.
    const del = await request(s.url, 'DELETE', `/console/v1/keys/${k.deleted.apiKey}`, { token: u.m3.token });
    assert.equal(del.status, 200, del.text);
    const ok = 200;
    const [fmt, rej] = [BINANCE.keyFormat, BINANCE.keyRejected];
    const rows = [
      // name, key, header, account, apiRestrictions, revoke (last: it deactivates the key)
      ['no key', k.hmac, null, fmt, fmt, fmt],
      ['READ', k.read, undefined, ok, ok, ok],
      ['TRADE only', k.tradeOnly, undefined, rej, ok, ok],
      ['read-only READ+TRADE', k.readOnly, undefined, ok, ok, ok],
      ['inactive', k.inactive, undefined, rej, rej, rej],
      ['expired', k.expired, undefined, rej, rej, rej],
      ['deleted', k.deleted, undefined, rej, rej, rej],
      ['revoked', k.revoked, undefined, rej, rej, rej],
    ];
    for (const [name, key, apiKey, ...expected] of rows) {
      assert.ok(key, `${name}: key made by an earlier test`);
      const got = [
        await account(s.url, key, { apiKey }),
        await restrictions(s.url, key, { apiKey }),
        await revoke(s.url, key, { apiKey }),
      ];
      ['account', 'apiRestrictions', 'revoke'].forEach((route, i) => {
        if (expected[i] === ok) assert.equal(got[i].status, 200, `${name} × ${route}: ${got[i].text}`);
        else assertBinance(got[i], expected[i]);
      });
      if (name === 'read-only READ+TRADE') {
        assert.equal(got[0].body.canTrade, false, 'read-only: no TRADE');
        assert.equal(got[1].body.enableReading, true);
        assert.equal(got[1].body.enableSpotAndMarginTrading, false);
      }
      if (name === 'TRADE only') {
        assert.equal(got[1].body.enableReading, false);
        assert.equal(got[1].body.enableSpotAndMarginTrading, true);
      }
      // A key that revoked itself fails on its very next request.
      if (expected[2] === ok) assertBinance(await account(s.url, key), rej);
    }
    assert.deepEqual(k.readOnly.effectivePermissions, ['READ'], 'read-only keeps only READ');
    assert.deepEqual(k.readOnly.permissions, ['READ', 'TRADE']);
    assert.equal(k.inactive.status, 'INACTIVE');
    const reasons = (await logEntries(s.url, u.m1, k.tradeOnly.apiKey)).map((e) => e.reason);
    assert.ok(reasons.includes('key lacks the READ permission'), JSON.stringify(reasons));
    const inactive = (await logEntries(s.url, u.m2, k.inactive.apiKey)).map((e) => e.reason);
    assert.deepEqual(inactive, ['key is inactive', 'key is inactive', 'key is inactive'], JSON.stringify(inactive));
  });

  test('the access log: newest first, every field, one reason per refusal', async () => {
    // A fresh sequence on one key: bad signature, old timestamp, success, replay.
    const t0 = Date.now();
    const key = k.cidr;
    assertBinance(await account(s.url, key, { signWith: k.hmac }), BINANCE.badSignature);
    assertBinance(await account(s.url, key, { timestamp: Date.now() - 10000 }), BINANCE.tsOld);
    assertBinance(await account(s.url, key, { timestamp: Date.now() + 5000 }), BINANCE.tsAhead);
    assertBinance(await account(s.url, key, { recvWindow: 70000 }), BINANCE.recvWindow);
    assertBinance(await account(s.url, key, { signature: null }), BINANCE.missing('signature'));
    const good = await account(s.url, key);
    assert.equal(good.status, 200);
    assertBinance(await sendRaw(s.url, 'GET', ACCOUNT, { apiKey: key.apiKey, query: good.query }), BINANCE.replayed);
    const entries = (await logEntries(s.url, u.m4, key.apiKey)).filter((e) => e.time >= t0);
    assert.deepEqual(entries.map((e) => [e.result, e.status, e.reason]), [
      ['REJECTED', 400, 'signature was already used (replay)'],
      ['ACCEPTED', 200, ''],
      ['REJECTED', 400, 'no signature'],
      ['REJECTED', 400, 'timestamp: recvWindow must be less than 60000'],
      ['REJECTED', 400, "timestamp: Timestamp for this request was 1000ms ahead of the server's time."],
      ['REJECTED', 400, 'timestamp: Timestamp for this request is outside of the recvWindow.'],
      ['REJECTED', 400, 'signature is not valid'],
    ]);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.method, 'GET');
      assert.equal(e.path, ACCOUNT);
      assert.equal(typeof e.time, 'number');
      if (i > 0) assert.ok(e.time <= entries[i - 1].time, 'newest first');
    }
    const listed = (await listKeys(s.url, u.m4)).body.keys.find((x) => x.apiKey === key.apiKey);
    assert.ok(listed.lastUsedAt >= t0, 'lastUsedAt moved with the accepted request');
    assert.equal(listed.lastUsedIp, '127.0.0.1');
  });
});
