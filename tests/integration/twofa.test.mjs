// Two-factor authentication (RFC 6238 TOTP): setup, enable, login, replay refusal, disable, lockout.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertError, signupAndLogin, login, uniqueEmail,
  totpForStep, currentStep, wrongCode, hasCommand, sleep, PASSWORD,
} from './harness.mjs';

const post = (url, p, token, json) => request(url, 'POST', p, { token, json });

forEachBackend('two-factor authentication', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend }); });
  after(async () => { await s?.stop(); });

  test('setup, enable, login with replay refusal, disable', async (t) => {
    const u = await signupAndLogin(s.url, uniqueEmail('tfa'));

    assertError(await post(s.url, '/console/v1/2fa/setup', undefined, {}), 401, -7100);

    const setup = await post(s.url, '/console/v1/2fa/setup', u.token, {});
    assert.equal(setup.status, 200, setup.text);
    const { secret, otpauthUri, qrSvg } = setup.body;
    assert.equal(typeof secret, 'string');
    assert.match(secret, /^[A-Z2-7]+$/, `secret is unpadded base32: ${secret}`);
    assert.ok(secret.length >= 16, `secret has at least 80 bits: ${secret}`);
    assert.equal(typeof otpauthUri, 'string');
    assert.ok(otpauthUri.startsWith('otpauth://totp/'), otpauthUri);
    assert.ok(otpauthUri.includes(`secret=${secret}`), `otpauthUri carries the secret: ${otpauthUri}`);
    assert.equal(typeof qrSvg, 'string');
    assert.ok(qrSvg.startsWith('<svg'), `qrSvg starts with <svg: ${qrSvg.slice(0, 60)}`);

    // Not enabled yet: login needs no code.
    assert.equal((await login(s.url, u.email)).status, 200);

    assertError(await post(s.url, '/console/v1/2fa/enable', u.token, { code: wrongCode(secret) }), 401, -7201);

    // Codes for steps t0-1, t0 and t0+1 are all within the accepted window of ±1 step. The server
    // accepts a code only for a step later than the last one it accepted (RFC 6238 §5.2 one-time
    // use, stricter: an older unused code is refused too), so use them in order. Start early in a
    // step so that the window does not move under the test.
    while (Date.now() / 1000 % 30 > 20) await sleep(250);
    const t0 = currentStep();
    const codePrev = totpForStep(secret, t0 - 1);
    if (hasCommand('oathtool')) {
      const out = execFileSync('oathtool', ['--totp', '-b', secret, '-N', `@${(t0 - 1) * 30 + 1}`], { encoding: 'utf8' }).trim();
      assert.equal(out, codePrev, 'our TOTP matches oathtool for the server-issued secret');
    } else {
      t.diagnostic('oathtool not installed: cross-check skipped');
    }
    const en = await post(s.url, '/console/v1/2fa/enable', u.token, { code: codePrev });
    assert.equal(en.status, 200, en.text);
    assert.deepEqual(en.body, { twoFactorEnabled: true });

    const me = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(me.body.twoFactorEnabled, true, me.text);

    assertError(await post(s.url, '/console/v1/2fa/enable', u.token, { code: codePrev }), 409, -7203);

    // Login now needs a code; the enable code cannot be replayed.
    assertError(await login(s.url, u.email), 401, -7200);
    assertError(await login(s.url, u.email, PASSWORD, { totp: codePrev }), 401, -7201);

    const code0 = totpForStep(secret, t0);
    const l1 = await login(s.url, u.email, PASSWORD, { totp: code0 });
    assert.equal(l1.status, 200, `login with the current code: ${l1.text}`);
    assert.equal(l1.body.twoFactorEnabled, true);
    assert.equal(typeof l1.body.token, 'string');
    assertError(await login(s.url, u.email, PASSWORD, { totp: code0 }), 401, -7201);

    // The session from the 2FA login works.
    const me2 = await request(s.url, 'GET', '/console/v1/me', { token: l1.body.token });
    assert.equal(me2.status, 200, me2.text);

    // Disabling needs a fresh code too: used codes are refused, the next step's code works.
    assertError(await post(s.url, '/console/v1/2fa/disable', u.token, { code: code0 }), 401, -7201);
    assertError(await post(s.url, '/console/v1/2fa/disable', u.token, { code: codePrev }), 401, -7201);
    const dis = await post(s.url, '/console/v1/2fa/disable', u.token, { code: totpForStep(secret, t0 + 1) });
    assert.equal(dis.status, 200, `disable with a fresh code: ${dis.text}`);
    assert.deepEqual(dis.body, { twoFactorEnabled: false });

    const me3 = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(me3.body.twoFactorEnabled, false, me3.text);
    const l2 = await login(s.url, u.email);
    assert.equal(l2.status, 200, `login without a code after disable: ${l2.text}`);
    assert.equal(l2.body.twoFactorEnabled, false);

  });

  test('enable before setup is 409 -7205; disable when not enabled is 409 -7204', async () => {
    const u = await signupAndLogin(s.url, uniqueEmail('tfa-nosetup'));
    assertError(await post(s.url, '/console/v1/2fa/enable', u.token, { code: '123456' }), 409, -7205);
    assertError(await post(s.url, '/console/v1/2fa/disable', u.token, { code: '123456' }), 409, -7204);
  });

  test('10 wrong codes lock two-factor checks: the 11th, even right, is 429 -7202', async () => {
    const u = await signupAndLogin(s.url, uniqueEmail('tfa-lock'));
    const setup = await post(s.url, '/console/v1/2fa/setup', u.token, {});
    assert.equal(setup.status, 200, setup.text);
    const { secret } = setup.body;
    for (let i = 1; i <= 10; i++) {
      const r = await post(s.url, '/console/v1/2fa/enable', u.token, { code: wrongCode(secret) });
      assertError(r, 401, -7201);
    }
    const right = totpForStep(secret, currentStep());
    const r = await post(s.url, '/console/v1/2fa/enable', u.token, { code: right });
    assertError(r, 429, -7202);
    const me = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(me.body.twoFactorEnabled, false, 'still not enabled');
  });
});
