// The console's money pages in headless Chromium against the real binary (--demo coins and
// networks; a quick simulated chain): balances, a deposit address (and a tag network's warning),
// the operator's deposit through pending n/m confirmations to credited, the withdrawal address
// book (add with a 2FA code, cooling-off shown, delete after a confirmation), the address-management
// switch (off asks for a code, on does not), withdrawals by a WITHDRAW key in the history, in words,
// and that key's withdrawal limits (narrowing needs no code, widening asks for one); internal
// transfers by a TRANSFER key in the sender's and the recipient's Transfers lists.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, BACKENDS, signedRequest, sleep, startServer, uniqueEmail } from '../integration/harness.mjs';
import {
  assertClean, browserStorage, DESKTOP, enable2fa, launchBrowser, openPage, PHONE, shot, signUp,
} from './browser.mjs';

const WALLET_ENV = {
  KEYGATE_WALLET_CONFIRMATIONS: '2',
  KEYGATE_WALLET_BLOCK_MS: '1500',
  KEYGATE_WALLET_WITHDRAW_DELAY_MS: '1500',
  KEYGATE_WALLET_CHAIN_TICK_MS: '100',
};  // the address book's cooling-off stays at its default, 24 hours
const BOOK_ADDRESS = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';
const OTHER_BTC = '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy';
const OTHER_XRP = 'rPEPPER7kfTD9w2To4CQk6UCfuHM9c6GDY';

// Both backends at once: most of the time is spent waiting (for confirmations, for the next
// 30-second step of the TOTP codes), so they overlap well.
describe('web console: wallet', { concurrency: true }, () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  for (const { name: backend, skip } of BACKENDS) {
    test(`[${backend}] balances, deposit, history, address book, address management, withdrawals, a key's withdrawal limits`,
      { skip }, async () => {
        const s = await startServer({ backend, extraArgs: ['--demo'], env: WALLET_ENV });
        try {
          await walletFlow(browser, s, { screenshots: backend === 'sqlite' });
        } finally {
          await s.stop();
        }
      });
    test(`[${backend}] transfers: a TRANSFER key's transfers in the sender's and the recipient's lists`,
      { skip }, async () => {
        const s = await startServer({ backend, extraArgs: ['--demo'], env: WALLET_ENV });
        try {
          await transfersFlow(browser, s, { screenshots: backend === 'sqlite' });
        } finally {
          await s.stop();
        }
      });
  }
});

