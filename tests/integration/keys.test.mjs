// API keys in the console: creation (every field and every error), list, PATCH, delete,
// delete-all, rotation, 2FA disable, ownership between users, the admin key commands, the
// per-account limit, and (S6) no secret at rest or in the log.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertError, assertBinance, BINANCE, admin, signupAndLogin,
  userWith2FA, createKey, listKeys, keyLog, signedRequest, generateKeyPair, wrongCode, randomId, codesReady,
  sleep, dropPgDatabase, PG_URL, hasCommand,
} from './harness.mjs';

const API_KEY_RE = /^kgAK[A-Za-z0-9]{60}$/;
const SECRET_RE = /^kgSK[A-Za-z0-9]{60}$/;
const DAY_MS = 86_400_000;
const ALL_PERMISSIONS = ['READ', 'TRADE', 'CONVERT', 'TRANSFER', 'WITHDRAW', 'DEPOSIT'];

const post = (url, p, token, json) => request(url, 'POST', p, { token, json });
const patch = (url, user, apiKey, json) => request(url, 'PATCH', `/console/v1/keys/${apiKey}`, { token: user.token, json });
const del = (url, user, apiKey) => request(url, 'DELETE', `/console/v1/keys/${apiKey}`, { token: user.token });
const rotate = (url, user, apiKey, json) => post(url, `/console/v1/keys/${apiKey}/rotate`, user.token, json);
const account = (url, key, opts) => signedRequest(url, 'GET', '/api/v3/account', key, opts);
const show = (r) => `exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`;

// A well-formed API key that no one has.
function ghostKey() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'kgAK' + Array.from(crypto.randomBytes(60), (b) => alphabet[b % 62]).join('');
}

async function logReasons(url, user, apiKey) {
  const r = await keyLog(url, user, apiKey);
  assert.equal(r.status, 200, r.text);
  return r.body.entries.map((e) => e.reason);
}

