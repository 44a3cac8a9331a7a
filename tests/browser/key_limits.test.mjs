// A key's own rate limits in the console's key list, in headless Chromium against the real binary
// (--demo, so BTCUSDT exists): "Account limits only" for a new key; lowering to 2 orders per 10 s
// saves without a code (keyboard only) and the list shows it; the third of three signed orders from
// Node is refused with 429 -1015, and the key's access log says so; raising the limit asks for a
// 2FA code (the server's -7200), and with it the list shows the new limits; the dialog fits 375 px;
// no Content-Security-Policy violation on the way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, forEachBackend, signedRequest, sleep, startServer, uniqueEmail,
} from '../integration/harness.mjs';
import {
  assertClean, createTradeKey, enable2fa, launchBrowser, openPage, PHONE, shot, signUp,
} from './browser.mjs';

// Waits until at least `room` ms are left in the current clock-aligned window of `windowMs`.
async function windowWithRoom(windowMs, room) {
  while (windowMs - (Date.now() % windowMs) < room) await sleep(50);
}

forEachBackend('web console: key rate limits', (backend) => {
  let s;
  let browser;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('lower a key\'s order limit without a code, see it refuse the third order, raise it with a code', async () => {
    const { context, page, problems } = await openPage(browser);
    const email = uniqueEmail('limits');
    await signUp(page, s.url, email);
    const user = await enable2fa(page);  // 2FA code 1
    const key = await createTradeKey(page, s.url, user, 'market maker');  // code 2
    const dep = await admin(s.dataDir, ['deposit', '--email', email, '--asset', 'USDT', '--amount', '1000']);
    assert.equal(dep.code, 0, dep.stderr);

    const row = page.locator(`tr[data-api-key="${key.apiKey}"]`);
    const summary = row.locator('.key-limits');
    await summary.waitFor();
    assert.equal((await summary.textContent()).trim(), 'Account limits only');

    // By keyboard: the row's "Rate limits" button opens the dialog with the focus in its first field.
    await row.locator('[data-action=rate-limits]').focus();
    await page.keyboard.press('Enter');
    const dlg = page.locator('#rate-limits-dialog');
    await dlg.waitFor();
    assert.match(await dlg.locator('h2').textContent(), /Rate limits of "market maker"/);
    const text = await dlg.textContent();
    assert.match(text, /below the account's limits/);
    assert.match(text, /50 new orders per 10 seconds/);
    assert.match(text, /6000 request weight per minute/);
    assert.match(await dlg.locator('#limits-now').textContent(), /Now: Account limits only/);
    const orders = dlg.getByLabel('New orders per 10 seconds');
    const weight = dlg.getByLabel('Request weight per minute');
    assert.equal(await orders.getAttribute('type'), 'number');
    assert.equal(await weight.getAttribute('type'), 'number');
    assert.equal(await orders.inputValue(), '', 'no limit of its own yet: empty');
    assert.ok(await orders.evaluate((el) => el === document.activeElement), 'the focus is in the first field');
    // A value that is no limit is caught in the page, before any request.
    await page.keyboard.type('0');
    await page.keyboard.press('Enter');
    await dlg.locator('.error', { hasText: 'whole number' }).waitFor();
    assert.ok(await orders.evaluate((el) => el === document.activeElement), 'the focus goes back to the wrong field');
    // Lowering (none → 2) needs no code: the dialog closes and the list shows the limit.
    await page.keyboard.press('Backspace');
    await page.keyboard.type('2');
    await page.keyboard.press('Enter');
    await dlg.waitFor({ state: 'detached' });
    await page.locator('.notice.ok', { hasText: 'The rate limits of "market maker" are saved' }).waitFor();
    await row.locator('.key-limits', { hasText: 'Orders: 2 per 10 s' }).waitFor();
    assert.equal((await summary.textContent()).trim(), 'Orders: 2 per 10 s');

    // The key places two orders in a 10-second window; the third is refused with 429 -1015.
    const order = (i) => signedRequest(s.url, 'POST', '/api/v3/order', key, { params: {
      symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: String(40000 + i),
      newOrderRespType: 'ACK' } });
    await windowWithRoom(10_000, 4_000);
    for (const i of [1, 2]) {
      const r = await order(i);
      assert.equal(r.status, 200, r.text);
    }
    const third = await order(3);
    assertError(third, 429, -1015, 'Too many new orders; this API key\'s own limit is 2 orders per 10 SECOND.');
    const retry = Number(third.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 10, `Retry-After ${third.headers['retry-after']}`);

    // The owner reads why in the key's access log.
    await row.locator('[data-action=log]').click();
    const refused = page.locator('#log-table tbody tr', { hasText: '-1015' });
    await refused.first().waitFor();
    assert.match(await refused.first().textContent(), /POST.*\/api\/v3\/order.*Rejected.*429/s);

    // Raising the limit (and adding a weight limit) asks for a code: the server's -7200.
    await page.goto(`${s.url}/#/keys`);
    await row.locator('[data-action=rate-limits]').click();
    await dlg.waitFor();
    assert.equal(await orders.inputValue(), '2', 'the dialog starts from the current limits');
    assert.match(await dlg.locator('#limits-now').textContent(), /Now: Orders: 2 per 10 s/);
    await orders.fill('5');
    await weight.fill('600');
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('.error', { hasText: '-7200' }).waitFor();
    const code = dlg.locator('.field.needed input[name=totp]');
    assert.ok(await code.isVisible(), 'the code field is marked as needed');
    assert.ok(await code.evaluate((el) => el === document.activeElement), 'the focus is in the code field');
    assert.equal((await summary.textContent()).trim(), 'Orders: 2 per 10 s', 'nothing changed without the code');
    if (backend === 'sqlite') await shot(page, 'key-rate-limits');
    await code.fill(await user.code());  // code 3
    await dlg.locator('button[type=submit]').click();
    await dlg.waitFor({ state: 'detached' });
    await row.locator('.key-limits', { hasText: 'Orders: 5 per 10 s' }).waitFor();
    assert.equal((await summary.textContent()).trim(), 'Orders: 5 per 10 s · Weight: 600 per minute');

    // At 375 px: the list and the dialog fit the screen; Escape closes the dialog.
    await page.setViewportSize(PHONE);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(await overflow() <= 0, 'the key list fits 375 px');
    await row.locator('[data-action=rate-limits]').click();
    await dlg.waitFor();
    assert.ok(await dlg.evaluate((d) => d.scrollWidth <= d.clientWidth && d.getBoundingClientRect().right <= window.innerWidth),
      'the dialog fits 375 px');
    assert.ok(await overflow() <= 0, 'nothing is wider than 375 px with the dialog open');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    await row.locator('.key-limits', { hasText: 'Orders: 5 per 10 s' }).waitFor();

    assertClean(problems, 'while editing a key\'s rate limits');
    await context.close();
  });
});
