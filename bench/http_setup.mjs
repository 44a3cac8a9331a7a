// Setup for bench/http_transfers.sh, through the console API only (as a user would):
//   node bench/http_setup.mjs BASE_URL
// signs up two users, enables 2FA on the sender (RFC 6238 TOTP computed here), creates an
// HMAC_SHA256 key with READ and TRANSFER on it, and prints one JSON line:
//   {"apiKey", "secretKey", "fromEmail", "fromUid", "toEmail", "toUid"}
// Funding is left to the caller (`keygate admin deposit`). Node 20 built-ins only.

import crypto from 'node:crypto';

const base = process.argv[2];
if (!base) {
  console.error('usage: node bench/http_setup.mjs BASE_URL');
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

const from = await user('from');
const to = await user('to');
const { secret } = await call('POST', '/console/v1/2fa/setup', {}, from.token);
from.secret = secret;
from.lastStep = 0;
await call('POST', '/console/v1/2fa/enable', { code: await nextTotp(from) }, from.token);
const key = await call('POST', '/console/v1/keys', {
  label: 'bench-transfers',
  permissions: ['READ', 'TRANSFER'],
  allowAllIps: true,
  totp: await nextTotp(from),
}, from.token);
if (!key.apiKey || !key.secretKey) throw new Error(`key creation answered ${JSON.stringify(key)}`);
console.log(JSON.stringify({
  apiKey: key.apiKey, secretKey: key.secretKey, fromEmail: from.email, fromUid: from.uid, toEmail: to.email, toUid: to.uid,
}));