async function walletFlow(browser, s, { screenshots }) {
  const { context, page, problems } = await openPage(browser);
  const email = uniqueEmail('wallet');
  await signUp(page, s.url, email);
  const user = await enable2fa(page);  // 2FA code 1

  // Nothing held yet.
  await page.click('#nav a[data-route=wallet]');
  await page.locator('#no-balances').waitFor();
  assert.equal(await page.locator('#nav a[data-route=wallet]').getAttribute('aria-current'), 'page');

  // A tag network: the address with its tag, and the warning that the tag is required.
  await page.click('.tabs a[data-tab=deposit]');
  await page.locator('#deposit-asset').waitFor();
  await page.selectOption('#deposit-asset', 'XRP');
  await page.locator('#deposit-tag').waitFor();
  assert.match(await page.locator('#deposit-address').textContent(), /^r/);
  assert.match(await page.locator('#deposit-tag').textContent(), /^[0-9]+$/);
  assert.match(await page.locator('#deposit-tag-warning').textContent(), /A tag \(memo\) is required/);
  const xrpTag = (await page.locator('#deposit-tag').textContent()).trim();

  // BTC: an address, no tag; copy it; the choice is in the URL and the address is stable.
  await page.selectOption('#deposit-asset', 'BTC');
  await page.locator('#deposit-address', { hasText: /^bc1q/ }).waitFor();
  assert.equal(await page.locator('#deposit-network').inputValue(), 'BTC');
  assert.equal(await page.locator('#deposit-tag').count(), 0);
  assert.equal(await page.locator('#deposit-tag-warning').count(), 0);
  assert.match(await page.locator('#deposit-result').textContent(), /Send only BTC .* after 2 network confirmations/);
  const address = (await page.locator('#deposit-address').textContent()).trim();
  await page.click('#copy-address');
  await page.locator('#deposit-result .copy-state', { hasText: /Address (copied|selected)/ }).waitFor();
  await page.waitForURL(/#\/wallet\/deposit\/BTC\/BTC$/);
  await page.reload();
  await page.locator('#deposit-address', { hasText: address }).waitFor();
  await page.locator('#no-deposits').waitFor();

  // The operator plays the chain: 1 BTC to that address. Pending with n/2 confirmations, then
  // credited (the page refreshes itself while a deposit is pending).
  const dep = await admin(s.dataDir, ['deposit', '--address', address, '--asset', 'BTC', '--amount', '1']);
  assert.equal(dep.code, 0, dep.stderr + dep.stdout);
  await page.click('#deposits-refresh');
  const btcRow = page.locator('#deposits-table tbody tr', { hasText: 'BTC' });
  await btcRow.waitFor();
  const pendingText = await btcRow.textContent();
  assert.match(pendingText, /Pending[\s\S]*[01]\/2|Credited[\s\S]*2\/2/, pendingText);
  // About 3 s of simulated chain and up to 2.5 s more until the page's next refresh; slower under
  // load (both backends and flows share the machine), so the limit is well above that.
  await page.locator('#deposits-table tr[data-status=CREDITED]', { hasText: 'BTC' }).waitFor({ timeout: 30000 });
  assert.match(await btcRow.textContent(), /BTC[\s\S]*1[\s\S]*Credited[\s\S]*2\/2/);

  // 25 XRP to the shared address and this account's tag; still pending in the screenshot.
  await page.selectOption('#deposit-asset', 'XRP');
  await page.locator('#deposit-tag').waitFor();
  const xrpDep = await admin(s.dataDir, ['deposit', '--email', email, '--asset', 'XRP', '--amount', '25']);
  assert.equal(xrpDep.code, 0, xrpDep.stderr + xrpDep.stdout);
  await page.click('#deposits-refresh');
  await page.locator('#deposits-table tbody tr', { hasText: 'XRP' }).waitFor();
  assert.equal(await page.locator('#deposit-tag').textContent(), xrpTag);
  if (screenshots) await shot(page, 'deposit', { fullPage: true });
  await page.setViewportSize(PHONE);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    'the deposit page fits 375 px');
  await page.setViewportSize(DESKTOP);

  // The balance.
  await page.click('.tabs a[data-tab=balances]');
  const btcBalance = page.locator('#balances-table tr[data-asset=BTC]');
  await btcBalance.waitFor();
  assert.match(await btcBalance.textContent(), /BTC\s*Bitcoin\s*1\s*0\s*1/);

  // The address book: address management is on; a bad address is refused before the code is
  // spent, the same code then adds the address, which cools off for 24 hours.
  await page.click('.tabs a[data-tab=addresses]');
  const sw = page.locator('#wl-switch');
  await sw.waitFor();
  assert.equal(await sw.getAttribute('aria-checked'), 'true');
  assert.match(await page.locator('#address-management').textContent(),
    /When on, API withdrawals can go only to the addresses in this book/);
  await page.locator('#no-addresses').waitFor();
  const form = page.locator('#add-address-form');
  await form.locator('#add-asset').selectOption('XRP');
  assert.ok(await form.locator('#add-tag').isVisible(), 'a tag network asks for the tag');
  await form.locator('#add-asset').selectOption('BTC');
  assert.ok(!(await form.locator('#add-tag').isVisible()), 'BTC has no tag');
  await form.locator('#add-address').fill('not-an-address');
  await form.locator('#add-label').fill('cold wallet');
  await form.locator('input[name=totp]').fill(await user.code());  // code 2
  await form.locator('button[type=submit]').click();
  await form.locator('.error', { hasText: '-7416' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'add-address');
  await form.locator('#add-address').fill(BOOK_ADDRESS);
  await form.locator('button[type=submit]').click();
  const bookRow = page.locator('#book-table tbody tr', { hasText: BOOK_ADDRESS });
  await bookRow.waitFor();
  assert.match(await bookRow.textContent(), /cold wallet[\s\S]*BTC[\s\S]*Cooling off[\s\S]*usable from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  await page.locator('.notice.ok', { hasText: 'It can be used from' }).waitFor();
  assert.match(await page.locator('.lead').textContent(), /24 hours after it is added/);
  if (screenshots) await shot(page, 'address-book', { fullPage: true });

  // A key with WITHDRAW (code 3); its creation points to its withdrawal limits.
  await page.goto(`${s.url}/#/keys/new`);
  await page.getByLabel('Name of the key').fill('payout bot');
  await page.click('#wizard-next');
  await page.check('#perm-WITHDRAW');
  await page.click('#wizard-next');
  await page.click('#wizard-next');
  await page.fill('#ip-allowlist', '127.0.0.1');
  for (let i = 0; i < 3; i++) await page.click('#wizard-next');
  await page.fill('#key-wizard input[name=totp]', await user.code());
  await page.click('#wizard-next');
  await page.locator('#secret-once').waitFor();
  const offCode = user.code();  // code 4, for later: it may have to wait for the next 30-second step
  const key = {
    apiKey: (await page.locator('#api-key').textContent()).trim(),
    type: 'HMAC_SHA256',
    secretKey: (await page.locator('#secret-key').textContent()).trim(),
  };
  await page.click('#created-limits');

  // Narrowing needs no code: at most 0.5 BTC a day.
  const rules = page.locator('#withdraw-rules-form');
  await rules.waitFor();
  assert.ok(await page.isChecked('#rules-any'), 'a new key may withdraw to any allowed address');
  assert.match(await page.locator('#rules-summary').textContent(), /to any allowed address; no daily cap/);
  await page.fill('#cap-BTC', '0.5');
  await page.click('#rules-save');
  await page.locator('.notice.ok', { hasText: 'withdrawal limits of "payout bot" are saved' }).waitFor();
  assert.match(await page.locator('#rules-summary').textContent(), /to any allowed address; at most 0\.5 BTC per 24 h/);

  // Address management off asks for a code (code 4); then the key can send to any address.
  await page.click('#nav a[data-route=wallet]');
  await page.click('.tabs a[data-tab=addresses]');
  await sw.click();
  const off = page.locator('#wl-off-dialog');
  await off.waitFor();
  await off.locator('input[name=totp]').fill(await offCode);
  await off.locator('button[type=submit]').click();
  await page.locator('#wl-switch[aria-checked=false]').waitFor();
  await page.locator('#address-management .notice.warn', { hasText: 'Address management is off' }).waitFor();

  // Two withdrawals by the key; the history says what happens to them, in words.
  const withdraw = (params) => signedRequest(s.url, 'POST', '/sapi/v1/capital/withdraw/apply', key, { params });
  const w1 = await withdraw({ coin: 'BTC', network: 'BTC', address: OTHER_BTC, amount: '0.1' });
  assert.equal(w1.status, 200, w1.text);
  await page.click('.tabs a[data-tab=withdrawals]');
  const w1Row = page.locator(`#withdrawals-table tr[data-id="${w1.body.id}"]`);
  await w1Row.waitFor();
  assert.match(await w1Row.textContent(), /BTC[\s\S]*0\.1[\s\S]*0\.0002[\s\S]*3J98t1/);
  const xrpCredited = async () => (await signedRequest(s.url, 'GET', '/api/v3/account', key)).body?.balances?.some((b) => b.asset === 'XRP' && b.free === '25.00000000');
  for (let i = 0; i < 50 && !(await xrpCredited()); i++) await sleep(200);
  const w2 = await withdraw({ coin: 'XRP', address: OTHER_XRP, addressTag: '31337', amount: '10' });
  assert.equal(w2.status, 200, w2.text);
  await page.click('#withdrawals-refresh');
  await page.locator(`#withdrawals-table tr[data-id="${w2.body.id}"]`, { hasText: '31337' }).waitFor();
  await page.locator(`#withdrawals-table tr[data-id="${w1.body.id}"][data-status=completed]`).waitFor({ timeout: 30000 });
  await page.locator(`#withdrawals-table tr[data-id="${w2.body.id}"][data-status=completed]`).waitFor({ timeout: 30000 });
  assert.match(await w1Row.textContent(), /Completed/);
  await page.click('.tabs a[data-tab=balances]');
  await btcBalance.locator('td', { hasText: '0.8998' }).first().waitFor();

  // Address management back on: no code.
  await page.click('.tabs a[data-tab=addresses]');
  await page.click('#wl-switch');
  await page.locator('#wl-switch[aria-checked=true]').waitFor();
  assert.equal(await page.locator('#wl-off-dialog').count(), 0);

  // Narrower still, without a code: only the book address.
  await page.goto(`${s.url}/#/keys`);
  const keyRow = page.locator(`tr[data-api-key="${key.apiKey}"]`);
  await keyRow.locator('.rules-summary', { hasText: 'at most 0.5 BTC per 24 h' }).waitFor();
  await keyRow.locator('[data-action=withdraw-rules]').click();
  await rules.waitFor();
  await page.check('#rules-only');
  await rules.locator('.rules-addresses .choice', { hasText: 'cold wallet' }).locator('input').check();
  await page.click('#rules-save');
  await page.locator('.notice.ok', { hasText: 'are saved' }).waitFor();
  assert.match(await page.locator('#rules-summary').textContent(), /only to "cold wallet"; at most 0\.5 BTC per 24 h/);
  assert.equal(await page.inputValue('#cap-BTC'), '0.5');
  if (screenshots) await shot(page, 'withdraw-limits', { fullPage: true });

  // Widening (no cap) without a code: the server asks for one, and the form says so.
  await page.fill('#cap-BTC', '');
  await page.click('#rules-save');
  await rules.locator('.error', { hasText: '-7200' }).waitFor();
  assert.match(await rules.locator('.error').textContent(), /enter a two-factor code/);
  assert.ok(await rules.locator('.field.needed input[name=totp]').isVisible());

  // Delete the address, after a confirmation (cancel first: nothing happens).
  await page.goto(`${s.url}/#/wallet/addresses`);
  await bookRow.locator('[data-action=delete]').click();
  await page.locator('#delete-address-dialog button', { hasText: 'Cancel' }).click();
  // Closing the dialog redraws the book: wait for that, else the row found is the old one.
  await page.locator('#delete-address-dialog').waitFor({ state: 'detached' });
  await bookRow.waitFor();
  await bookRow.locator('[data-action=delete]').click();
  await page.locator('#delete-address-dialog button[type=submit]').click();
  await page.locator('#no-addresses').waitFor();
  await page.locator('.notice.ok', { hasText: '"cold wallet" is deleted' }).waitFor();

  assert.equal(await browserStorage(page), `local={} session={} cookie=${await page.evaluate(() => document.cookie)}`,
    'nothing in localStorage or sessionStorage');
  assertClean(problems, 'on the wallet pages');
  await context.close();
}

async function transfersFlow(browser, s, { screenshots }) {
  // The recipient: signed up, no 2FA needed to see the wallet; nothing received yet. Reaches the
  // Transfers tab with the keyboard and reads its own user ID there.
  const to = await openPage(browser);
  const toEmail = uniqueEmail('payee');
  await signUp(to.page, s.url, toEmail);
  await to.page.click('#nav a[data-route=wallet]');
  await to.page.locator('#no-balances').waitFor();
  await to.page.focus('.tabs a[data-tab=transfers]');
  await to.page.keyboard.press('Enter');
  await to.page.waitForURL(/#\/wallet\/transfers$/);
  await to.page.locator('#no-transfers').waitFor();
  assert.equal(await to.page.locator('.tabs a[data-tab=transfers]').getAttribute('aria-current'), 'page');
  const toUid = (await to.page.locator('#my-uid code').textContent()).trim();
  assert.match(toUid, /^[0-9]+$/);

  // The sender: 2FA (code 1), 100 USDT from the chain, and a key with TRANSFER (code 2).
  const from = await openPage(browser);
  const fromEmail = uniqueEmail('payer');
  await signUp(from.page, s.url, fromEmail);
  const user = await enable2fa(from.page);
  const dep = await admin(s.dataDir, ['deposit', '--email', fromEmail, '--asset', 'USDT', '--amount', '100']);
  assert.equal(dep.code, 0, dep.stderr + dep.stdout);
  await from.page.goto(`${s.url}/#/keys/new`);
  await from.page.getByLabel('Name of the key').fill('rent payer');
  await from.page.click('#wizard-next');
  await from.page.check('#perm-TRANSFER');
  await from.page.click('#wizard-next');
  await from.page.click('#wizard-next');
  await from.page.fill('#ip-allowlist', '127.0.0.1');
  for (let i = 0; i < 3; i++) await from.page.click('#wizard-next');
  await from.page.fill('#key-wizard input[name=totp]', await user.code());
  await from.page.click('#wizard-next');
  await from.page.locator('#secret-once').waitFor();
  const key = {
    apiKey: (await from.page.locator('#api-key').textContent()).trim(),
    type: 'HMAC_SHA256',
    secretKey: (await from.page.locator('#secret-key').textContent()).trim(),
  };
  const credited = async () => (await signedRequest(s.url, 'GET', '/api/v3/account', key)).body?.balances
    ?.some((b) => b.asset === 'USDT' && b.free === '100.00000000');
  for (let i = 0; i < 100 && !(await credited()); i++) await sleep(200);
  assert.ok(await credited(), 'the USDT deposit is credited');

  // Two transfers by the key: by email with a clientTranId, then by the user ID the recipient's page shows.
  const send = (params) => signedRequest(s.url, 'POST', '/sapi/v1/transfer/internal', key, { body: params });
  const t1 = await send({ toEmail, asset: 'USDT', amount: '30', clientTranId: 'rent-march' });
  assert.equal(t1.status, 200, t1.text);
  const t2 = await send({ toUid, asset: 'USDT', amount: '0.5' });
  assert.equal(t2.status, 200, t2.text);

  // The sender sees both, newest first, as sent to the recipient.
  await from.page.goto(`${s.url}/#/wallet/transfers`);
  const sent = from.page.locator('#transfers-table tbody tr');
  await sent.first().waitFor();
  const fromUid = (await from.page.locator('#my-uid code').textContent()).trim();
  assert.deepEqual(await sent.evaluateAll((rows) => rows.map((r) => [r.dataset.id, r.dataset.direction])),
    [[String(t2.body.tranId), 'OUT'], [String(t1.body.tranId), 'OUT']]);
  const sent1 = from.page.locator(`#transfers-table tr[data-id="${t1.body.tranId}"]`);
  assert.match(await sent1.textContent(), new RegExp(`Sent[\\s\\S]*USDT[\\s\\S]*30[\\s\\S]*To user ${toUid}[\\s\\S]*rent-march`));
  assert.equal(await sent1.locator('.amount').getAttribute('title'), '30.00000000 USDT');
  assert.equal(await sent1.locator('.counterparty').textContent(), toUid);
  assert.match(await from.page.locator(`#transfers-table tr[data-id="${t2.body.tranId}"]`).textContent(),
    new RegExp(`Sent[\\s\\S]*0\\.5[\\s\\S]*To user ${toUid}`));
  if (screenshots) await shot(from.page, 'transfers', { fullPage: true });
  await from.page.setViewportSize(PHONE);
  assert.ok(await from.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    'the transfers page fits 375 px');
  await from.page.setViewportSize(DESKTOP);
  await from.page.click('.tabs a[data-tab=balances]');
  await from.page.locator('#balances-table tr[data-asset=USDT] td', { hasText: '69.5' }).first().waitFor();

  // The recipient, after Refresh: both, received from the sender.
  await to.page.click('#transfers-refresh');
  const got = to.page.locator('#transfers-table tbody tr');
  await got.first().waitFor();
  assert.deepEqual(await got.evaluateAll((rows) => rows.map((r) => [r.dataset.id, r.dataset.direction])),
    [[String(t2.body.tranId), 'IN'], [String(t1.body.tranId), 'IN']]);
  const got1 = to.page.locator(`#transfers-table tr[data-id="${t1.body.tranId}"]`);
  assert.equal(await got1.locator('.counterparty').textContent(), fromUid);
  assert.notEqual(fromUid, toUid);
  assert.match(await got1.textContent(),
    new RegExp(`Received[\\s\\S]*USDT[\\s\\S]*30[\\s\\S]*From user ${fromUid}[\\s\\S]*rent-march`));
  assert.match(await to.page.locator(`#transfers-table tr[data-id="${t2.body.tranId}"]`).textContent(),
    new RegExp(`Received[\\s\\S]*0\\.5[\\s\\S]*From user ${fromUid}`));
  await to.page.click('.tabs a[data-tab=balances]');
  await to.page.locator('#balances-table tr[data-asset=USDT] td', { hasText: '30.5' }).first().waitFor();

  assertClean(from.problems, 'on the sender\'s transfers page');
  assertClean(to.problems, 'on the recipient\'s transfers page');
  await from.context.close();
  await to.context.close();
}
