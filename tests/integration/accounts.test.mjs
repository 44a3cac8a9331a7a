// Console accounts: signup, login, lockout, sessions.

import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertError, admin, signup, login, signupAndLogin,
  uniqueEmail, PASSWORD,
} from './harness.mjs';

function assertFuture(expiresAt, text) {
  let ms;
  if (typeof expiresAt === 'number') ms = expiresAt > 1e12 ? expiresAt : expiresAt * 1000;
  else if (typeof expiresAt === 'string') ms = Date.parse(expiresAt);
  assert.ok(Number.isFinite(ms), `expiresAt is a time: ${text}`);
  assert.ok(ms > Date.now(), `expiresAt is in the future: ${text}`);
}

forEachBackend('accounts', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend }); });
  after(async () => { await s?.stop(); });

  test('signup returns {uid, email, twoFactorEnabled:false}', async () => {
    const email = uniqueEmail('signup');
    const r = await request(s.url, 'POST', '/console/v1/signup', { json: { email, password: PASSWORD } });
    assert.equal(r.status, 200, r.text);
    assert.ok(Number.isInteger(r.body.uid), `uid is an integer: ${r.text}`);
    assert.equal(r.body.email, email);
    assert.equal(r.body.twoFactorEnabled, false);
    const r2 = await request(s.url, 'POST', '/console/v1/signup', { json: { email: uniqueEmail('signup'), password: PASSWORD } });
    assert.equal(r2.status, 200, r2.text);
    assert.notEqual(r2.body.uid, r.body.uid, 'two users get two uids');
  });

  test('signup with a taken email (any case) is 409 -7103', async () => {
    const email = uniqueEmail('dup');
    await signup(s.url, email);
    const same = await request(s.url, 'POST', '/console/v1/signup', { json: { email, password: PASSWORD } });
    assertError(same, 409, -7103);
    const upper = await request(s.url, 'POST', '/console/v1/signup', { json: { email: email.toUpperCase(), password: PASSWORD } });
    assertError(upper, 409, -7103);
  });

  test('signup validation errors', async () => {
    const post = (json) => request(s.url, 'POST', '/console/v1/signup', { json });
    assertError(await post({ email: 'not-an-email', password: PASSWORD }), 400, -7104);
    assertError(await post({ email: uniqueEmail('short'), password: 'short' }), 400, -7105);
    assertError(await post({ email: uniqueEmail('short'), password: '123456789' }), 400, -7105);
    assertError(await post({ email: uniqueEmail('extra'), password: PASSWORD, admin: true }), 400, -1104);
    assertError(await post({ email: uniqueEmail('missing') }), 400, -1102);
    assertError(await post({ password: PASSWORD }), 400, -1102);
    const notJson = await request(s.url, 'POST', '/console/v1/signup', {
      rawBody: 'email=a@b.c&password=xxxxxxxxxxxx', headers: { 'content-type': 'application/json' },
    });
    assertError(notJson, 400, -7006);
    const arr = await request(s.url, 'POST', '/console/v1/signup', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } });
    assertError(arr, 400, -7006);
  });

  test('a password of exactly 10 characters is accepted', async () => {
    const email = uniqueEmail('ten');
    const r = await request(s.url, 'POST', '/console/v1/signup', { json: { email, password: '0123456789' } });
    assert.equal(r.status, 200, r.text);
    const l = await login(s.url, email, '0123456789');
    assert.equal(l.status, 200, l.text);
  });

  test('login returns {token, twoFactorEnabled:false, expiresAt}', async () => {
    const email = uniqueEmail('login');
    await signup(s.url, email);
    const r = await login(s.url, email);
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.body.token, 'string');
    assert.ok(r.body.token.length >= 16, `token is long enough: ${r.text}`);
    assert.equal(r.body.twoFactorEnabled, false);
    assertFuture(r.body.expiresAt, r.text);
    const r2 = await login(s.url, email);
    assert.equal(r2.status, 200, r2.text);
    assert.notEqual(r2.body.token, r.body.token, 'each login gets its own token');
  });

  test('login with another case of the email works', async () => {
    const email = uniqueEmail('case');
    await signup(s.url, email);
    const r = await login(s.url, email.toUpperCase());
    assert.equal(r.status, 200, r.text);
  });

  test('wrong password and unknown email give identical 401 -7101 bodies', async () => {
    const email = uniqueEmail('wrongpw');
    await signup(s.url, email);
    const wrong = await login(s.url, email, 'not the password at all');
    assertError(wrong, 401, -7101, 'Invalid email or password.');
    const unknown = await login(s.url, uniqueEmail('nobody'), 'not the password at all');
    assertError(unknown, 401, -7101, 'Invalid email or password.');
    assert.equal(wrong.text, unknown.text);
  });

  test('5 failed logins lock the email (429 -7102); admin user unlock lifts it', async () => {
    const email = uniqueEmail('lock');
    await signup(s.url, email);
    for (let i = 1; i <= 5; i++) {
      assertError(await login(s.url, email, `wrong password ${i}`), 401, -7101);
    }
    assertError(await login(s.url, email, 'wrong password 6'), 429, -7102);
    // Locked even with the right password.
    assertError(await login(s.url, email), 429, -7102);
    // Another account is not affected.
    const other = uniqueEmail('notlocked');
    await signup(s.url, other);
    assert.equal((await login(s.url, other)).status, 200);

    const res = await admin(s.dataDir, ['user', 'unlock', '--email', email]);
    assert.equal(res.code, 0, `admin user unlock: ${JSON.stringify(res)}`);
    const ok = await login(s.url, email);
    assert.equal(ok.status, 200, ok.text);
  });

  test('5 failed logins for an unknown email also lock it (429 -7102)', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 1; i <= 5; i++) {
      assertError(await login(s.url, email, `wrong password ${i}`), 401, -7101);
    }
    assertError(await login(s.url, email, 'wrong password 6'), 429, -7102);
  });

  test('GET /console/v1/me with a session token', async () => {
    const u = await signupAndLogin(s.url, uniqueEmail('me'));
    const r = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.uid, u.uid);
    assert.equal(r.body.email, u.email);
    assert.equal(r.body.twoFactorEnabled, false);
    assert.equal(r.body.apiAccess, true);
    assert.ok(r.body.createdAt !== undefined && r.body.createdAt !== null, `createdAt present: ${r.text}`);
  });

  test('GET /console/v1/me without or with a bad token is 401 -7100', async () => {
    assertError(await request(s.url, 'GET', '/console/v1/me'), 401, -7100);
    assertError(await request(s.url, 'GET', '/console/v1/me', { token: 'garbage' }), 401, -7100);
    assertError(await request(s.url, 'GET', '/console/v1/me', { token: 'A'.repeat(43) }), 401, -7100);
    assertError(await request(s.url, 'GET', '/console/v1/me', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, -7100);
  });

  test('logout revokes the token', async () => {
    const u = await signupAndLogin(s.url, uniqueEmail('logout'));
    const r = await request(s.url, 'POST', '/console/v1/logout', { token: u.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {});
    assertError(await request(s.url, 'GET', '/console/v1/me', { token: u.token }), 401, -7100);
    assertError(await request(s.url, 'POST', '/console/v1/logout', { token: u.token }), 401, -7100);
  });
});
