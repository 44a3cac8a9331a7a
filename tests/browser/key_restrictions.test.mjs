// Editing a key's restrictions in the console's key list, in headless Chromium against the real
// binary (--demo, so BTCUSDT exists): the dialog starts from the key's permissions and IP list;
// taking TRADE away saves without a code, the list shows it, and the key's next signed order from
// Node is refused (-2015) while reads still work; giving TRADE back asks for a 2FA code (the
// server's -7200) and changes nothing until it is given; with it the order goes through. An
// expiry date is set the same way without a code, and going back to "Never" asks for one. No
// Content-Security-Policy violation on the way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertError, forEachBackend, signedRequest, startServer, uniqueEmail,
} from '../integration/harness.mjs';
import {
  assertClean, createTradeKey, enable2fa, launchBrowser, openPage, shot, signUp,
} from './browser.mjs';

forEachBackend('web console: key restrictions', (backend) => {
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

  test('take TRADE away without a code and see the next order refused; give it back with a code', async () => {
    const { context, page, problems } = await openPage(browser);
    const email = uniqueEmail('restrict');
    await signUp(page, s.url, email);
    const user = await enable2fa(page);  // 2FA code 1
    const key = await createTradeKey(page, s.url, user, 'grid bot');  // code 2
    const dep = await admin(s.dataDir, ['deposit', '--email', email, '--asset', 'USDT', '--amount', '1000']);
    assert.equal(dep.code, 0, dep.stderr);
    const order = (price) => signedRequest(s.url, 'POST', '/api/v3/order', key, { params: {
      symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price, newOrderRespType: 'ACK' } });
    const first = await order('40000');
    assert.equal(first.status, 200, first.text);

    const row = page.locator(`tr[data-api-key="${key.apiKey}"]`);
    // The notice shows before the key list is fetched again, so wait for the row to be drawn:
    // allTextContents() does not wait, and reads nothing from a list not yet there.
    const perms = async () => {
      await row.locator('.perms').waitFor();
      return (await row.locator('.perms .perm').allTextContents()).map((x) => x.trim());
    };
    await row.waitFor();
    assert.deepEqual(await perms(), ['READ', 'TRADE']);

    // The dialog starts from what the key has.
    await row.locator('[data-action=restrictions]').click();
    const dlg = page.locator('#restrictions-dialog');
    await dlg.waitFor();
    assert.match(await dlg.locator('h2').textContent(), /Restrictions of "grid bot"/);
    assert.ok(await dlg.locator('#edit-perm-READ').isChecked());
    assert.ok(await dlg.locator('#edit-perm-TRADE').isChecked());
    assert.ok(!(await dlg.locator('#edit-perm-WITHDRAW').isChecked()));
    assert.ok(await dlg.locator('#edit-ip-mode-list').isChecked());
    assert.equal(await dlg.locator('#edit-ip-allowlist').inputValue(), '127.0.0.1');

    // Taking TRADE away: no code.
    await dlg.locator('#edit-perm-TRADE').uncheck();
    await dlg.locator('button[type=submit]').click();
    await dlg.waitFor({ state: 'detached' });
    await page.locator('.notice.ok', { hasText: 'The restrictions of "grid bot" are saved' }).waitFor();
    assert.deepEqual(await perms(), ['READ']);
    assertError(await order('40001'), 401, -2015);
    const account = await signedRequest(s.url, 'GET', '/api/v3/account', key);
    assert.equal(account.status, 200, account.text);

    // Giving it back asks for a code, and nothing changes until it is given.
    await row.locator('[data-action=restrictions]').click();
    await dlg.waitFor();
    await dlg.locator('#edit-perm-TRADE').check();
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('.error', { hasText: '-7200' }).waitFor();
    const code = dlg.locator('.field.needed input[name=totp]');
    assert.ok(await code.evaluate((el) => el === document.activeElement), 'the focus is in the code field');
    assertError(await order('40002'), 401, -2015);
    if (backend === 'sqlite') await shot(page, 'key-restrictions');
    await code.fill(await user.code());  // code 3
    await dlg.locator('button[type=submit]').click();
    await dlg.waitFor({ state: 'detached' });
    await row.locator('.perms .perm', { hasText: 'TRADE' }).waitFor();
    assert.deepEqual(await perms(), ['READ', 'TRADE']);
    const again = await order('40003');
    assert.equal(again.status, 200, again.text);

    // An expiry date is narrowing too: saved without a code, and the list shows it (the page's
    // clock is UTC, so is this date).
    const ymd = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const expires = row.locator('td[data-label=Expires]');
    assert.equal((await expires.textContent()).trim(), 'Never');
    await row.locator('[data-action=restrictions]').click();
    await dlg.waitFor();
    assert.ok(await dlg.locator('#edit-expiry-never').isChecked());
    assert.ok(await dlg.locator('#edit-expiry-date').isHidden());
    await dlg.locator('#edit-expiry-date-mode').check();
    await dlg.locator('#edit-expiry-date').fill(ymd);
    await dlg.locator('button[type=submit]').click();
    await dlg.waitFor({ state: 'detached' });
    await expires.locator('time', { hasText: `${ymd} 23:59:59` }).waitFor();
    const stillWorks = await order('40004');
    assert.equal(stillWorks.status, 200, stillWorks.text);

    // Back to "Never" is widening: -7200, and the date stays.
    await row.locator('[data-action=restrictions]').click();
    await dlg.waitFor();
    assert.ok(await dlg.locator('#edit-expiry-date-mode').isChecked());
    assert.equal(await dlg.locator('#edit-expiry-date').inputValue(), ymd);
    await dlg.locator('#edit-expiry-never').check();
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('.error', { hasText: '-7200' }).waitFor();
    await dlg.locator('button', { hasText: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });
    await page.reload();
    await row.waitFor();
    await expires.locator('time', { hasText: `${ymd} 23:59:59` }).waitFor();

    assertClean(problems, 'while editing a key\'s restrictions');
    await context.close();
  });
});
