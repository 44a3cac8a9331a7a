// Two-factor authentication (RFC 6238 TOTP): setup, enable, login, replay refusal, disable, lockout.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertError, signupAndLogin, login, uniqueEmail,
  totpForStep, currentStep, wrongCode, hasCommand, sleep, PASSWORD,
} from './harness.mjs';

const post = (url, p, token, json) => request(url, 'POST', p, { token, json });

// A code the server accepts (±1 step) and that no earlier request used. Following the contract:
// the code of the previous step when unused, else the current or next step when unused, else
// wait for the next step. Avoids the previous step when a step boundary is less than 3 s away.
async function freshCode(secret, used) {
  for (;;) {
    const c = currentStep();
    const secsLeft = 30 - ((Date.now() / 1000) % 30);
    const candidates = [];
    if (secsLeft >= 3) candidates.push(c - 1);
    candidates.push(c, c + 1);
    const step = candidates.find((x) => !used.has(x));
    if (step !== undefined) return { step, code: totpForStep(secret, step) };
    await sleep(secsLeft * 1000 + 200);
  }
}

forEachBackend('two-factor authentication', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend }); });
  after(async () => { await s?.stop(); });

  test('setup, enable, login with replay refusal, disable', async (t) => {
    const u = await signupAndLogin(s.url, uniqueEmail('tfa'));
    const used = new Set();

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

    const t0 = currentStep();
    const code0 = totpForStep(secret, t0);
    if (hasCommand('oathtool')) {
      const out = execFileSync('oathtool', ['--totp', '-b', secret, '-N', `@${t0 * 30 + 1}`], { encoding: 'utf8' }).trim();
      assert.equal(out, code0, 'our TOTP matches oathtool for the server-issued secret');
    } else {
      t.diagnostic('oathtool not installed: cross-check skipped');
    }
    const en = await post(s.url, '/console/v1/2fa/enable', u.token, { code: code0 });
    assert.equal(en.status, 200, en.text);
    assert.deepEqual(en.body, { twoFactorEnabled: true });
    used.add(t0);

    const me = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(me.body.twoFactorEnabled, true, me.text);

    assertError(await post(s.url, '/console/v1/2fa/enable', u.token, { code: code0 }), 409, -7203);

    // Login now needs a code; the enable code cannot be replayed.
    assertError(await login(s.url, u.email), 401, -7200);
    assertError(await login(s.url, u.email, PASSWORD, { totp: code0 }), 401, -7201);

    const code1 = totpForStep(secret, t0 + 1);
    const l1 = await login(s.url, u.email, PASSWORD, { totp: code1 });
    assert.equal(l1.status, 200, `login with next-step code: ${l1.text}`);
    assert.equal(l1.body.twoFactorEnabled, true);
    assert.equal(typeof l1.body.token, 'string');
    used.add(t0 + 1);
    assertError(await login(s.url, u.email, PASSWORD, { totp: code1 }), 401, -7201);

    // The session from the 2FA login works.
    const me2 = await request(s.url, 'GET', '/console/v1/me', { token: l1.body.token });
    assert.equal(me2.status, 200, me2.text);

    // Disabling needs a fresh code too.
    assertError(await post(s.url, '/console/v1/2fa/disable', u.token, { code: code1 }), 401, -7201);
    // The contract: any unused code within ±1 step works, so the previous step's code does when
    // unused. Should it be refused, go on with a code for a step after every used one (to check
    // the rest of the flow) and report the refusal at the end.
    const fresh = await freshCode(secret, used);
    const relStep = fresh.step - currentStep();
    let dis = await post(s.url, '/console/v1/2fa/disable', u.token, { code: fresh.code });
    const firstDisable = { relStep, status: dis.status, text: dis.text };
    if (dis.status !== 200) {
      used.add(fresh.step);
      const next = Math.max(...used) + 1;
      while (currentStep() < next - 1) await sleep(250);
      dis = await post(s.url, '/console/v1/2fa/disable', u.token, { code: totpForStep(secret, next) });
      t.diagnostic(`disable with an unused code of step ${relStep} relative to now was refused (${firstDisable.text}); `
        + `with a step after every used one: ${dis.status}`);
    }
    assert.equal(dis.status, 200, `disable with a fresh code: ${dis.text}`);
    assert.deepEqual(dis.body, { twoFactorEnabled: false });

    const me3 = await request(s.url, 'GET', '/console/v1/me', { token: u.token });
    assert.equal(me3.body.twoFactorEnabled, false, me3.text);
    const l2 = await login(s.url, u.email);
    assert.equal(l2.status, 200, `login without a code after disable: ${l2.text}`);
    assert.equal(l2.body.twoFactorEnabled, false);

    assert.equal(firstDisable.status, 200,
      `disable with the unused code of step ${firstDisable.relStep} relative to now (within ±1): ${firstDisable.text}`);
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
