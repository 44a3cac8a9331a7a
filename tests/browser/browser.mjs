// Helpers for keygate's browser tests: Debian's Chromium driven by playwright-core, a watch for
// Content-Security-Policy violations and script errors, screenshots, and TOTP codes for a user.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { REPO, freshDir, nextTotp } from '../integration/harness.mjs';

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

export async function shot(page, name, { viewport } = {}) {
  const before = page.viewportSize();
  if (viewport) await page.setViewportSize(viewport);
  await page.waitForTimeout(100);  // let the layout settle after a resize
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
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
