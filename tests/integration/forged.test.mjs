// S2, forged requests (reliability-security.md): at least 10,000 mutated signed requests, all
// refused with Binance's error for what is wrong with them, and nothing changes. A seeded PRNG
// (the seed is printed; KEYGATE_S2_SEED=<n> replays a run's mutations, with new keys, timestamps
// and signatures; KEYGATE_S2_COUNT=<n> sets how many) builds correct requests for
// GET /api/v3/account, POST /api/v3/order, DELETE /api/v3/order, POST /sapi/v1/transfer/internal
// and POST /sapi/v1/capital/withdraw/apply (HMAC, Ed25519 and RSA keys; parameters in the query,
// the body or both) and spoils each: after signing (a value changed, a parameter added, removed,
// reordered or moved between query and body, the body swapped with another request's, another
// key's signature, a signature made with another key type, a bad signature encoding, bad
// percent-encoding, a wrong X-MBX-APIKEY, a missing signature), in what it signs (an old or future
// timestamp, recvWindow above 60000, no or a malformed timestamp, a parameter twice), or by
// sending again, exactly or re-spelled, a request that succeeded (the controls). A mutation is
// first checked locally against the server's rules (parameters, payload = query + body without
// the signature, signature verification): one that is still a valid request (same signed text
// and signature, e.g. all of the query moved into an empty body) is not a forgery and is not sent.
// 32 requests are in flight at once over keep-alive connections. Each answer must be 400/401 with
// exactly {code, msg} and a code (and message) from the set expected for its class; never 429,
// the server runs with limits no run reaches. The unmutated versions of a sample succeed, and the
// balances, orders, transfers, withdrawals, keys and journal of every account involved are the
// same after the sweep as before it.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import {
  adminCall, createKey, forEachBackend, generateKeyPair, ledgerVerify, listKeys, request, signedRequest, startServer,
  until, userWith2FA,
} from './harness.mjs';

const TOTAL = Number(process.env.KEYGATE_S2_COUNT || 12000);
const IN_FLIGHT = 32;
const SEED = process.env.KEYGATE_S2_SEED !== undefined
  ? Number(process.env.KEYGATE_S2_SEED) >>> 0 : crypto.randomBytes(4).readUInt32LE(0);

const WALLET_ENV = {
  KEYGATE_WALLET_ADDRESS_COOLOFF_SECONDS: '0',
  KEYGATE_WALLET_WITHDRAW_DELAY_MS: '100',
  KEYGATE_WALLET_CHAIN_TICK_MS: '50',
  KEYGATE_WALLET_BLOCK_MS: '100',
};
const ETH_ADDRESS = '0x' + 'b'.repeat(40);

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32).

function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (arr) => arr[int(arr.length)];
  const chars = (alphabet, n) => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  return { next, int, pick, chars, hex: (n) => chars('0123456789abcdef', n), chance: (p) => next() < p };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = `${ALNUM}+/`;
const enc = encodeURIComponent;
const sortedJson = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));

// ---------------------------------------------------------------------------------------------
// The server's view of a request, re-implemented to tell a forgery from a re-spelling: the
// parameters (query wins; a name twice in one part is -1101), the payload (query + body without
// the signature pairs), and whether the signature verifies.

function formDecode(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '+') bytes.push(0x20);
    else if (c === '%') {
      if (!/^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) return null;
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'latin1'));
  }
  return Buffer.from(bytes).toString('latin1');
}

function partParams(items) {
  const out = [];
  for (const item of items) {
    if (item === '') continue;
    const i = item.indexOf('=');
    const k = formDecode(i < 0 ? item : item.slice(0, i));
    const v = formDecode(i < 0 ? '' : item.slice(i + 1));
    if (k === null || v === null) return null;
    out.push([k, v]);
  }
  return out;
}

// Map of name -> value as the server merges them; null when it would refuse the parameters.
function serverParams(q, b) {
  const qp = partParams(q);
  const bp = partParams(b ?? []);
  if (!qp || !bp) return null;
  const m = new Map();
  for (const [k, v] of qp) {
    if (m.has(k)) return null;
    m.set(k, v);
  }
  const own = new Set();
  for (const [k] of bp) {
    if (own.has(k)) return null;
    own.add(k);
  }
  for (const [k, v] of bp) if (!m.has(k)) m.set(k, v);
  return m;
}

const stripSig = (items) => items.filter((x) => !x.startsWith('signature=') && x !== 'signature').join('&');
const payloadOf = (q, b) => stripSig(q) + stripSig(b ?? []);

function strictBase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  const buf = Buffer.from(s, 'base64');
  return buf.toString('base64') === s ? buf : null;
}

// Would the server accept this request (key, timestamp window and signature)? Errs towards yes.
function locallyAccepted(keysByApiKey, wire) {
  const key = keysByApiKey.get(wire.apiKey);
  if (!key) return false;
  const p = serverParams(wire.q, wire.b);
  if (!p) return false;
  const ts = Number(p.get('timestamp'));
  if (!/^\d+$/.test(p.get('timestamp') ?? '') || ts <= 0) return false;
  const tsMs = ts >= 1e15 ? ts / 1000 : ts;
  let windowMs = 5000;
  if (p.has('recvWindow')) {
    const rw = Number(p.get('recvWindow'));
    if (!(rw > 0) || rw > 60000) return false;
    windowMs = rw;
  }
  const now = Date.now();
  if (tsMs >= now + 1000 + 5000 || now - tsMs > windowMs + 5000) return false;
  const sig = p.get('signature');
  if (!sig) return false;
  const payload = Buffer.from(payloadOf(wire.q, wire.b), 'latin1');
  if (key.type === 'HMAC_SHA256') {
    if (!/^[0-9a-fA-F]{64}$/.test(sig)) return false;
    return crypto.createHmac('sha256', key.secretKey).update(payload).digest('hex') === sig.toLowerCase();
  }
  const raw = strictBase64(sig.replace(/ /g, '+'));
  if (!raw) return false;
  return crypto.verify(key.type === 'RSA' ? 'sha256' : null, payload, key.publicKey, raw);
}