// Inserts n inactive keys for a user straight into the store (to reach the key limit without
// spending n two-factor codes, which come at one per 30 seconds).
function seedKeys(s, uid, n) {
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push(`('${ghostKey()}', ${uid}, 'seeded-${i}', 'HMAC_SHA256', 1, 0, '', 0, ${now}, 0, 0, NULL, NULL, ${now})`);
  }
  const sql = 'INSERT INTO api_keys (api_key, user_id, label, key_type, permissions, read_only, ip_allowlist, active, '
    + 'created_at, expires_at, trade_expires_at, secret_sealed, public_key, updated_at) VALUES ' + rows.join(', ') + ';';
  if (s.backend === 'postgres') {
    execFileSync('psql', [s.dbUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(s.dataDir, 'keygate.db'), sql], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

forEachBackend('API keys (console)', (backend) => {
  let s;
  // Users made up front, so that their two-factor code budget grows while other tests run.
  const users = {};
  const ready = {};
  before(async () => {
    s = await startServer({ backend });
    for (const tag of ['deleteall', 'tfaoff', 'create', 'patch', 'expiry', 'rotate', 'owner', 'admin', 'limit']) {
      users[tag] = await userWith2FA(s.url, { tag: `k-${tag}` });
    }
    // Two tests (the last ones) need a fourth code, which comes with the next 30-second step:
    // wait for it while the other tests run.
    ready.deleteall = codesReady(users.deleteall, 3);
    ready.tfaoff = codesReady(users.tfaoff, 3);
    ready.expiry = codesReady(users.expiry, 3);
  });
  after(async () => { await s?.stop(); });

  test('create an HMAC key: shape, secret shown once, absent from list, PATCH, log and admin list', async () => {
    const u = users.create;
    const t0 = Date.now();
    const k = await createKey(s.url, u, { label: 'bot #1 ✓', permissions: ['TRADE', 'READ'], allowAllIps: true });
    const t1 = Date.now();
    assert.match(k.apiKey, API_KEY_RE);
    assert.match(k.secretKey, SECRET_RE);
    assert.equal(k.type, 'HMAC_SHA256');
    assert.equal(k.label, 'bot #1 ✓');
    assert.deepEqual(k.permissions, ['READ', 'TRADE']);
    assert.deepEqual(k.effectivePermissions, ['READ', 'TRADE']);
    assert.equal(k.readOnly, false);
    assert.deepEqual(k.ipAllowlist, []);
    assert.equal(k.allowAllIps, true);
    assert.equal(k.active, true);
    assert.equal(k.status, 'ACTIVE');
    assert.ok(k.createdAt >= t0 - 1000 && k.createdAt <= t1 + 1000, `createdAt ${k.createdAt} in [${t0}, ${t1}]`);
    assert.equal(k.expiresAt, null);
    assert.equal(k.tradingAuthorityExpirationTime, k.createdAt + 30 * DAY_MS, 'TRADE without allowlist lapses in 30 days');
    assert.equal(k.lastUsedAt, null);
    assert.equal(k.lastUsedIp, null);
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };

    const used = await account(s.url, key);
    assert.equal(used.status, 200, used.text);

    const l = await listKeys(s.url, u);
    assert.equal(l.status, 200, l.text);
    assert.equal(l.body.maxKeys, 16);
    assert.equal(l.body.keys.length, 1);
    const listed = l.body.keys[0];
    assert.equal(listed.apiKey, k.apiKey);
    assert.ok(!('secretKey' in listed), `list has no secretKey: ${l.text}`);
    assert.ok(!l.text.includes(k.secretKey), 'the secret is nowhere in the list');
    assert.ok(listed.lastUsedAt >= t0, `lastUsedAt after use: ${l.text}`);
    assert.equal(listed.lastUsedIp, '127.0.0.1');
    for (const f of ['label', 'type', 'permissions', 'effectivePermissions', 'readOnly', 'ipAllowlist', 'allowAllIps',
      'active', 'status', 'createdAt', 'expiresAt', 'tradingAuthorityExpirationTime']) {
      assert.deepEqual(listed[f], k[f], `list field ${f}`);
    }

    const p = await patch(s.url, u, k.apiKey, { label: 'renamed' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.label, 'renamed');
    assert.ok(!('secretKey' in p.body) && !p.text.includes(k.secretKey), `PATCH shows no secret: ${p.text}`);

    const log = await keyLog(s.url, u, k.apiKey);
    assert.equal(log.status, 200, log.text);
    assert.equal(log.body.apiKey, k.apiKey);
    assert.ok(!log.text.includes(k.secretKey), 'the log shows no secret');
    const e = log.body.entries[0];
    assert.equal(e.result, 'ACCEPTED', log.text);
    assert.equal(e.method, 'GET');
    assert.equal(e.path, '/api/v3/account');
    assert.equal(e.ip, '127.0.0.1');
    assert.equal(e.status, 200);
    assert.equal(e.reason, '');
    assert.ok(e.time >= t0 && e.time <= Date.now(), `entry time ${e.time}`);

    const a = await admin(s.dataDir, ['key', 'list', '--email', u.email]);
    assert.equal(a.code, 0, show(a));
    assert.ok(a.stdout.includes(k.apiKey) && !a.stdout.includes(k.secretKey), show(a));

    // Every permission, an IP allowlist in canonical form: TRADE does not lapse.
    const k2 = await createKey(s.url, u, {
      permissions: [...ALL_PERMISSIONS].reverse(), allowAllIps: undefined,
      ipAllowlist: ['10.0.0.1', '2001:DB8::/32', '192.168.0.0/16', '::ffff:10.1.2.3'],
    });
    assert.deepEqual(k2.permissions, ALL_PERMISSIONS);
    assert.deepEqual(k2.ipAllowlist, ['10.0.0.1', '2001:db8::/32', '192.168.0.0/16', '10.1.2.3']);
    assert.equal(k2.allowAllIps, false);
    assert.equal(k2.tradingAuthorityExpirationTime, null);
    assert.match(k2.secretKey, SECRET_RE);
    assert.notEqual(k2.secretKey, k.secretKey);
    assert.notEqual(k2.apiKey, k.apiKey);

    // DELETE: {} and the key fails on its very next request; a second DELETE is 404.
    const d = await del(s.url, u, k.apiKey);
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.body, {});
    assertBinance(await account(s.url, key), BINANCE.keyRejected);
    assertError(await del(s.url, u, k.apiKey), 404, -7302, 'No such API key.');
    assertError(await keyLog(s.url, u, k.apiKey), 404, -7302);
    const l2 = await listKeys(s.url, u);
    assert.deepEqual(l2.body.keys.map((x) => x.apiKey), [k2.apiKey]);
  });

  test('create: every form error, each checked before the 2FA code, which stays unspent', async () => {
    const u = await userWith2FA(s.url, { tag: 'k-errors', enable: false });
    const ok = { label: 'fine', permissions: ['READ'], allowAllIps: true };
    // No 2FA: 403 -7300 (and the code is not even looked at).
    assertError(await post(s.url, '/console/v1/keys', u.token, { ...ok, totp: '123456' }), 403, -7300,
      'Enable two-factor authentication before creating API keys.');
    const en = await post(s.url, '/console/v1/2fa/enable', u.token, { code: await u.code() });
    assert.equal(en.status, 200, en.text);

    const code = await u.code();
    const rsa2048 = generateKeyPair('RSA').publicKeyPem;
    const rsa1024 = generateKeyPair('RSA', 1024).publicKeyPem;
    const ed = generateKeyPair('ED25519');
    const ipv4s = Array.from({ length: 31 }, (_, i) => `10.0.0.${i + 1}`);
    const cases = [
      [{ label: '' }, 400, -7303, 'The label must be 1 to 50 characters.'],
      [{ label: 'x'.repeat(51) }, 400, -7303, 'The label must be 1 to 50 characters.'],
      [{ label: 'é'.repeat(51) }, 400, -7303],
      [{ label: 'tab\there' }, 400, -7303],
      [{ label: 7 }, 400, -1102, "Mandatory parameter 'label' was not sent, was empty/null, or malformed."],
      [{ label: undefined }, 400, -1102],
      [{ permissions: [] }, 400, -7304, 'Choose at least one permission.'],
      [{ permissions: undefined }, 400, -1102],
      [{ permissions: 'READ' }, 400, -1102],
      [{ permissions: ['READ', 'FLY'] }, 400, -7305,
        "Unknown permission 'FLY'; use READ, TRADE, CONVERT, TRANSFER, WITHDRAW or DEPOSIT."],
      [{ permissions: ['read'] }, 400, -7305],
      [{ allowAllIps: undefined, ipAllowlist: ['10.0.0.256'] }, 400, -7306,
        "'10.0.0.256' is not an IPv4 or IPv6 address or CIDR range."],
      [{ allowAllIps: undefined, ipAllowlist: ['10.0.0.1/8'] }, 400, -7306],
      [{ allowAllIps: undefined, ipAllowlist: ['::1/129'] }, 400, -7306],
      [{ allowAllIps: undefined, ipAllowlist: ['localhost'] }, 400, -7306],
      [{ allowAllIps: undefined, ipAllowlist: ipv4s }, 400, -7307, 'An IP allowlist holds at most 30 entries.'],
      [{ ipAllowlist: ['10.0.0.1'] }, 400, -7308, 'Give an ipAllowlist or set allowAllIps, not both and not neither.'],
      [{ allowAllIps: undefined }, 400, -7308],
      [{ allowAllIps: false }, 400, -7308],
      [{ allowAllIps: undefined, ipAllowlist: [] }, 400, -7308],
      [{ permissions: ['READ', 'WITHDRAW'] }, 400, -7309, 'WITHDRAW requires an IP allowlist.'],
      [{ type: 'DSA' }, 400, -7310, 'type must be HMAC_SHA256, ED25519 or RSA.'],
      [{ type: 'ED25519' }, 400, -7311,
        'publicKey must be a PEM public key of the chosen type (RSA: 2048 or 4096 bits).'],
      [{ type: 'ED25519', publicKey: rsa2048 }, 400, -7311],
      [{ type: 'RSA', publicKey: ed.publicKeyPem }, 400, -7311],
      [{ type: 'RSA', publicKey: rsa1024 }, 400, -7311],
      [{ type: 'RSA', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }, 400, -7311],
      [{ publicKey: ed.publicKeyPem }, 400, -7312,
        'HMAC_SHA256 keys are generated by the server; do not send publicKey.'],
      [{ type: 'HMAC_SHA256', publicKey: ed.publicKeyPem }, 400, -7312],
      [{ expiresAt: Date.now() - 1000 }, 400, -7313, 'expiresAt must be a time in the future (epoch milliseconds).'],
      [{ colour: 'red' }, 400, -1104, "Not all sent parameters were read; unknown parameter 'colour'."],
    ];
    for (const [fields, status, errCode, msg] of cases) {
      const r = await post(s.url, '/console/v1/keys', u.token, { ...ok, ...fields, totp: code });
      assertError(r, status, errCode, msg);
    }
    assertError(await post(s.url, '/console/v1/keys', u.token, ok), 400, -1102,
      "Mandatory parameter 'totp' was not sent, was empty/null, or malformed.");
    assertError(await post(s.url, '/console/v1/keys', u.token, { ...ok, totp: wrongCode(u.secret) }), 401, -7201,
      'The two-factor code is invalid or was already used.');

    // The same code, never spent by the errors above, now creates an Ed25519 key; it is spent then.
    const k = await createKey(s.url, u, { type: 'ED25519', publicKey: ed.publicKeyPem, permissions: ['READ'], totp: code });
    assert.equal(k.type, 'ED25519');
    assert.match(k.apiKey, API_KEY_RE);
    assert.ok(!('secretKey' in k.res.body), `no secretKey for an Ed25519 key: ${k.res.text}`);
    assertError(await post(s.url, '/console/v1/keys', u.token, { ...ok, totp: code }), 401, -7201);
    // Only HMAC keys rotate (checked before the code).
    assertError(await rotate(s.url, u, k.apiKey, { totp: '000000', graceSeconds: 0 }), 400, -7314);

    // RSA-2048; WITHDRAW is allowed for a read-only key without an allowlist; expiresAt in the future.
    const expiresAt = Date.now() + 3_600_000;
    const r = await createKey(s.url, u, {
      label: 'é'.repeat(50), type: 'RSA', publicKey: rsa2048, permissions: ['READ', 'WITHDRAW'], readOnly: true, expiresAt,
    });
    assert.equal(r.type, 'RSA');
    assert.equal(r.label, 'é'.repeat(50), '50 characters (100 bytes) is a valid label');
    assert.ok(!('secretKey' in r.res.body), r.res.text);
    assert.equal(r.readOnly, true);
    assert.deepEqual(r.permissions, ['READ', 'WITHDRAW']);
    assert.deepEqual(r.effectivePermissions, ['READ'], 'read-only keeps only READ');
    assert.equal(r.expiresAt, expiresAt);
    assert.equal(r.status, 'ACTIVE');
  });

  test('API access switched off by an admin: 403 -7107, checked before 2FA', async () => {
    const u = await userWith2FA(s.url, { tag: 'k-noapi', enable: false });
    const off = await admin(s.dataDir, ['user', 'set', '--email', u.email, '--api-access', 'off']);
    assert.equal(off.code, 0, show(off));
    const form = { label: 'x', permissions: ['READ'], allowAllIps: true, totp: '123456' };
    assertError(await post(s.url, '/console/v1/keys', u.token, form), 403, -7107,
      'API access is disabled for this account; please contact support.');
    const en = await post(s.url, '/console/v1/2fa/enable', u.token, { code: await u.code() });
    assert.equal(en.status, 200, en.text);
    assertError(await post(s.url, '/console/v1/keys', u.token, { ...form, totp: await u.code() }), 403, -7107);
    const on = await admin(s.dataDir, ['user', 'set', '--email', u.email, '--api-access', 'on']);
    assert.equal(on.code, 0, show(on));
    const k = await createKey(s.url, u);
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    assert.equal((await account(s.url, key)).status, 200);

    // Off again: the existing key is refused on its next request, and works once access is back.
    assert.equal((await admin(s.dataDir, ['user', 'set', '--email', u.email, '--api-access', 'off'])).code, 0);
    const refused = await account(s.url, key);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.body.code, -2015);
    assert.equal((await admin(s.dataDir, ['user', 'set', '--email', u.email, '--api-access', 'on'])).code, 0);
    assert.equal((await account(s.url, key)).status, 200);
  });

  test('PATCH: deactivate needs no code, activate needs a fresh one; the key follows at once', async () => {
    const u = users.patch;
    const k = await createKey(s.url, u);
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    assert.equal((await account(s.url, key)).status, 200);

    const off = await patch(s.url, u, k.apiKey, { active: false });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.active, false);
    assert.equal(off.body.status, 'INACTIVE');
    assert.ok(!('secretKey' in off.body), off.text);
    assertBinance(await account(s.url, key), BINANCE.keyRejected);

    assertError(await patch(s.url, u, k.apiKey, { active: true }), 401, -7200, 'A two-factor code is required.');
    assertError(await patch(s.url, u, k.apiKey, { active: true, totp: '' }), 401, -7200);
    assertError(await patch(s.url, u, k.apiKey, { active: true, totp: wrongCode(u.secret) }), 401, -7201);
    assertBinance(await account(s.url, key), BINANCE.keyRejected);

    const on = await patch(s.url, u, k.apiKey, { active: true, totp: await u.code() });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.body.active, true);
    assert.equal(on.body.status, 'ACTIVE');
    assert.equal((await account(s.url, key)).status, 200);

    assertError(await patch(s.url, u, k.apiKey, {}), 400, -1102);
    assertError(await patch(s.url, u, k.apiKey, { active: 'no' }), 400, -1102);
    assertError(await patch(s.url, u, k.apiKey, { label: '' }), 400, -7303);
    assertError(await patch(s.url, u, k.apiKey, { label: 'x', colour: 'red' }), 400, -1104);

    const both = await patch(s.url, u, k.apiKey, { active: false, label: 'parked' });
    assert.equal(both.status, 200, both.text);
    assert.equal(both.body.label, 'parked');
    assert.equal(both.body.active, false);
    const l = await listKeys(s.url, u);
    assert.equal(l.body.keys[0].status, 'INACTIVE');
    assert.equal(l.body.keys[0].label, 'parked');

    const reasons = await logReasons(s.url, u, k.apiKey);
    assert.ok(reasons.includes('key is inactive'), `log reasons: ${JSON.stringify(reasons)}`);
  });

  test('a PATCH refused for its missing 2FA code changes nothing, not even the label', async () => {
    const u = users.patch;
    const [before] = (await listKeys(s.url, u)).body.keys;
    assert.ok(before, 'the key from the PATCH test');
    assertError(await patch(s.url, u, before.apiKey, { label: 'relabelled', active: true }), 401, -7200);
    const [after] = (await listKeys(s.url, u)).body.keys;
    assert.equal(after.active, before.active);
    assert.equal(after.label, before.label, 'the label of a refused PATCH is not applied');
  });

  test('PATCH restrictions: every bad form is its own error and changes nothing; narrowing needs no code', async () => {
    const u = users.patch;
    const [k] = (await listKeys(s.url, u)).body.keys;
    assert.ok(k, 'the key from the PATCH test');
    const same = async (what) => {
      const [now] = (await listKeys(s.url, u)).body.keys;
      for (const f of ['permissions', 'readOnly', 'ipAllowlist', 'allowAllIps', 'tradingAuthorityExpirationTime']) {
        assert.deepEqual(now[f], k[f], `${what}: ${f} unchanged`);
      }
    };
    const bad = [
      [{ permissions: [] }, 400, -7304],
      [{ permissions: ['READ', 'FLY'] }, 400, -7305],
      [{ permissions: 'READ' }, 400, -1102],
      [{ readOnly: 'yes' }, 400, -1102],
      [{ ipAllowlist: ['10.0.0.256'] }, 400, -7306],
      [{ ipAllowlist: [] }, 400, -7308],
      [{ allowAllIps: false }, 400, -7308],
      [{ ipAllowlist: ['10.0.0.1'], allowAllIps: true }, 400, -7308],
      [{ ipAllowlist: Array.from({ length: 31 }, (_, i) => `10.0.0.${i + 1}`) }, 400, -7307],
      [{ permissions: ['READ', 'WITHDRAW'], allowAllIps: true }, 400, -7309],
      [{ expiresAt: Date.now() - 1000 }, 400, -7313],
      [{ expiresAt: 'soon' }, 400, -1102],
    ];
    for (const [body, status, code] of bad) {
      const r = await patch(s.url, u, k.apiKey, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.code, code, `${JSON.stringify(body)}: ${r.text}`);
      await same(JSON.stringify(body));
    }
    // Read-only on is narrowing: no code. The answer is the key as it now is.
    const ro = await patch(s.url, u, k.apiKey, { readOnly: true });
    assert.equal(ro.status, 200, ro.text);
    assert.equal(ro.body.readOnly, true);
    assert.deepEqual(ro.body.effectivePermissions, ['READ']);
    // And off again is widening when the key has more than READ.
    if (k.permissions.some((p) => p !== 'READ')) {
      assertError(await patch(s.url, u, k.apiKey, { readOnly: false }), 401, -7200);
    }
  });

  test('rotate: a new secret at once, the old one for graceSeconds (5 s) only', async () => {
    const u = users.rotate;
    const k = await createKey(s.url, u);
    const oldKey = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    assertError(await rotate(s.url, u, k.apiKey, { graceSeconds: 2 }), 400, -1102);
    assertError(await rotate(s.url, u, k.apiKey, { totp: '123456', graceSeconds: -1 }), 400, -7315,
      'graceSeconds must be between 0 and 604800.');
    assertError(await rotate(s.url, u, k.apiKey, { totp: '123456', graceSeconds: 604801 }), 400, -7315);
    assertError(await rotate(s.url, u, k.apiKey, { totp: wrongCode(u.secret), graceSeconds: 2 }), 401, -7201);

    // A grace period long enough for the requests below to be made within it on a slow machine.
    const totp = await u.code();
    const t0 = Date.now();
    const r = await rotate(s.url, u, k.apiKey, { totp, graceSeconds: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.apiKey, k.apiKey);
    assert.match(r.body.secretKey, SECRET_RE);
    assert.notEqual(r.body.secretKey, k.secretKey);
    const until = r.body.previousSecretValidUntil;
    assert.ok(until >= t0 + 5000 && until <= Date.now() + 5000, `previousSecretValidUntil ${until}`);
    const newKey = { ...oldKey, secretKey: r.body.secretKey };

    assert.equal((await account(s.url, newKey)).status, 200, 'new secret works at once');
    assert.equal((await account(s.url, oldKey)).status, 200, 'old secret works during the grace period');
    const l = await listKeys(s.url, u);
    assert.ok(!l.text.includes(k.secretKey) && !l.text.includes(r.body.secretKey) && !l.text.includes('secretKey'), l.text);

    await sleep(Math.max(0, until - Date.now()) + 300);
    assertBinance(await account(s.url, oldKey), BINANCE.badSignature);
    assert.equal((await account(s.url, newKey)).status, 200, 'new secret still works');
    const reasons = await logReasons(s.url, u, k.apiKey);
    assert.equal(reasons[1], 'signature is not valid', JSON.stringify(reasons));
  });

  test("keys belong to their owner: another user's key is 404 -7302, like a key that does not exist", async () => {
    const a = users.owner;
    const k = await createKey(s.url, a, { label: 'owned by a' });
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    const b = await signupAndLogin(s.url);
    const l = await request(s.url, 'GET', '/console/v1/keys', { token: b.token });
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(l.body.keys, []);
    const attempts = (apiKey) => [
      request(s.url, 'PATCH', `/console/v1/keys/${apiKey}`, { token: b.token, json: { label: 'mine now' } }),
      request(s.url, 'PATCH', `/console/v1/keys/${apiKey}`, { token: b.token, json: { active: false } }),
      request(s.url, 'PATCH', `/console/v1/keys/${apiKey}`, { token: b.token, json: { active: true, totp: '123456' } }),
      request(s.url, 'DELETE', `/console/v1/keys/${apiKey}`, { token: b.token }),
      request(s.url, 'POST', `/console/v1/keys/${apiKey}/rotate`, { token: b.token, json: { totp: '123456', graceSeconds: 0 } }),
      request(s.url, 'GET', `/console/v1/keys/${apiKey}/log`, { token: b.token }),
    ];
    const theirs = [];
    for (const p of attempts(k.apiKey)) theirs.push(await p);
    const nobodys = [];
    for (const p of attempts(ghostKey())) nobodys.push(await p);
    for (let i = 0; i < theirs.length; i++) {
      assertError(theirs[i], 404, -7302, 'No such API key.');
      assert.equal(theirs[i].text, nobodys[i].text, 'indistinguishable from a key that does not exist');
    }
    // Nothing changed for the owner.
    const la = await listKeys(s.url, a);
    assert.equal(la.body.keys.length, 1);
    assert.equal(la.body.keys[0].label, 'owned by a');
    assert.equal(la.body.keys[0].active, true);
    assert.equal((await account(s.url, key)).status, 200);
    // Without a session: 401 -7100.
    assertError(await request(s.url, 'GET', '/console/v1/keys'), 401, -7100);
    assertError(await request(s.url, 'GET', `/console/v1/keys/${k.apiKey}/log`), 401, -7100);
  });

  test('admin key list / disable / delete; the key fails on its next request', async () => {
    const u = users.admin;
    const k1 = await createKey(s.url, u, { label: 'admin-one' });
    const k2 = await createKey(s.url, u, { label: 'admin-two' });
    const key1 = { apiKey: k1.apiKey, type: 'HMAC_SHA256', secretKey: k1.secretKey };
    const key2 = { apiKey: k2.apiKey, type: 'HMAC_SHA256', secretKey: k2.secretKey };
    for (const key of [key1, key2]) assert.equal((await account(s.url, key)).status, 200);

    const list = await admin(s.dataDir, ['key', 'list', '--email', u.email]);
    assert.equal(list.code, 0, show(list));
    for (const k of [k1, k2]) {
      const line = list.stdout.split('\n').find((x) => x.includes(k.apiKey));
      assert.ok(line, `admin key list shows ${k.apiKey}: ${show(list)}`);
      assert.match(line, new RegExp(`${k.label}.*HMAC_SHA256.*ACTIVE.*READ`));
      assert.ok(!list.stdout.includes(k.secretKey), 'no secret in admin key list');
    }

    const dis = await admin(s.dataDir, ['key', 'disable', k1.apiKey]);
    assert.equal(dis.code, 0, show(dis));
    assertBinance(await account(s.url, key1), BINANCE.keyRejected);
    assert.equal((await listKeys(s.url, u)).body.keys.find((k) => k.apiKey === k1.apiKey).status, 'INACTIVE');
    const list2 = await admin(s.dataDir, ['key', 'list', '--email', u.email]);
    assert.match(list2.stdout.split('\n').find((x) => x.includes(k1.apiKey)), /INACTIVE/);
    assert.equal((await logReasons(s.url, u, k1.apiKey))[0], 'key is inactive');

    const rm = await admin(s.dataDir, ['key', 'delete', k2.apiKey]);
    assert.equal(rm.code, 0, show(rm));
    assertBinance(await account(s.url, key2), BINANCE.keyRejected);
    assert.deepEqual((await listKeys(s.url, u)).body.keys.map((k) => k.apiKey), [k1.apiKey]);

    for (const args of [['key', 'disable', ghostKey()], ['key', 'delete', ghostKey()],
      ['key', 'delete', k2.apiKey], ['key', 'list', '--email', `nobody-${randomId()}@example.com`]]) {
      const r = await admin(s.dataDir, args);
      assert.notEqual(r.code, 0, `${args.join(' ')}: ${show(r)}`);
      assert.ok(r.stderr.trim().length > 0, `${args.join(' ')}: a message on stderr: ${show(r)}`);
    }
  });

  test('at most 16 keys: the 17th is 409 -7301 (15 seeded in the store, 2 through the API)', async (t) => {
    if (s.backend === 'sqlite' && !hasCommand('sqlite3')) {
      t.skip('sqlite3 CLI not installed: cannot seed keys');
      return;
    }
    const u = users.limit;
    seedKeys(s, u.uid, 15);
    const l = await listKeys(s.url, u);
    assert.equal(l.body.keys.length, 15, l.text);
    assert.equal(l.body.maxKeys, 16);
    const k16 = await createKey(s.url, u);
    assert.match(k16.apiKey, API_KEY_RE);
    assert.equal((await listKeys(s.url, u)).body.keys.length, 16);
    const k17 = await createKey(s.url, u, {}, { expect: null });
    assertError(k17.res, 409, -7301, 'An account can have at most 16 API keys; delete one first.');
    assert.equal((await listKeys(s.url, u)).body.keys.length, 16);
  });

  test('disabling 2FA deactivates every key of the account', async () => {
    const u = users.tfaoff;
    await ready.tfaoff;
    const k1 = await createKey(s.url, u, { permissions: ['READ', 'TRADE'] });
    const k2 = await createKey(s.url, u, { type: 'RSA' });
    const keys = [
      { apiKey: k1.apiKey, type: 'HMAC_SHA256', secretKey: k1.secretKey },
      { apiKey: k2.apiKey, type: 'RSA', privateKey: k2.privateKey },
    ];
    for (const key of keys) assert.equal((await account(s.url, key)).status, 200);
    const off = await post(s.url, '/console/v1/2fa/disable', u.token, { code: await u.code() });
    assert.equal(off.status, 200, off.text);
    const l = await listKeys(s.url, u);
    assert.deepEqual(l.body.keys.map((k) => [k.active, k.status]), [[false, 'INACTIVE'], [false, 'INACTIVE']]);
    for (const key of keys) {
      assertBinance(await account(s.url, key), BINANCE.keyRejected);
      assert.equal((await logReasons(s.url, u, key.apiKey))[0], 'key is inactive');
    }
    assertError(await post(s.url, '/console/v1/keys', u.token,
      { label: 'x', permissions: ['READ'], allowAllIps: true, totp: '123456' }), 403, -7300);
  });

  test('PATCH expiresAt: earlier needs no code and holds at once; later, or never, needs a fresh code', async () => {
    const u = users.expiry;
    const k = await createKey(s.url, u);
    const key = { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
    assert.equal(k.expiresAt, null, 'created without an expiry');
    // Soon, but not so soon that the key could expire before it is shown to work, on a slow machine.
    const soon = Date.now() + 6000;
    const short = await patch(s.url, u, k.apiKey, { expiresAt: soon });
    assert.equal(short.status, 200, short.text);
    assert.equal(short.body.expiresAt, soon);
    assert.equal(short.body.status, 'ACTIVE');
    assert.equal((await account(s.url, key)).status, 200, 'usable until it expires');

    const expiry = async () => (await listKeys(s.url, u)).body.keys.find((x) => x.apiKey === k.apiKey).expiresAt;
    const refused = [
      [{ expiresAt: Date.now() - 1000 }, 400, -7313],
      [{ expiresAt: -1 }, 400, -7313],
      [{ expiresAt: 'tomorrow' }, 400, -1102],
      [{ expiresAt: soon + DAY_MS }, 401, -7200],
      [{ expiresAt: 0 }, 401, -7200],
      [{ expiresAt: soon + DAY_MS, totp: wrongCode(u.secret) }, 401, -7201],
    ];
    for (const [body, status, code] of refused) {
      const r = await patch(s.url, u, k.apiKey, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.code, code, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(await expiry(), soon, `${JSON.stringify(body)} changes nothing`);
    }

    // Past its new expiry the key is refused at once, and its log says why.
    await sleep(soon - Date.now() + 200);
    assertBinance(await account(s.url, key), BINANCE.keyRejected);
    assert.equal((await listKeys(s.url, u)).body.keys.find((x) => x.apiKey === k.apiKey).status, 'EXPIRED');
    assert.ok((await logReasons(s.url, u, k.apiKey)).includes('key has expired'));

    // Back to never expiring, with a fresh code: the key works again.
    await ready.expiry;
    const never = await patch(s.url, u, k.apiKey, { expiresAt: 0, totp: await u.code() });
    assert.equal(never.status, 200, never.text);
    assert.equal(never.body.expiresAt, null);
    assert.equal(never.body.status, 'ACTIVE');
    assert.equal((await account(s.url, key)).status, 200);
  });

  test('delete-all: needs a fresh code, deletes every key, which then fail', async () => {
    const u = users.deleteall;
    await ready.deleteall;
    const k1 = await createKey(s.url, u);
    const k2 = await createKey(s.url, u, { type: 'ED25519' });
    const keys = [
      { apiKey: k1.apiKey, type: 'HMAC_SHA256', secretKey: k1.secretKey },
      { apiKey: k2.apiKey, type: 'ED25519', privateKey: k2.privateKey },
    ];
    for (const key of keys) assert.equal((await account(s.url, key)).status, 200);
    assertError(await post(s.url, '/console/v1/keys/delete-all', u.token, {}), 400, -1102);
    assertError(await post(s.url, '/console/v1/keys/delete-all', u.token, { totp: wrongCode(u.secret) }), 401, -7201);
    assert.equal((await listKeys(s.url, u)).body.keys.length, 2);
    const r = await post(s.url, '/console/v1/keys/delete-all', u.token, { totp: await u.code() });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { deleted: 2 });
    for (const key of keys) assertBinance(await account(s.url, key), BINANCE.keyRejected);
    assert.deepEqual((await listKeys(s.url, u)).body.keys, []);
  });
});

