// Setup for bench/http_transfers.sh and bench/ceiling.sh, through the console API only (as a user
// would):
//   node bench/http_setup.mjs BASE_URL [transfers|orders|ceiling]
// signs up two users and, on each user that needs a key, enables 2FA (RFC 6238 TOTP computed
// here) and creates an HMAC_SHA256 key: transfers (the default), READ and TRANSFER on the first
// user (the sender); orders, READ and TRADE on both (one buys, the other sells); ceiling, as
// orders, and an ED25519 key with READ on the first user too (the key pair made here, the public
// half sent as PEM). Prints one JSON line:
//   {"kind", "users": [{"email", "uid", "apiKey"?, "secretKey"?, "ed25519"?: {"apiKey", "privateKey"}},
//                      {...}]}
// (privateKey: PKCS#8 PEM).
// Funding is left to the caller (`keygate admin deposit`). Node 20 built-ins only.

import crypto from 'node:crypto';

const [base, kind = 'transfers'] = process.argv.slice(2);
if (!base || !['transfers', 'orders', 'ceiling'].includes(kind)) {
  console.error('usage: node bench/http_setup.mjs BASE_URL [transfers|orders|ceiling]');
  process.exit(2);
}
const PASSWORD = 'correct horse battery staple';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, path, json, token) {
  const headers = { 'content-type': 'application/json', connection: 'close' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.toUpperCase().replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totpForStep(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 1e6).padStart(6, '0');
}

// The server accepts a code for a step within ±1 of now and later than the last one it accepted
// (as tests/integration/harness.mjs nextTotp): hand out steps in order, waiting when needed.
async function nextTotp(user) {
  for (;;) {
    const now = Date.now();
    const cur = Math.floor(now / 30000);
    const into = now % 30000;
    const step = Math.max(user.lastStep + 1, into > 27000 ? cur : cur - 1);
    if (step <= cur + 1) {
      user.lastStep = step;
      return totpForStep(user.secret, step);
    }
    await sleep(30000 - into + 100);
  }
}

async function user(tag) {
  const email = `bench-${tag}-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const { uid } = await call('POST', '/console/v1/signup', { email, password: PASSWORD });
  const { token } = await call('POST', '/console/v1/login', { email, password: PASSWORD });
  return { email, uid, token };
}

// 2FA on (once per user), then a key with these permissions (key creation asks for a TOTP code).
async function enable2fa(u) {
  if (u.secret) return;
  const { secret } = await call('POST', '/console/v1/2fa/setup', {}, u.token);
  u.secret = secret;
  u.lastStep = 0;
  await call('POST', '/console/v1/2fa/enable', { code: await nextTotp(u) }, u.token);
}

async function addKey(u, permissions) {
  await enable2fa(u);
  const key = await call('POST', '/console/v1/keys', {
    label: `bench-${kind}`,
    permissions,
    allowAllIps: true,
    totp: await nextTotp(u),
  }, u.token);
  if (!key.apiKey || !key.secretKey) throw new Error(`key creation answered ${JSON.stringify(key)}`);
  return { email: u.email, uid: u.uid, apiKey: key.apiKey, secretKey: key.secretKey };
}

// An ED25519 key: the pair made here, the server gets the public half.
async function addEd25519Key(u, permissions) {
  await enable2fa(u);
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const key = await call('POST', '/console/v1/keys', {
    label: `bench-${kind}-ed25519`,
    type: 'ED25519',
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
    permissions,
    allowAllIps: true,
    totp: await nextTotp(u),
  }, u.token);
  if (!key.apiKey) throw new Error(`ED25519 key creation answered ${JSON.stringify(key)}`);
  return { apiKey: key.apiKey, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
}

const trades = kind === 'orders' || kind === 'ceiling';
const a = await user(trades ? 'buyer' : 'from');
const b = await user(trades ? 'seller' : 'to');
const users = trades
  ? [await addKey(a, ['READ', 'TRADE']), await addKey(b, ['READ', 'TRADE'])]
  : [await addKey(a, ['READ', 'TRANSFER']), { email: b.email, uid: b.uid }];
if (kind === 'ceiling') users[0].ed25519 = await addEd25519Key(a, ['READ']);
console.log(JSON.stringify({ kind, users }));