function signWith(key, payload) {
  const data = Buffer.from(payload, 'latin1');
  if (key.type === 'ED25519') return crypto.sign(null, data, key.privateKey).toString('base64');
  if (key.type === 'RSA') return crypto.sign('sha256', data, key.privateKey).toString('base64');
  return crypto.createHmac('sha256', key.secretKey).update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Requests: a spec (endpoint, key, parameter items as sent, where the query ends, where the
// signature goes) is signed into a request; a wire is what goes out: query items, body items
// (null: no body) and the X-MBX-APIKEY header.

// A timestamp never used before (for the controls, which must not replay one another).
let lastTs = 0;
const freshTs = () => { lastTs = Math.max(Date.now(), lastTs + 1); return lastTs; };

// items: [[name, raw value]] without timestamp/signature; adds recvWindow (when given) and
// timestamp (default now), then lays them out as `layout` says.
function makeSpec(rng, ep, key, items, { layout, recvWindow, ts } = {}) {
  const all = [...items];
  if (recvWindow !== undefined) all.splice(rng.int(all.length + 1), 0, ['recvWindow', String(recvWindow)]);
  const tsAt = rng.chance(0.7) ? all.length : rng.int(all.length + 1);
  all.splice(tsAt, 0, ['timestamp', String(ts ?? Date.now())]);
  const lay = layout ?? rng.pick(['query', 'query', 'body', 'split']);
  const split = lay === 'query' ? all.length : lay === 'body' ? 0 : 1 + rng.int(all.length - 1);
  const hasBody = lay !== 'query' || rng.chance(0.1);
  const sigIn = hasBody && rng.chance(0.5) ? 'body' : 'query';
  return { ep, key, items: all.map(([k, v]) => `${k}=${v}`), split, hasBody, sigIn };
}

function sign(spec, { signer = spec.key, signature } = {}) {
  const q = spec.items.slice(0, spec.split);
  const b = spec.hasBody ? spec.items.slice(spec.split) : null;
  const payload = payloadOf(q, b);
  const sig = signature ?? signWith(signer, payload);
  return { ...spec, q, b, payload, sig, sigItem: `signature=${enc(sig)}` };
}

function wireOf(signed, { sigItem = signed.sigItem } = {}) {
  const q = [...signed.q];
  const b = signed.b ? [...signed.b] : null;
  if (sigItem !== null) (signed.sigIn === 'body' ? b : q).push(sigItem);
  return { ep: signed.ep, q, b, apiKey: signed.key.apiKey };
}

// ---------------------------------------------------------------------------------------------
// Sending: keep-alive connections, IN_FLIGHT at once.

function sender(url) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const once = (method, path, wire) => new Promise((resolve) => {
    const query = wire.q.join('&');
    const body = wire.b === null ? undefined : wire.b.join('&');
    const headers = {};
    if (wire.apiKey !== null) headers['x-mbx-apikey'] = wire.apiKey;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({
      host: u.hostname, port: u.port, method, path: query ? `${path}?${query}` : path, agent, headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, body: parsed, text });
      });
      res.on('error', (e) => resolve({ status: 0, text: String(e) }));
    });
    req.setTimeout(15000, () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', (e) => resolve({ status: 0, text: String(e) }));
    req.end(body);
  });
  return {
    async send(method, path, wire) {
      // A keep-alive connection the server closed as it was reused: once more, on a fresh one.
      const r = await once(method, path, wire);
      return r.status === 0 ? once(method, path, wire) : r;
    },
    close: () => agent.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// Expected refusals.

const MSG = {
  '-1022': ['Signature for this request is not valid.', 'Signature for this request was already used.'],
  '-1021': ['Timestamp for this request is outside of the recvWindow.',
    "Timestamp for this request was 1000ms ahead of the server's time."],
  '-1131': ['recvWindow must be less than 60000'],
  '-1101': ['Duplicate values for a parameter detected.'],
  '-2014': ['API-key format invalid.'],
  '-2015': ['Invalid API-key, IP, or permissions for action.'],
};
const STATUS = { '-2014': 401, '-2015': 401 };
const REPLAYED = 'Signature for this request was already used.';

function checkRefusal(res, expect, exactMsg) {
  if (res.status !== (STATUS[res.body?.code] ?? 400)) return `HTTP ${res.status}`;
  if (!res.body || typeof res.body !== 'object') return 'not JSON';
  if (Object.keys(res.body).sort().join() !== 'code,msg') return 'not {code, msg}';
  if (!expect.includes(res.body.code)) return `code ${res.body.code} not in [${expect}]`;
  const msgs = MSG[res.body.code];
  if (msgs && !msgs.includes(res.body.msg)) return `message '${res.body.msg}'`;
  if (res.body.code === -1102 && !/^Mandatory parameter '[A-Za-z]+' was not sent, was empty\/null, or malformed\.$/.test(res.body.msg)) {
    return `message '${res.body.msg}'`;
  }
  if (res.body.code === -1100 && !/^Illegal characters found in parameter '.*'; legal range is '.*'\.$/.test(res.body.msg)) {
    return `message '${res.body.msg}'`;
  }
  if (exactMsg && res.body.msg !== exactMsg) return `message '${res.body.msg}', expected '${exactMsg}'`;
  return null;
}

// ---------------------------------------------------------------------------------------------

forEachBackend('S2: forged signed requests are refused and change nothing', (backend) => {
  let s;
  const u = {};
  const k = {};
  let keysByApiKey;
  let allKeys;
  let openOrders;  // control orders left open: what mutated cancels aim at
  let controls;    // requests that succeeded once: what replays resend
  let snapshotBefore;

  const hmacKey = (x) => ({ ...x, type: 'HMAC_SHA256' });
  const pubOf = (x) => crypto.createPublicKey(x.privateKey);

  // The state of everything the sweep could touch.
  async function snapshot() {
    const get = async (key, path, params = {}) => {
      const r = await signedRequest(s.url, 'GET', path, key, { params });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      return r.body;
    };
    const out = {};
    for (const [name, key] of [['A', k.A], ['B', k.Be], ['C', k.C]]) {
      out[name] = {
        balances: (await get(key, '/api/v3/account')).balances,
        orders: await get(key, '/api/v3/allOrders', { symbol: 'BTCUSDT' }),
        open: await get(key, '/api/v3/openOrders'),
        transfers: await get(key, '/sapi/v1/transfer/internal/history', { limit: 500 }),
        withdrawals: await get(key, '/sapi/v1/capital/withdraw/history'),
        keys: (await listKeys(s.url, u[name])).body.keys.map((x) => [x.apiKey, x.active, x.status, x.permissions]),
      };
    }
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
    out.journal = { entries: v.entries, totals: JSON.stringify(v.totals, (_, x) => (typeof x === 'bigint' ? String(x) : x)) };
    return out;
  }

  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], env: WALLET_ENV });
    // Three codes per user (enable + two) so nobody waits for the next 30-second step.
    [u.A, u.B, u.C] = await Promise.all(['s2-a', 's2-b', 's2-c'].map((tag) => userWith2FA(s.url, { tag })));
    const local = { allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] };
    k.A = hmacKey(await createKey(s.url, u.A, { label: 'A hmac', permissions: ['READ', 'TRADE', 'TRANSFER', 'WITHDRAW'], ...local }));
    const book = await request(s.url, 'POST', '/console/v1/withdraw-addresses',
      { token: u.A.token, json: { asset: 'ETH', address: ETH_ADDRESS, label: 's2', totp: await u.A.code() } });
    assert.equal(book.status, 200, book.text);
    const ed = await createKey(s.url, u.B, { label: 'B ed25519', type: 'ED25519', permissions: ['READ', 'TRADE', 'TRANSFER'] });
    k.Be = { ...ed, publicKey: pubOf(ed) };
    const rsa = await createKey(s.url, u.B, { label: 'B rsa', type: 'RSA', permissions: ['READ', 'TRADE', 'TRANSFER'] });
    k.Br = { ...rsa, publicKey: pubOf(rsa) };
    k.C = hmacKey(await createKey(s.url, u.C, { label: 'C hmac', permissions: ['READ', 'TRADE', 'TRANSFER'] }));
    k.Cdel = hmacKey(await createKey(s.url, u.C, { label: 'C deleted' }));
    const del = await request(s.url, 'DELETE', `/console/v1/keys/${k.Cdel.apiKey}`, { token: u.C.token });
    assert.equal(del.status, 200, del.text);
    allKeys = [k.A, k.Be, k.Br, k.C];
    keysByApiKey = new Map(allKeys.map((x) => [x.apiKey, x]));

    for (const [user, asset, amount] of [[u.A, 'USDT', '100000'], [u.A, 'ETH', '100'], [u.B, 'USDT', '100000'], [u.C, 'USDT', '1000']]) {
      const r = await adminCall(s.dataDir, { cmd: 'deposit', email: user.email, asset, amount, txid: `s2-${asset}-${user.uid}` });
      assert.ok(r.ok, r.text);
    }
    await until('the deposits to be credited', async () => {
      const bal = async (key, asset) => (await signedRequest(s.url, 'GET', '/api/v3/account', key)).body?.balances
        ?.find((x) => x.asset === asset)?.free;
      return (await bal(k.A, 'USDT')) === '100000.00000000' && (await bal(k.A, 'ETH')) === '100.00000000' &&
        (await bal(k.Be, 'USDT')) === '100000.00000000' && (await bal(k.C, 'USDT')) === '1000.00000000';
    }, 15000);
  });
  after(async () => { await s?.stop(); });

  // The correct requests: for each endpoint, its method and path, the keys that send it, and its
  // parameters (drawn from the PRNG; recvWindow, timestamp and layout are added by makeSpec).
  const ENDPOINTS = {
    account: {
      method: 'GET', path: '/api/v3/account', keys: () => allKeys,
      items: (rng) => (rng.chance(0.5) ? [['omitZeroBalances', rng.pick(['true', 'false'])]] : []),
    },
    order: {
      method: 'POST', path: '/api/v3/order', keys: () => [k.A, k.Be, k.Br],
      items: (rng) => [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'],
        ['quantity', `0.0${1 + rng.int(9)}`], ['price', String(20000 + rng.int(39000))],
        ['newClientOrderId', enc(`s2:${rng.hex(10)}/${rng.int(1000)}`)]],
    },
    cancel: {
      method: 'DELETE', path: '/api/v3/order', keys: (rng) => [rng.pick(openOrders).key],
      items: (rng, key) => {
        const mine = openOrders.filter((o) => o.key === key);
        const o = rng.pick(mine);
        return [['symbol', 'BTCUSDT'], rng.chance(0.5) ? ['orderId', String(o.orderId)] : ['origClientOrderId', enc(o.clientOrderId)]];
      },
    },
    transfer: {
      method: 'POST', path: '/sapi/v1/transfer/internal', keys: () => [k.A, k.Be, k.Br],
      items: (rng, key) => {
        const to = rng.pick([u.A, u.B, u.C].filter((x) => x !== (key === k.A ? u.A : u.B)));
        return [['asset', 'USDT'], ['amount', `${1 + rng.int(9)}.${rng.int(100)}`],
          rng.chance(0.5) ? ['toEmail', enc(to.email)] : ['toUid', String(to.uid)],
          ['clientTranId', enc(`s2:${rng.hex(12)}`)]];
      },
    },
    withdraw: {
      method: 'POST', path: '/sapi/v1/capital/withdraw/apply', keys: () => [k.A],
      items: (rng) => [['coin', 'ETH'], ['network', 'ETH'], ['address', ETH_ADDRESS],
        ['amount', `0.${1 + rng.int(8)}`], ['withdrawOrderId', enc(`s2:${rng.hex(12)}`)]],
    },
  };
  const EP_WEIGHTS = [['account', 30], ['order', 25], ['cancel', 10], ['transfer', 22], ['withdraw', 13]];

  function baseSpec(rng, ep, opts = {}) {
    const e = ENDPOINTS[ep];
    const key = opts.key ?? rng.pick(e.keys(rng));
    const recvWindow = 'recvWindow' in opts ? opts.recvWindow : (rng.chance(0.3) ? 5000 + rng.int(55001) : undefined);
    return makeSpec(rng, ep, key, e.items(rng, key), { ...opts, recvWindow });
  }

  test('controls: the unmutated requests succeed', async () => {
    const rng = makeRng(SEED ^ 0x5eed);
    const send = sender(s.url);
    controls = [];
    openOrders = [];
    const run = async (ep, key, opts = {}) => {
      const spec = baseSpec(rng, ep, { key, recvWindow: 60000, ts: freshTs(), ...opts });
      const signed = sign(spec);
      const wire = wireOf(signed);
      const r = await send.send(ENDPOINTS[ep].method, ENDPOINTS[ep].path, wire);
      assert.equal(r.status, 200, `control ${ep} ${JSON.stringify(wire)}: ${r.text}`);
      controls.push({ signed, wire, at: Date.now() });
      return r.body;
    };
    try {
      for (const key of allKeys) for (let i = 0; i < 3; i++) await run('account', key);
      for (const key of [k.A, k.Be, k.Br]) {
        for (let i = 0; i < 3; i++) {
          const o = await run('order', key);
          assert.equal(o.status, 'NEW', JSON.stringify(o));
          openOrders.push({ key, orderId: o.orderId, clientOrderId: o.clientOrderId });
        }
      }
      // Cancel one order of each key; the rest stay open for the mutated cancels.
      for (const key of [k.A, k.Be, k.Br]) {
        const o = openOrders.find((x) => x.key === key);
        const spec = makeSpec(rng, 'cancel', key, [['symbol', 'BTCUSDT'], ['orderId', String(o.orderId)]],
          { recvWindow: 60000, ts: freshTs() });
        const signed = sign(spec);
        const r = await send.send('DELETE', '/api/v3/order', wireOf(signed));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.status, 'CANCELED');
        controls.push({ signed, wire: wireOf(signed), at: Date.now() });
        openOrders.splice(openOrders.indexOf(o), 1);
      }
      for (const key of [k.A, k.Be, k.Br]) for (let i = 0; i < 3; i++) assert.equal(typeof (await run('transfer', key)).tranId, 'number');
      for (let i = 0; i < 3; i++) assert.equal(typeof (await run('withdraw', k.A)).id, 'string');
    } finally {
      send.close();
    }
    // The withdrawals finish on the simulated chain before the state is taken.
    await until('the control withdrawals to complete', async () => {
      const r = await signedRequest(s.url, 'GET', '/sapi/v1/capital/withdraw/history', k.A);
      return r.status === 200 && r.body.length === 3 && r.body.every((w) => w.status === 6);
    }, 15000);
    assert.equal(controls.length, 12 + 9 + 3 + 9 + 3);
    snapshotBefore = await snapshot();
  });

  test(`${TOTAL} mutated requests are all refused with the expected code, and nothing changes`, async (t) => {
    assert.ok(controls?.length, 'the controls ran');
    t.diagnostic(`seed ${SEED} (KEYGATE_S2_SEED=${SEED} replays it)`);
    const rng = makeRng(SEED);
    const pickEp = () => {
      let n = rng.int(100);
      for (const [ep, w] of EP_WEIGHTS) { if (n < w) return ep; n -= w; }
      return 'account';
    };
    const otherKeys = (key) => allKeys.filter((x) => x !== key);
    const strangers = {
      HMAC_SHA256: { type: 'HMAC_SHA256', secretKey: `kgSK${rng.chars(ALNUM, 60)}` },
      ED25519: { type: 'ED25519', privateKey: generateKeyPair('ED25519').privateKey },
      RSA: { type: 'RSA', privateKey: generateKeyPair('RSA').privateKey },
    };
    const nonSig = (items) => items.map((x, i) => i).filter((i) => !items[i].startsWith('signature='));

    // Each class: guard (true: the mutation must leave no valid request, checked locally), and
    // make(rng) -> {wire, expect: [codes], msg?, variant} or null (not applicable: pick again).
    const CLASSES = {
      'value changed': { guard: true, weight: 2, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        const part = signed.b && signed.b.length && rng.chance(0.5) ? w.b : w.q;
        const idx = nonSig(part);
        if (!idx.length) return null;
        const i = rng.pick(idx);
        const eq = part[i].indexOf('=');
        const [name, value] = [part[i].slice(0, eq), part[i].slice(eq + 1)];
        let v;
        let variant;
        if (name === 'timestamp') { v = String(Number(value) + 1 + rng.int(800)); variant = 'timestamp'; }
        else if (name === 'recvWindow') { v = String(5000 + rng.int(55001)); variant = 'recvWindow'; }
        else {
          const alt = { symbol: ['ETHUSDT', 'XRPUSDT', 'BTCUSDC'], side: ['SELL'], type: ['MARKET', 'LIMIT_MAKER'],
            quantity: ['1', '100', '0.0'], price: ['1', '99999', '60000'], asset: ['ETH', 'BTC'], coin: ['BTC', 'USDT'],
            amount: ['99999', '0.00000001', '50'], address: ['0x' + 'c'.repeat(40)], toEmail: [enc(u.C.email), enc(u.A.email)],
            toUid: [String(u.C.uid), String(u.A.uid), '1'], orderId: ['1', '999999'], omitZeroBalances: ['1', 'TRUE'] }[name];
          if (alt && rng.chance(0.5)) { v = rng.pick(alt); variant = 'semantic'; }
          else {
            // One character changed, outside any %XX escape.
            const spots = [...value].map((c, j) => j).filter((j) => value[j] !== '%' && value[j - 1] !== '%' && value[j - 2] !== '%');
            if (!spots.length) return null;
            const j = rng.pick(spots);
            v = value.slice(0, j) + rng.pick([...ALNUM.replace(value[j], '')]) + value.slice(j + 1);
            variant = 'one character';
          }
        }
        if (v === value) return null;
        part[i] = `${name}=${v}`;
        return { wire: w, expect: [-1022], variant };
      } },
      'parameter added': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        const toBody = rng.chance(0.4);
        if (toBody && !w.b) w.b = [];
        const part = toBody ? w.b : w.q;
        const names = new Set(partParams(part).map(([n]) => n));
        const [item, variant] = rng.pick([
          ['newOrderRespType=ACK', 'newOrderRespType'], [`recvWindow=${5000 + rng.int(55001)}`, 'recvWindow'],
          ['x=1', 'unknown name'], ['', 'empty pair'], ['omitZeroBalances=true', 'omitZeroBalances'],
          [`quantity=${rng.int(10)}`, 'quantity'], ['test=1', 'test']]);
        const name = item.split('=')[0];
        const dup = item !== '' && names.has(name);
        part.splice(rng.int(part.length + 1), 0, item);
        return { wire: w, expect: dup ? [-1101] : [-1022], variant: dup ? `${variant} (duplicate)` : variant };
      } },
      'parameter removed': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        const parts = [w.q, w.b].filter((p) => p && nonSig(p).length);
        const part = rng.pick(parts);
        const i = rng.pick(nonSig(part));
        const [removed] = part.splice(i, 1);
        const name = removed.split('=')[0];
        return { wire: w, expect: name === 'timestamp' ? [-1102] : [-1022], variant: name === 'timestamp' ? 'timestamp' : 'other' };
      } },
      reordered: { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp(), { layout: rng.pick(['query', 'body']) }));
        const w = wireOf(signed);
        const part = signed.split === 0 ? w.b : w.q;
        const idx = nonSig(part);
        if (idx.length < 2) return null;
        const vals = idx.map((i) => part[i]);
        let variant;
        if (rng.chance(0.3)) {
          vals.reverse();
          variant = 'reversed';
        } else if (rng.chance(0.5)) {
          const [x] = vals.splice(rng.int(vals.length), 1);
          vals.splice(rng.int(vals.length + 1), 0, x);
          variant = 'one moved';
        } else {
          const a = rng.int(vals.length);
          const b = (a + 1 + rng.int(vals.length - 1)) % vals.length;
          [vals[a], vals[b]] = [vals[b], vals[a]];
          variant = 'two swapped';
        }
        idx.forEach((i, j) => { part[i] = vals[j]; });
        return { wire: w, expect: [-1022], variant };
      } },
      'body swapped': { guard: true, make() {
        const ep = rng.pick(['order', 'transfer', 'withdraw', 'cancel', 'account']);
        const key = rng.pick(ENDPOINTS[ep].keys(rng));
        const layout = rng.pick(['body', 'split']);
        const one = sign(baseSpec(rng, ep, { key, layout }));
        const other = sign(baseSpec(rng, ep,
          { key: rng.chance(0.7) ? key : rng.pick(ENDPOINTS[ep].keys(rng)), layout, ts: Date.now() - 1 - rng.int(500) }));
        const w = wireOf(one);
        w.b = wireOf(other).b;
        // The other body may lack the timestamp or signature this request's body had: -1102.
        return { wire: w, expect: [-1022, -1101, -1102], variant: `${ep}, signature in the ${one.sigIn}` };
      } },
      'moved between query and body': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        if (!w.b) w.b = [];
        const r = rng.int(3);
        let variant;
        if (r === 0 && nonSig(w.q).length) {
          const i = rng.pick(nonSig(w.q));
          const [x] = w.q.splice(i, 1);
          w.b.splice(rng.chance(0.5) ? 0 : w.b.length, 0, x);
          variant = 'query to body';
        } else if (r === 1 && nonSig(w.b).length) {
          const i = rng.pick(nonSig(w.b));
          const [x] = w.b.splice(i, 1);
          w.q.splice(rng.chance(0.5) ? 0 : w.q.length, 0, x);
          variant = 'body to query';
        } else {
          // All of one part into the other: a new text only when both parts had parameters.
          if (!nonSig(w.q).length || !nonSig(w.b).length) return null;
          [w.q, w.b] = rng.chance(0.5) ? [[], [...w.q, ...w.b]] : [[...w.q, ...w.b], []];
          variant = 'everything moved';
        }
        return { wire: w, expect: [-1022, -1101], variant };
      } },
      "another key's signature": { guard: true, make() {
        const spec = baseSpec(rng, pickEp());
        // Another registered key of the same type, or a key of that type the server never saw.
        const registered = otherKeys(spec.key).filter((x) => x.type === spec.key.type);
        const stranger = strangers[spec.key.type];
        const other = registered.length && rng.chance(0.5) ? rng.pick(registered) : stranger;
        const signed = sign(spec, { signer: other });
        return { wire: wireOf(signed), expect: [-1022], variant: `${spec.key.type}, ${other === stranger ? 'unknown' : 'registered'} key` };
      } },
      'key type mix-up': { guard: true, make() {
        const spec = baseSpec(rng, pickEp());
        const payload = payloadOf(spec.items.slice(0, spec.split), spec.hasBody ? spec.items.slice(spec.split) : null);
        const mine = spec.key.type;
        const choices = [];
        if (mine !== 'HMAC_SHA256') choices.push(['HMAC hex', signWith(rng.pick([k.A, k.C]), payload)]);
        if (mine !== 'ED25519') choices.push(['Ed25519 base64', signWith(k.Be, payload)]);
        if (mine !== 'RSA') choices.push(['RSA base64', signWith(k.Br, payload)]);
        if (mine === 'HMAC_SHA256') {
          choices.push(['HMAC digest as base64', Buffer.from(signWith(spec.key, payload), 'hex').toString('base64')]);
        } else {
          choices.push([`${mine} signature as hex`, Buffer.from(signWith(spec.key, payload), 'base64').toString('hex')]);
        }
        const [variant, signature] = rng.pick(choices);
        return { wire: wireOf(sign(spec, { signature })), expect: [-1022], variant: `${variant} for ${mine}` };
      } },
      'bad signature encoding': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const sig = signed.sig;
        const hmac = signed.key.type === 'HMAC_SHA256';
        const alphabet = hmac ? '0123456789abcdef' : B64;
        const body = hmac ? sig : sig.replace(/=+$/, '');
        const pad = sig.slice(body.length);
        const r = rng.int(10);
        let out;
        let variant;
        let expect = [-1022];
        if (r === 0) { out = sig.slice(0, 1 + rng.int(sig.length - 1)); variant = 'truncated'; }
        else if (r === 1) { out = sig + rng.chars(alphabet, 1 + rng.int(8)); variant = 'extended'; }
        else if (r === 2) {
          // One character of the signature changed (not the last base64 one, whose low bits may not count).
          const j = rng.int(hmac ? sig.length : body.length - 1);
          const others = [...alphabet].filter((c) => c.toLowerCase() !== sig[j].toLowerCase());
          out = sig.slice(0, j) + rng.pick(others) + sig.slice(j + 1);
          variant = 'one character changed';
        } else if (r === 3) {
          if (hmac) {
            const j = rng.int(sig.length);
            out = sig.slice(0, j) + rng.pick('ghijklmnopqrstuvwxyzGXZ') + sig.slice(j + 1);
            variant = 'non-hex character';
          } else {
            const letters = [...body.slice(0, -1)].map((c, j) => j).filter((j) => /[A-Za-z]/.test(body[j]));
            const j = rng.pick(letters);
            const c = body[j];
            out = sig.slice(0, j) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + sig.slice(j + 1);
            variant = 'letter case changed (base64)';
          }
        } else if (r === 4) {
          out = hmac ? rng.hex(64) : crypto.randomBytes(signed.key.type === 'RSA' ? 256 : 64).toString('base64');
          variant = 'random signature';
        } else if (r === 5) {
          out = hmac ? `0x${sig}` : `${body}!${pad}`;
          variant = hmac ? '0x prefix' : 'non-base64 character';
        } else if (r === 6) {
          out = rng.pick(['0'.repeat(64), 'A'.repeat(88), '====', 'AAAA', '-_-_', '*', 'null', 'undefined']);
          variant = 'garbage';
        } else if (r === 7) {
          return { wire: wireOf(signed, { sigItem: 'signature=' }), expect: [-1102], variant: 'empty' };
        } else if (r === 8) {
          // A prefix must not make a valid escape with the signature's first characters.
          const sigItem = rng.chance(0.5) ? `signature=${rng.pick(['%zz', '%G0', '%%'])}${enc(sig)}`
            : `signature=${enc(sig)}${rng.pick(['%zz', '%', '%4', '%G0'])}`;
          return { wire: wireOf(signed, { sigItem }), expect: [-1100], variant: 'bad percent escape' };
        } else {
          out = hmac ? sig.slice(2) + sig.slice(0, 2) : body.slice(4) + body.slice(0, 4) + pad;
          variant = 'rotated';
        }
        if (out === sig) return null;
        return { wire: wireOf(signed, { sigItem: `signature=${enc(out)}` }), expect, variant };
      } },
      'bad parameter encoding': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        const part = signed.b && signed.b.length && rng.chance(0.5) ? w.b : w.q;
        const idx = nonSig(part);
        if (!idx.length) return null;
        // Half the time a parameter with escapes in it, when there is one.
        const escaped = idx.filter((j) => part[j].includes('%'));
        const i = escaped.length && rng.chance(0.5) ? rng.pick(escaped) : rng.pick(idx);
        const item = part[i];
        let out;
        let variant;
        // The window's parameters, mangled, may also be missing/malformed (-1102) or out of range.
        const timing = /^(timestamp|recvWindow)=/.test(item) ? [-1102, -1021, -1131] : [];
        let expect = [-1022, ...timing];
        const escapes = [...item.matchAll(/%[0-9A-F]{2}/g)];
        const lettered = escapes.filter((x) => /[A-F]/.test(x[0]));
        const kinds = ['escaped', 'bad escape', 'inserted', 'capitalised'];
        if (lettered.length) kinds.push('lower case');
        if (escapes.length) kinds.push('decoded', 'double-encoded');
        const kind = rng.pick(kinds);
        if (kind === 'escaped') {
          // An unreserved character percent-encoded: the same value, another text.
          const spots = [...item].map((c, j) => j).filter((j) => /[A-Za-z0-9]/.test(item[j]) && item[j - 1] !== '%' && item[j - 2] !== '%');
          const j = rng.pick(spots);
          out = `${item.slice(0, j)}%${item.charCodeAt(j).toString(16).toUpperCase().padStart(2, '0')}${item.slice(j + 1)}`;
          variant = 'unreserved character escaped';
        } else if (kind === 'lower case') {
          const m = rng.pick(lettered);
          out = item.slice(0, m.index) + m[0].toLowerCase() + item.slice(m.index + 3);
          variant = 'escape in lower case';
        } else if (kind === 'decoded') {
          const m = rng.pick(escapes);
          out = item.slice(0, m.index) + String.fromCharCode(parseInt(m[0].slice(1), 16)) + item.slice(m.index + 3);
          variant = 'escape decoded';
        } else if (kind === 'double-encoded') {
          const m = rng.pick(escapes);
          out = `${item.slice(0, m.index)}%25${item.slice(m.index + 1)}`;
          variant = 'double-encoded';
        } else if (kind === 'bad escape') {
          const j = 1 + rng.int(item.length - 1);
          out = item.slice(0, j) + rng.pick(['%zz', '%G1', '%%']) + item.slice(j);
          if (rng.chance(0.3)) out = `${item}${rng.pick(['%', '%4'])}`;
          variant = 'bad escape';
          expect = [-1100, -1022, ...timing];
        } else if (kind === 'inserted') {
          // Into the value, not inside a %XX escape.
          const spots = [...item, ''].map((c, j) => j)
            .filter((j) => j > item.indexOf('=') && item[j - 1] !== '%' && item[j - 2] !== '%');
          const j = rng.pick(spots);
          out = item.slice(0, j) + rng.pick(['+', '%20', '%C3%A9', '%00']) + item.slice(j);
          variant = 'character inserted';
        } else {
          out = item.replace(/^[a-z]/, (c) => c.toUpperCase());
          variant = 'name capitalised';
        }
        if (out === undefined || out === item) return null;
        part[i] = out;
        return { wire: w, expect, variant };
      } },
      'old timestamp': { guard: false, make() {
        const rw = rng.chance(0.5) ? 1000 + rng.int(59000) : undefined;
        const age = (rw ?? 5000) + 1 + rng.pick([rng.int(1000), rng.int(100000), rng.int(1e9)]);
        const us = rng.chance(0.2);
        const ms = Date.now() - age;
        const ts = us ? ms * 1000 + rng.int(1000) : ms;
        const signed = sign(baseSpec(rng, pickEp(), { recvWindow: rw, ts }));
        return { wire: wireOf(signed), expect: [-1021], msg: MSG['-1021'][0], variant: us ? 'microseconds' : 'milliseconds' };
      } },
      'future timestamp': { guard: false, make() {
        const us = rng.chance(0.2);
        const ms = Date.now() + 5000 + rng.pick([rng.int(10000), rng.int(1e7), rng.int(1e11)]);
        const ts = us ? ms * 1000 + rng.int(1000) : ms;
        const signed = sign(baseSpec(rng, pickEp(), { ts, recvWindow: rng.chance(0.5) ? 60000 : undefined }));
        return { wire: wireOf(signed), expect: [-1021], msg: MSG['-1021'][1], variant: us ? 'microseconds' : 'milliseconds' };
      } },
      'recvWindow above 60000': { guard: false, make() {
        const rw = rng.pick(['60001', '60000.001', '60000.5', String(60001 + rng.int(1e6)), '86400000', '600000', '1000000000']);
        const signed = sign(baseSpec(rng, pickEp(), { recvWindow: rw }));
        return { wire: wireOf(signed), expect: [-1131], variant: rw.includes('.') ? 'decimals' : 'integer' };
      } },
      'timestamp or signature missing': { guard: false, make() {
        const spec = baseSpec(rng, pickEp());
        const r = rng.int(5);
        if (r === 0) return { wire: wireOf(sign(spec), { sigItem: null }), expect: [-1102], variant: 'no signature' };
        const tsIdx = spec.items.findIndex((x) => x.startsWith('timestamp='));
        if (r === 1 || r === 2) {
          // Signed without a timestamp (r 2: and sent without a signature too).
          spec.items.splice(tsIdx, 1);
          if (tsIdx < spec.split) spec.split--;
          const wire = wireOf(sign(spec), { sigItem: r === 2 ? null : undefined });
          return { wire, expect: [-1102], variant: r === 2 ? 'neither' : 'no timestamp' };
        }
        spec.items[tsIdx] = rng.pick(['timestamp=', 'timestamp', 'timestamp=abc', 'timestamp=-1', 'timestamp=0',
          'timestamp=1.5e12', `timestamp=${Date.now()}.5`, 'timestamp=99999999999999999999999']);
        return { wire: wireOf(sign(spec)), expect: [-1102], variant: 'empty or malformed timestamp' };
      } },
      'duplicated parameter': { guard: false, make() {
        const spec = baseSpec(rng, pickEp());
        const signed = sign(spec);
        const w = wireOf(signed);
        const r = rng.int(3);
        if (r === 0) {
          // The signature twice in its part.
          (signed.sigIn === 'body' ? w.b : w.q).push(rng.chance(0.5) ? signed.sigItem : `signature=${rng.hex(64)}`);
          return { wire: w, expect: [-1101], variant: 'signature' };
        }
        // A parameter twice in one part, signed that way.
        const inQuery = spec.split > 0 && (spec.split === spec.items.length || rng.chance(0.5));
        const lo = inQuery ? 0 : spec.split;
        const hi = inQuery ? spec.split : spec.items.length;
        const j = lo + rng.int(hi - lo);
        const name = spec.items[j].split('=')[0];
        const copy = r === 1 ? spec.items[j] : `${name}=${name === 'timestamp' ? Date.now() + 1 : rng.hex(4)}`;
        spec.items.splice(lo + rng.int(hi - lo + 1), 0, copy);
        if (inQuery) spec.split++;
        return { wire: wireOf(sign(spec)), expect: [-1101], variant: name === 'timestamp' ? 'timestamp' : 'other' };
      } },
      'wrong X-MBX-APIKEY': { guard: true, make() {
        const signed = sign(baseSpec(rng, pickEp()));
        const w = wireOf(signed);
        const own = signed.key.apiKey;
        const r = rng.int(8);
        const variants = [
          [null, 'missing', [-2014]], ['', 'empty', [-2014]], [own.slice(0, -1), 'truncated', [-2014]],
          [own + rng.pick(ALNUM), 'extended', [-2014]], [`${own.slice(0, -1)}-`, 'bad character', [-2014]],
          [`kgAK${rng.chars(ALNUM, 60)}`, 'unknown key', [-2015]], [k.Cdel.apiKey, 'deleted key', [-2015]],
          [rng.pick(otherKeys(signed.key)).apiKey, "another live key's", [-1022]],
        ];
        const [apiKey, variant, expect] = variants[r];
        w.apiKey = apiKey;
        return { wire: w, expect, variant };
      } },
      'replayed (exact)': { guard: false, make() {
        const c = rng.pick(controls);
        const fresh = Date.now() - c.at < 50000;
        return { wire: c.wire, expect: fresh ? [-1022] : [-1022, -1021], msg: fresh ? REPLAYED : undefined, variant: c.signed.ep };
      } },
      'replayed (re-spelled)': { guard: false, make() {
        const c = rng.pick(controls);
        const { signed } = c;
        const hmac = signed.key.type === 'HMAC_SHA256';
        const r = rng.int(hmac ? 6 : 7);
        let w;
        let variant;
        let sure = true;  // the server is known to take this spelling as the same signature
        if (r === 0) {
          w = wireOf({ ...signed, sigIn: signed.sigIn === 'body' || !signed.b ? 'query' : 'body' });
          variant = 'signature in the other part';
        } else if (r === 1) {
          w = wireOf(signed, { sigItem: null });
          (signed.sigIn === 'body' ? w.b : w.q).unshift(signed.sigItem);
          variant = 'signature first';
        } else if (r === 2 && !signed.b?.length) {
          w = wireOf(signed);
          w.b = [...w.q, ...(w.b ?? [])];
          w.q = [];
          variant = 'query sent as the body';
        } else if (hmac) {
          const mixed = [...signed.sig].map((ch) => (rng.chance(0.5) ? ch.toUpperCase() : ch)).join('');
          const sp = rng.pick([
            [signed.sig.toUpperCase(), 'upper-case hex'],
            [mixed === signed.sig ? signed.sig.toUpperCase() : mixed, 'mixed-case hex'],
            [[...signed.sig].map((ch) => (rng.chance(0.3) ? `%${ch.charCodeAt(0).toString(16)}` : ch)).join(''), 'hex percent-encoded']]);
          w = wireOf(signed, { sigItem: `signature=${sp[0]}` });
          variant = sp[1];
        } else {
          const sp = rng.pick([
            [signed.sig, 'base64 not percent-encoded'],
            [enc(signed.sig).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), 'lower-case escapes'],
            [[...signed.sig].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`).join(''), 'every character escaped'],
            [signed.sig.replace(/=+$/, ''), 'padding dropped'],
            [signed.sig.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url']]);
          if (sp[1] === 'padding dropped' || sp[1] === 'base64url') sure = false;
          if (sp[1] === 'base64 not percent-encoded' && !/[+/=]/.test(signed.sig)) return null;
          w = wireOf(signed, { sigItem: `signature=${sp[0]}` });
          variant = sp[1];
        }
        if (!w) return null;
        const fresh = Date.now() - c.at < 50000;
        return { wire: w, expect: fresh ? [-1022] : [-1022, -1021], msg: fresh && sure ? REPLAYED : undefined, variant };
      } },
    };

    const classNames = Object.keys(CLASSES);
    const weights = classNames.map((n) => CLASSES[n].weight ?? 1);
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const stats = new Map(classNames.map((n) => [n, { sent: 0, codes: {}, variants: {} }]));
    const skipped = {};  // class / variant -> how many generated mutations were still valid
    const failures = [];  // the first 20, in full
    const failed = {};    // class / variant -> how many

    function nextMutation() {
      for (;;) {
        let n = rng.int(weightSum);
        let ci = 0;
        while (n >= weights[ci]) n -= weights[ci++];
        const name = classNames[ci];
        const m = CLASSES[name].make();
        if (!m) continue;
        if (CLASSES[name].guard && locallyAccepted(keysByApiKey, m.wire)) {
          const v = `${name} / ${m.variant}`;
          skipped[v] = (skipped[v] ?? 0) + 1;
          continue;
        }
        return { cls: name, ...m };
      }
    }

    const send = sender(s.url);
    const t0 = Date.now();
    let issued = 0;
    async function worker() {
      while (issued < TOTAL) {
        issued++;
        const m = nextMutation();
        const { method, path } = ENDPOINTS[m.wire.ep];
        const res = await send.send(method, path, m.wire);
        const st = stats.get(m.cls);
        st.sent++;
        const code = res.body?.code ?? `HTTP ${res.status}`;
        st.codes[code] = (st.codes[code] ?? 0) + 1;
        st.variants[m.variant] = (st.variants[m.variant] ?? 0) + 1;
        const why = checkRefusal(res, m.expect, m.msg);
        if (why) failed[`${m.cls} / ${m.variant}`] = (failed[`${m.cls} / ${m.variant}`] ?? 0) + 1;
        if (why && failures.length < 20) {
          failures.push(`${m.cls} / ${m.variant} (${m.wire.ep}): ${why}; sent ${method} ${path}?${m.wire.q.join('&')}` +
            ` body ${m.wire.b?.join('&')} key ${m.wire.apiKey}; got ${res.status} ${res.text}`);
        }
      }
    }
    try {
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    } finally {
      send.close();
    }
    const secs = (Date.now() - t0) / 1000;
    let total = 0;
    for (const [name, st] of stats) {
      total += st.sent;
      t.diagnostic(`${name}: ${st.sent} sent; codes ${sortedJson(st.codes)}; variants ${sortedJson(st.variants)}`);
    }
    t.diagnostic(`${total} mutations in ${secs.toFixed(1)} s (${Math.round(total / secs)}/s, ${IN_FLIGHT} in flight)`);
    t.diagnostic(`not sent, being still valid requests (same signed text and signature): ${sortedJson(skipped)}`);
    assert.deepEqual({ failed, failures }, { failed: {}, failures: [] }, `seed ${SEED}: mutations not refused as expected`);
    assert.equal(total, TOTAL);
    assert.ok(total >= 10000 || process.env.KEYGATE_S2_COUNT, 'at least 10,000 mutations');
    for (const [name, st] of stats) assert.ok(st.sent > 0, `class ${name} was exercised`);

    const snapshotAfter = await snapshot();
    assert.deepEqual(snapshotAfter, snapshotBefore, 'balances, orders, transfers, withdrawals, keys and journal unchanged');

    // And the keys still work: a fresh, correct request of each succeeds.
    for (const key of allKeys) {
      const r = await signedRequest(s.url, 'GET', '/api/v3/account', key);
      assert.equal(r.status, 200, `after the sweep, ${key.type}: ${r.text}`);
    }
  });
});
