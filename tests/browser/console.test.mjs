// The web console in headless Chromium against the real binary: sign-up, 2FA, the key wizard, the
// secret shown once, a signed request with the new key, deactivation, the access log, delete all,
// log out and in with 2FA; CSRF refusal; no Content-Security-Policy violation on any page (the
// wallet's pages and a key's withdrawal limits included; they have their own test in wallet.test.mjs).

import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, uniqueEmail, PASSWORD, signedRequest, assertBinance, BINANCE, wrongCode,
} from '../integration/harness.mjs';
import {
  launchBrowser, openPage, shot, browserStorage, PHONE, assertClean, signUp, enable2fa,
} from './browser.mjs';

forEachBackend('web console', (backend) => {
  let s;
  let browser;
  const screenshots = backend === 'sqlite';
  before(async () => {
    s = await startServer({ backend });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('sign up, 2FA, create a key in the wizard, use it, deactivate it, read the log, delete all', async () => {
    const { context, page, problems } = await openPage(browser);
    const email = uniqueEmail('web');

    // The login page (and the phone layout).
    await page.goto(s.url);
    await page.locator('#login-form').waitFor();
    assert.equal(await page.title(), 'Log in · keygate');
    if (screenshots) {
      await shot(page, 'login');
      await shot(page, 'login-phone', { viewport: PHONE });
    }

    await signUp(page, s.url, email);

    // Before 2FA the key page explains why there is no create button and links to Security.
    await page.goto(`${s.url}/#/keys`);
    const needs = page.locator('#needs-2fa');
    await needs.waitFor();
    assert.match(await needs.textContent(), /two-factor/i);
    assert.equal(await needs.locator('a[href="#/security"]').count(), 1);
    assert.equal(await page.locator('#create-key').count(), 0);

    const user = await enable2fa(page, { screenshot: screenshots });

    // The wizard, in order: name → permissions → read-only → IPs → active → expiry → 2FA code.
    await page.goto(`${s.url}/#/keys`);
    await page.click('#create-key');
    await page.waitForURL(/#\/keys\/new$/);
    const wizard = page.locator('#key-wizard');
    const next = page.locator('#wizard-next');
    const atStep = (n) => page.locator(`#key-wizard[data-step="${n}"]`).waitFor();
    await atStep(0);
    await page.getByLabel('Name of the key').fill('grid bot');
    await next.click();
    await atStep(1);
    assert.ok(await page.isChecked('#perm-READ'), 'READ is preselected');
    assert.match(await wizard.locator('.perm-choice', { has: page.locator('#perm-WITHDRAW') }).textContent(), /Highest risk/);
    await page.check('#perm-TRADE');
    if (screenshots) await shot(page, 'wizard');
    await next.click();
    await atStep(2);
    assert.ok(await page.isChecked('input[name=readOnly][value=no]'), 'not read-only by default');
    await next.click();
    await atStep(3);
    // An empty allowlist is caught before any code is spent.
    await next.click();
    await page.locator('#key-wizard .error', { hasText: 'at least one IP' }).waitFor();
    await page.check('#ip-mode-all');
    await page.locator('#key-wizard .notice.warn', { hasText: 'Not recommended' }).waitFor();
    await page.check('#ip-mode-list');
    await page.fill('#ip-allowlist', '127.0.0.1');
    await next.click();
    await atStep(4);
    await next.click();
    await atStep(5);
    await next.click();
    await atStep(6);
    const summary = await page.locator('#wizard-summary').textContent();
    assert.match(summary, /grid bot/);
    assert.match(summary, /READ, TRADE/);
    assert.match(summary, /127\.0\.0\.1/);
    await page.fill('#key-wizard input[name=totp]', await user.code());
    await next.click();

    // The secret, once.
    const once = page.locator('#secret-once');
    await once.waitFor();
    assert.match(await once.textContent(), /you will not see it again/i);
    assert.equal(await page.locator('#copy-secret').count(), 1);
    const apiKey = (await page.locator('#api-key').textContent()).trim();
    const secretKey = (await page.locator('#secret-key').textContent()).trim();
    assert.match(apiKey, /^[A-Za-z0-9]{64}$/);
    assert.ok(secretKey.length >= 32, secretKey);
    assert.ok(!(await browserStorage(page)).includes(secretKey), 'the secret is in no storage');
    if (screenshots) await shot(page, 'secret-once');

    // Reload: the secret is gone, from the DOM and from every storage.
    await page.reload();
    await page.locator('#key-wizard').waitFor();
    assert.ok(!(await page.content()).includes(secretKey), 'the secret is not in the DOM after a reload');
    assert.ok(!(await browserStorage(page)).includes(secretKey), 'the secret is not in storage after a reload');

    // The key works for a signed request from this machine (127.0.0.1 is on its allowlist).
    const key = { apiKey, type: 'HMAC_SHA256', secretKey };
    const ok = await signedRequest(s.url, 'GET', '/api/v3/account', key);
    assert.equal(ok.status, 200, ok.text);

    // The list shows it, with its last use.
    await page.goto(`${s.url}/#/keys`);
    const row = page.locator(`tr[data-api-key="${apiKey}"]`);
    await row.waitFor();
    const rowText = await row.textContent();
    for (const want of ['grid bot', 'HMAC', 'READ', 'TRADE', '127.0.0.1', 'Active', 'Never']) {
      assert.ok(rowText.includes(want), `the key's row shows ${want}: ${rowText}`);
    }
    assert.ok(!(await page.content()).includes(secretKey), 'the list does not show the secret');
    if (screenshots) {
      await shot(page, 'keys');
      await shot(page, 'keys-phone', { viewport: PHONE });
    }

    // Deactivate in the UI: the next signed request is refused.
    await row.locator('[data-action=deactivate]').click();
    await page.locator(`tr[data-api-key="${apiKey}"][data-status="INACTIVE"]`).waitFor();
    assertBinance(await signedRequest(s.url, 'GET', '/api/v3/account', key), BINANCE.keyRejected);

    // The owner reads why in the key's access log.
    await page.locator(`tr[data-api-key="${apiKey}"] [data-action=log]`).click();
    const log = page.locator('#log-table');
    await log.waitFor();
    const rejected = log.locator('tbody tr', { hasText: 'key is inactive' });
    assert.equal(await rejected.count(), 1);
    assert.match(await rejected.textContent(), /GET.*\/api\/v3\/account.*Rejected.*401/s);
    assert.equal(await log.locator('tbody tr', { hasText: 'Accepted' }).count(), 1);
    if (screenshots) await shot(page, 'access-log');

    // Delete all keys, with a 2FA code.
    await page.goto(`${s.url}/#/keys`);
    await page.click('#delete-all');
    const dlg = page.locator('#delete-all-dialog');
    await dlg.waitFor();
    await dlg.locator('input[name=totp]').fill(await user.code());
    await dlg.locator('button[type=submit]').click();
    await page.locator('#no-keys').waitFor();
    await page.locator('.notice.ok', { hasText: '1 key deleted' }).waitFor();
    assertBinance(await signedRequest(s.url, 'GET', '/api/v3/account', key), BINANCE.keyRejected);

    // Log out, and back in: the login form asks for the 2FA code after the password.
    await page.click('#logout');
    await page.locator('#login-form').waitFor();
    assert.ok(!(await browserStorage(page)).includes('kg_csrf'), 'logout clears the CSRF cookie');
    await page.fill('#login-form input[name=email]', email);
    await page.fill('#login-form input[name=password]', PASSWORD);
    await page.click('#login-form button[type=submit]');
    const code = page.locator('#login-form input[name=totp]');
    await code.waitFor();
    await code.fill(await user.code());  // a 4th code: may wait for the next 30-second step
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(/#\/keys$/);
    await page.locator('#no-keys').waitFor();

    assertClean(problems, 'during the flow');
    await context.close();
  });

  test('server errors by the wizard step, inactive create, activate with 2FA, rotate, delete one', async () => {
    const { context, page, problems } = await openPage(browser);
    await signUp(page, s.url, uniqueEmail('rot'));
    const user = await enable2fa(page);
    await page.goto(`${s.url}/#/keys/new`);
    await page.getByLabel('Name of the key').fill('rotating bot');
    await page.click('#wizard-next');
    await page.click('#wizard-next');
    await page.click('#wizard-next');
    await page.fill('#ip-allowlist', '10.0.0.1/8');  // host bits set: the server refuses it (-7306)
    await page.click('#wizard-next');
    await page.check('input[name=active][value=no]');
    await page.click('#wizard-next');
    await page.click('#wizard-next');
    const code = await user.code();
    await page.fill('#key-wizard input[name=totp]', code);
    await page.click('#wizard-next');
    // The API's error is shown in the wizard, which goes back to the IP step; no code was spent.
    await page.locator('#key-wizard[data-step="3"]').waitFor();
    const err = page.locator('#key-wizard .error');
    await err.waitFor();
    assert.match(await err.textContent(), /-7306.*10\.0\.0\.1\/8/);
    await page.fill('#ip-allowlist', '127.0.0.1\n::1');
    for (let i = 0; i < 3; i++) await page.click('#wizard-next');
    await page.locator('#key-wizard[data-step="6"]').waitFor();
    await page.fill('#key-wizard input[name=totp]', code);  // the same code still works
    await page.click('#wizard-next');
    await page.locator('#secret-once').waitFor();
    const apiKey = (await page.locator('#api-key').textContent()).trim();
    await page.click('#secret-done');
    const row = page.locator(`tr[data-api-key="${apiKey}"]`);
    await page.locator(`tr[data-api-key="${apiKey}"][data-status="INACTIVE"]`).waitFor();

    // Activation asks for a 2FA code; a wrong one is shown in the dialog.
    await row.locator('[data-action=activate]').click();
    let dlg = page.locator('#activate-dialog');
    await dlg.locator('input[name=totp]').fill(wrongCode(user.secret));
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('.error', { hasText: '-7201' }).waitFor();
    await dlg.locator('input[name=totp]').fill(await user.code());
    await dlg.locator('button[type=submit]').click();
    await page.locator(`tr[data-api-key="${apiKey}"][data-status="ACTIVE"]`).waitFor();

    // Rotate: a new secret, shown once in the dialog; it signs requests, and is gone on close.
    await row.locator('[data-action=rotate]').click();
    dlg = page.locator('#rotate-dialog');
    await dlg.locator('input[name=totp]').fill(await user.code());
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('#secret-once').waitFor();
    const secretKey = (await dlg.locator('#secret-key').textContent()).trim();
    const res = await signedRequest(s.url, 'GET', '/api/v3/account', { apiKey, type: 'HMAC_SHA256', secretKey });
    assert.equal(res.status, 200, res.text);
    await dlg.locator('button', { hasText: 'I have saved the secret' }).click();
    await page.locator('.notice.ok', { hasText: 'rotated' }).waitFor();
    assert.ok(!(await page.content()).includes(secretKey));

    // Delete one key, after a confirmation (cancel first: nothing happens).
    await row.locator('[data-action=delete]').click();
    await page.locator('#delete-dialog button', { hasText: 'Cancel' }).click();
    // Closing the dialog redraws the list: wait for that, else the row found is the old one.
    await page.locator('#delete-dialog').waitFor({ state: 'detached' });
    await row.waitFor();
    await row.locator('[data-action=delete]').click();
    await page.locator('#delete-dialog button[type=submit]').click();
    await page.locator('#no-keys').waitFor();
    assertBinance(await signedRequest(s.url, 'GET', '/api/v3/account', { apiKey, type: 'HMAC_SHA256', secretKey }), BINANCE.keyRejected);
    assertClean(problems, 'in the rotate test');
    await context.close();
  });

  test('state-changing calls without the X-CSRF-Token header are refused', async () => {
    const { context, page, problems } = await openPage(browser);
    await signUp(page, s.url, uniqueEmail('csrf'));
    const call = (headers) => page.evaluate(async (h) => {
      const r = await fetch('/console/v1/2fa/setup', { method: 'POST', credentials: 'same-origin', headers: h, body: '{}' });
      return { status: r.status, body: await r.json() };
    }, headers);
    const refused = await call({ 'Content-Type': 'application/json' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, -7108);
    const csrf = await page.evaluate(() => document.cookie.match(/(?:^|; )kg_csrf=([^;]*)/)[1]);
    const wrong = await call({ 'Content-Type': 'application/json', 'X-CSRF-Token': 'f'.repeat(32) });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.code, -7108);
    const accepted = await call({ 'Content-Type': 'application/json', 'X-CSRF-Token': csrf });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('kg_session'), 'the session cookie is HttpOnly');
    assertClean(problems, 'in the CSRF test');
    await context.close();
  });

  test('no page violates the Content-Security-Policy, at desktop and phone widths', async () => {
    for (const viewport of [undefined, PHONE]) {
      const { context, page, problems } = await openPage(browser, viewport ? { viewport } : {});
      await page.goto(`${s.url}/#/login`);
      await page.locator('#login-form').waitFor();
      await page.goto(`${s.url}/#/signup`);
      await signUp(page, s.url, uniqueEmail('csp'));
      await page.goto(`${s.url}/#/keys`);
      await page.locator('#needs-2fa').waitFor();
      await page.goto(`${s.url}/#/keys/new`);
      // The key list's own #needs-2fa is there until the route change redraws the page.
      await page.locator('#needs-2fa', { hasText: 'Turn it on' }).waitFor();
      const user = await enable2fa(page);
      await page.goto(`${s.url}/#/keys/new`);
      // Walk every step of the wizard, with the choices that show more of the page.
      await page.getByLabel('Name of the key').fill('csp check');
      await page.check('input[name=type][value=ED25519]');
      await page.locator('#key-wizard textarea[name=publicKey]').waitFor();
      await page.check('input[name=type][value=HMAC_SHA256]');
      await page.click('#wizard-next');
      await page.check('#perm-WITHDRAW');
      await page.click('#wizard-next');
      await page.click('#wizard-next');
      await page.fill('#ip-allowlist', '127.0.0.1\n::1\n10.0.0.0/8');
      await page.click('#wizard-next');
      await page.click('#wizard-next');
      await page.check('#expiry-date-mode');
      await page.fill('#expiry-date', '2099-12-31');
      await page.click('#wizard-next');
      await page.fill('#key-wizard input[name=totp]', await user.code());
      await page.click('#wizard-next');
      await page.locator('#secret-once').waitFor();
      await page.click('#secret-done');
      const row = page.locator('#keys-table tbody tr').first();
      await row.waitFor();
      assert.match(await row.textContent(), /WITHDRAW/);
      await row.locator('[data-action=log]').click();
      await page.locator('#log-empty').waitFor();
      // The key has WITHDRAW: its withdrawal limits (no address book, no coins on this server).
      await page.goto(`${s.url}/#/keys`);
      await row.locator('[data-action=withdraw-rules]').click();
      await page.locator('#withdraw-rules-form').waitFor();
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (viewport) assert.ok(await overflow() <= 0, 'the withdrawal limits fit 375 px');
      // The wallet's pages, empty.
      for (const [hash, empty] of [['#/wallet', '#no-balances'], ['#/wallet/deposit', '#no-deposits'],
        ['#/wallet/withdrawals', '#no-withdrawals'], ['#/wallet/addresses', '#add-address-form, #no-addresses']]) {
        await page.goto(`${s.url}/${hash}`);
        await page.locator(empty).first().waitFor();
        if (viewport) assert.ok(await overflow() <= 0, `${hash} fits 375 px`);
      }
      await page.goto(`${s.url}/#/security`);
      await page.locator('#tfa-disable-form').waitFor();
      await page.goto(`${s.url}/#/no-such-page`);
      await page.locator('h1', { hasText: 'Not found' }).waitFor();
      // At 375 px nothing is wider than the screen.
      if (viewport) {
        await page.goto(`${s.url}/#/keys`);
        await page.locator('#keys-table').waitFor();
        // The WITHDRAW key's limits summary is fetched and filled in after the table is drawn.
        await page.locator('#keys-table .rules-summary', { hasText: 'Withdraws' }).waitFor();
        const over = await overflow();
        assert.ok(over <= 0, `the key list fits 375 px (overflow ${over}px)`);
      }
      assertClean(problems, `at ${viewport ? 'phone' : 'desktop'} width`);

      // The watch works: an inline script is blocked and reported.
      await page.evaluate(() => {
        const el = document.createElement('script');
        el.textContent = 'window.__inline = 1';
        document.body.append(el);
      });
      // The report arrives asynchronously (a binding call, a console message): poll for it.
      for (const until = Date.now() + 15000; problems.csp.length === 0 && Date.now() < until;) {
        await page.waitForTimeout(50);
      }
      assert.ok(problems.csp.length > 0, 'an inline script is reported as a CSP violation');
      assert.equal(await page.evaluate(() => window.__inline), undefined);
      await context.close();
    }
  });
});
