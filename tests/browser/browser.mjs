// Helpers for keygate's browser tests: Debian's Chromium driven by playwright-core, a watch for
// Content-Security-Policy violations and script errors, screenshots, TOTP codes for a user, and
// the steps every test starts with (sign up, turn on two-factor authentication).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { REPO, freshDir, nextTotp, PASSWORD } from '../integration/harness.mjs';

export const CHROMIUM = process.env.KEYGATE_CHROMIUM || '/usr/bin/chromium';

// Screenshots go to docs/screenshots with KEYGATE_SCREENSHOTS=1 (to refresh the committed ones),
// else to a temporary directory, so that a plain test run leaves the work tree alone.
export const SHOTS = process.env.KEYGATE_SCREENSHOTS === '1'
  ? path.join(REPO, 'docs', 'screenshots')
  : freshDir('kg-shots-');
fs.mkdirSync(SHOTS, { recursive: true });

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

// Playwright's launch() gives every browser a fresh, temporary user-data-dir of its own (and
// refuses --user-data-dir in args); it is removed when the browser closes.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A browser context whose pages report CSP violations, uncaught errors and console errors.
// Resolves {context, page, problems}: problems.csp / problems.pageErrors / problems.consoleErrors.
export async function openPage(browser, { viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const problems = { csp: [], pageErrors: [], consoleErrors: [] };
  await context.exposeBinding('__kgCspViolation', (_src, text) => { problems.csp.push(text); });
  // Injected by the DevTools protocol, so the page's own CSP does not apply to it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__kgCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.csp.push(text);
    // "Failed to load resource: 401/403/409" lines are the API's answers the page handles.
    else if (!/Failed to load resource/.test(text)) problems.consoleErrors.push(text);
  });
  page.setDefaultTimeout(15000);
  return { context, page, problems };
}

// fullPage: the whole page, not only the viewport (for pages taller than the screen).
export async function shot(page, name, { viewport, fullPage = false } = {}) {
  const before = page.viewportSize();
  if (viewport) await page.setViewportSize(viewport);
  await page.waitForTimeout(100);  // let the layout settle after a resize
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
  if (viewport) await page.setViewportSize(before);
}

// The page's localStorage and sessionStorage, and its cookies as scripts see them, as one string.
export function browserStorage(page) {
  return page.evaluate(() => {
    const dump = (s) => JSON.stringify(Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))])));
    return `local=${dump(localStorage)} session=${dump(sessionStorage)} cookie=${document.cookie}`;
  });
}

export const totpUser = (secret) => {
  const u = { secret, lastStep: 0 };
  u.code = () => nextTotp(u);
  return u;
};

export function assertClean(problems, where) {
  assert.deepEqual(problems.csp, [], `CSP violations ${where}`);
  assert.deepEqual(problems.pageErrors, [], `uncaught script errors ${where}`);
  assert.deepEqual(problems.consoleErrors, [], `console errors ${where}`);
}

export async function signUp(page, url, email) {
  await page.goto(`${url}/#/signup`);
  await page.fill('#signup-form input[name=email]', email);
  await page.fill('#signup-form input[name=password]', PASSWORD);
  await page.fill('#signup-form input[name=password2]', PASSWORD);
  await page.click('#signup-form button[type=submit]');
  await page.waitForURL(/#\/security$/);
  await page.locator('#tfa-status').waitFor();
}

// Enables 2FA through the Security page; returns the TOTP user (secret read from the page).
export async function enable2fa(page, { screenshot = false } = {}) {
  await page.goto(page.url().replace(/#.*$/, '#/security'));
  await page.click('#tfa-setup');
  const qr = page.locator('#tfa-qr');
  await qr.waitFor();
  const src = await qr.getAttribute('src');
  assert.match(src, /^data:image\/svg\+xml;base64,/);
  // Even a data: URL loads after the <img> is drawn: wait until it has loaded (or failed).
  await qr.evaluate((img) => img.complete || new Promise((done) => {
    img.addEventListener('load', done, { once: true });
    img.addEventListener('error', done, { once: true });
  }));
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code image renders');
  const secret = (await page.locator('#tfa-secret').textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{16,}$/);
  if (screenshot) await shot(page, 'security-2fa');
  const user = totpUser(secret);
  await page.fill('#tfa-enable-form input[name=totp]', await user.code());
  await page.click('#tfa-enable-form button[type=submit]');
  await page.locator('#tfa-status', { hasText: 'On' }).waitFor();
  return user;
}

// Creates a TRADE key for 127.0.0.1 in the wizard; resolves {apiKey, type, secretKey}.
export async function createTradeKey(page, url, user, label) {
  await page.goto(`${url}/#/keys/new`);
  await page.getByLabel('Name of the key').fill(label);
  await page.click('#wizard-next');
  await page.check('#perm-TRADE');
  await page.click('#wizard-next');
  await page.click('#wizard-next');
  await page.fill('#ip-allowlist', '127.0.0.1');
  for (let i = 0; i < 3; i++) await page.click('#wizard-next');
  await page.locator('#key-wizard[data-step="6"]').waitFor();
  await page.fill('#key-wizard input[name=totp]', await user.code());
  await page.click('#wizard-next');
  await page.locator('#secret-once').waitFor();
  const apiKey = (await page.locator('#api-key').textContent()).trim();
  const secretKey = (await page.locator('#secret-key').textContent()).trim();
  await page.click('#secret-done');
  return { apiKey, type: 'HMAC_SHA256', secretKey };
}
