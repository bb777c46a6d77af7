// What the browser test files share: Debian's chromium driven by
// playwright-core against a whole keyfin stack started by the integration
// harness (PostgreSQL + keyfin serve + nginx), pages of two sizes, and the
// checks every page gets (no uncaught error, no CSP violation, no
// alert(), axe-core's serious and critical findings).
//
// Screenshots of every screen, phone (360x740) and desktop (1280x800), go to
// $KEYFIN_SCREENSHOTS, else $KEYFIN_VAR/screenshots, else var/screenshots.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { ROOT } from '../integration/harness.mjs';

export const CHROMIUM = process.env.KEYFIN_CHROMIUM || '/usr/bin/chromium';
// This machine's network is closed: without these chromium tries to reach
// Google (component updates, sync, field trials) and waits for it.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
};
export const WAIT_MS = 15_000;
export const TEST_TIMEOUT = { timeout: 180_000 };

export const SHOTS = process.env.KEYFIN_SCREENSHOTS ||
  path.join(process.env.KEYFIN_VAR || path.join(ROOT, 'var'), 'screenshots');
// KEYFIN_DOCS_SCREENSHOT=1: the screenshots shown in the README are written
// to docs/ too.
export const DOCS = process.env.KEYFIN_DOCS_SCREENSHOT ? path.join(ROOT, 'docs') : null;

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// The browser for the calling file, and its pages against stack `S`.
export function useBrowser(S) {
  let browser;
  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: scripts/deps installs Debian's chromium`);
    fs.mkdirSync(SHOTS, { recursive: true });
    // launch() runs chromium on a fresh, empty, temporary user-data-dir that
    // playwright removes again; every test gets its own incognito context.
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
    });
  }, { timeout: 90_000 });
  after(async () => {
    if (browser) await browser.close();
  });

  const base = () => `http://127.0.0.1:${S.httpPort}`;

  // A fresh context (empty storage) and page of the given size, recording
  // what the page does that a test may want to look at.
  async function open(size = 'desktop') {
    const ctx = await browser.newContext({
      ...SIZES[size], deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC', baseURL: base(),
    });
    ctx.setDefaultTimeout(WAIT_MS);
    const page = await ctx.newPage();
    const t = {
      ctx, page, size, dialogs: [], cspViolations: [], pageErrors: [], requests: [],
    };
    page.on('dialog', (d) => { t.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on('console', (m) => {
      if (/Content Security Policy|Trusted Type|Refused to/i.test(m.text())) t.cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => t.pageErrors.push(String(e)));
    page.on('request', (r) => t.requests.push({ method: r.method(), url: r.url(), headers: r.headers() }));
    return t;
  }

  async function signIn(t, user, password) {
    const { page } = t;
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/web/', '/ redirects to /web/');
    await page.locator('#login-form').getByLabel('User name').fill(user);
    await page.locator('#login-form').getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function sessionToken(page) {
    const s = await page.evaluate(() => sessionStorage.getItem('keyfin.session'));
    const token = s && JSON.parse(s).token;
    if (token) S.remember(token);
    return token;
  }

  function systemInfo(key) {
    S.remember(key);
    return S.req('GET', '/System/Info', {
      headers: { Authorization: `MediaBrowser Token="${encodeURIComponent(key)}", Client="Heimdall"` },
    });
  }

  return { open, base, signIn, sessionToken, systemInfo };
}

// What every test checks before closing its page: the page ran without an
// uncaught error, a CSP or Trusted Types violation, or an alert()/confirm().
export async function close(t) {
  try {
    assert.deepEqual(t.pageErrors, [], 'uncaught errors in the page');
    assert.deepEqual(t.cspViolations, [], 'CSP violations');
    assert.deepEqual(t.dialogs, [], 'no JavaScript dialog (alert/confirm/prompt) may open');
  } finally {
    await t.ctx.close();
  }
}

// The whole page, or only the window when a modal dialog is open (its
// backdrop covers the window, not the whole page). `docs`: also
// docs/<docs>.png, desktop only, when KEYFIN_DOCS_SCREENSHOT is set.
export async function shot(t, name, { fullPage = true, docs } = {}) {
  await t.page.screenshot({ path: path.join(SHOTS, `${name}-${t.size}.png`), fullPage, animations: 'disabled' });
  if (DOCS && docs && t.size === 'desktop') {
    await t.page.screenshot({ path: path.join(DOCS, `${docs}.png`), fullPage, animations: 'disabled', caret: 'hide' });
  }
}

// Nothing sticks out sideways: no horizontal scrolling at this size.
export async function assertFits(t, what) {
  const { scroll, width } = await t.page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${what} (${t.size}): page is ${scroll}px wide in a ${width}px window`);
}

// axe-core on the page as it is: no serious or critical violation. The
// script is evaluated over the DevTools protocol, so the page's CSP (which
// allows no injected script) stays as it is for the page itself.
export async function assertAxe(t, what) {
  const { page } = t;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(found, [], `axe on ${what} (${t.size})`);
}

export const activeId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

export async function waitFocus(page, selector, what) {
  await page.waitForFunction((sel) => document.activeElement && document.activeElement.matches(sel),
    selector, { timeout: WAIT_MS }).catch(async () => {
    assert.fail(`${what}: focus is on #${await activeId(page)}, not ${selector}`);
  });
}

export const alertText = (page) => page.locator('#alert');
export const statusText = (page) => page.locator('#status');

export async function waitText(locator, re, what) {
  await locator.filter({ hasText: re }).waitFor({ state: 'visible', timeout: WAIT_MS }).catch(async () => {
    assert.fail(`${what}: expected ${re}, the page shows ${JSON.stringify(await locator.textContent().catch(() => null))}`);
  });
}