forEachBackend('API keys: no secret at rest (S6)', (backend) => {
  test('20 HMAC secrets, TOTP seeds and passwords are in no data file, WAL, dump or log', async (t) => {
    const s = await startServer({ backend, env: { KEYGATE_LOG_LEVEL: 'debug' } });
    let stopped = false;
    try {
      const users = [];
      for (let i = 0; i < 10; i++) {
        users.push(await userWith2FA(s.url, { tag: `s6-${i}`, password: `pw-${randomId(12)}-Secret!` }));
      }
      const secrets = [];
      await Promise.all(users.map(async (u) => {
        for (let i = 0; i < 2; i++) {
          const k = await createKey(s.url, u, { permissions: ['READ', 'TRADE'] });
          secrets.push(k.secretKey);
          const r = await account(s.url, { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
          assert.equal(r.status, 200, r.text);
        }
      }));
      assert.equal(secrets.length, 20);
      await sleep(1500);  // the access log flushes once a second

      const readAll = (dir) => {
        const out = [];
        for (const ent of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
          const p = path.join(ent.parentPath ?? ent.path, ent.name);
          if (ent.isFile()) out.push([p, fs.readFileSync(p)]);
        }
        return out;
      };
      const blobs = readAll(s.dataDir).map(([p, b]) => [`live ${path.basename(p)}`, b]);
      if (backend === 'sqlite') {
        const names = blobs.map(([n]) => n);
        assert.ok(names.includes('live keygate.db'), `the db file: ${names}`);
        assert.ok(names.includes('live keygate.db-wal'), `the WAL file is there while the server runs: ${names}`);
      }
      await s.stop({ keep: true });
      stopped = true;
      for (const [p, b] of readAll(s.dataDir)) blobs.push([`stopped ${path.basename(p)}`, b]);
      blobs.push(['stderr', Buffer.from(s.stderr())]);
      blobs.push(['stdout', Buffer.from(s.stdoutLines.join('\n'))]);
      if (backend === 'postgres') {
        if (hasCommand('pg_dump')) {
          blobs.push(['pg_dump', execFileSync('pg_dump', ['--data-only', s.dbUrl], { maxBuffer: 256 << 20 })]);
        } else {
          t.diagnostic('pg_dump not installed: the database itself was not searched');
        }
      }
      assert.ok(s.stderr().length > 0, 'the server logged something');

      const needles = [];
      for (const sk of secrets) needles.push([`HMAC secret ${sk.slice(0, 8)}…`, Buffer.from(sk)]);
      for (const u of users) {
        needles.push([`TOTP secret of ${u.email}`, Buffer.from(u.secret)]);
        needles.push([`TOTP secret (lower case) of ${u.email}`, Buffer.from(u.secret.toLowerCase())]);
        needles.push([`password of ${u.email}`, Buffer.from(u.password)]);
      }
      const found = [];
      for (const [what, needle] of needles) {
        for (const [where, blob] of blobs) {
          if (blob.includes(needle)) found.push(`${what} in ${where}`);
        }
      }
      assert.deepEqual(found, [], 'no secret found anywhere');
      t.diagnostic(`searched ${needles.length} secrets in ${blobs.map(([n, b]) => `${n} (${b.length} B)`).join(', ')}`);
    } finally {
      if (!stopped) await s.stop({ keep: true });
      fs.rmSync(s.dataDir, { recursive: true, force: true });
      if (backend === 'postgres' && PG_URL) dropPgDatabase(new URL(s.dbUrl).pathname.slice(1));
    }
  });
});
