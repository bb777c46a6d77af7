// The web app (web/, served by nginx at /web/) in a real browser: Debian's
// chromium driven by playwright-core, against a whole keyfin stack started
// by the integration harness (PostgreSQL + keyfin serve + nginx).
//
//   tests/browser/run            (npm ci when needed, then node --test)
//
// Signing in and out, the simplest key flow (Jellyfin's "API Keys, (+)"),
// hostile app names, the session, the keyboard, contrast, and a server in
// trouble. The console's other views: console.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEX32, useStack, logsCleanTest, unique, randomHex, pollUntil, assertNoCredentials,
} from '../integration/harness.mjs';
import {
  useBrowser, close, shot, assertFits, assertAxe, activeId, waitFocus, waitText, alertText, statusText, TEST_TIMEOUT,
} from './browser.mjs';

const S = useStack('browser');
const { open, base, signIn, sessionToken, systemInfo } = useBrowser(S);

// ------------------------------------------------------------------ nginx --

test('nginx serves the app at /web/ with a strict CSP and security headers; every API path still reaches keyfin', async () => {
  const root = await S.req('GET', '/');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/web/');
  const bare = await S.req('GET', '/web');
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, '/web/');

  const html = await S.req('GET', '/web/');
  assert.equal(html.status, 200);
  assert.match(html.headers['content-type'], /^text\/html/);
  assert.match(html.body, /<title>/);
  const csp = html.headers['content-security-policy'] || '';
  for (const directive of [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
    "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
  ]) {
    assert.ok(csp.split(/;\s*/).includes(directive), `CSP has "${directive}": ${csp}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, 'no unsafe-* and no wildcard in the CSP');
  assert.equal(html.headers['x-content-type-options'], 'nosniff');
  assert.equal(html.headers['referrer-policy'], 'no-referrer');
  assert.equal(html.headers['cache-control'], 'no-store', 'HTML is never cached');
  assert.equal(html.headers['x-frame-options'], 'DENY');
  assert.ok(html.headers['x-request-id'], 'X-Request-Id is still sent');
  // No inline script or style the CSP would have to allow.
  assert.doesNotMatch(html.body, /<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i);

  const js = await S.req('GET', '/web/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/, 'modules need a JavaScript type (nosniff)');
  assert.equal(js.headers['x-content-type-options'], 'nosniff');
  assert.ok(js.headers['content-security-policy']);
  assert.equal(js.headers['cache-control'], 'no-cache');
  const css = await S.req('GET', '/web/style.css');
  assert.equal(css.status, 200);
  assert.match(css.headers['content-type'], /^text\/css/);
  assert.equal((await S.req('GET', '/web/nope.js')).status, 404);
  assert.equal((await S.req('POST', '/web/', { body: 'x' })).status, 403, 'only GET and HEAD on /web/');

  // Everything else is keyfin's, as before.
  assert.equal((await S.req('GET', '/System/Ping')).status, 200);
  const pub = await S.req('GET', '/System/Info/Public');
  assert.equal(pub.status, 200);
  assert.equal(pub.json.ProductName, 'Jellyfin Server');
  assertNoCredentials(await S.req('GET', '/Auth/Keys'), 'GET /Auth/Keys without a token');
  // No way out of web/ to the files beside it (nginx.conf, the TLS key).
  for (const p of ['/web/../nginx/nginx.conf', '/web/..%2fnginx.conf', '/web/%2e%2e/nginx.conf',
    '/web/../tls/key.pem', '/web..%2f/tls/key.pem', '/web/.%2e/tls/key.pem']) {
    const r = await S.req('GET', p);
    assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /worker_processes|PRIVATE KEY/, `${p} leaks a file`);
  }
  assert.equal(pub.headers['content-security-policy'], undefined, 'API answers keep their own headers');
});

// ------------------------------------------------------- the admin's flow --

for (const size of ['desktop', 'phone']) {
  test(`[${size}] admin signs in, creates "Heimdall", copies the key, uses it, revokes it in the page`, TEST_TIMEOUT, async () => {
    // Two keys made beforehand, one of them used once.
    const homepage = await S.createKey('Homepage');
    await S.createKey('Jellyseerr');
    assert.equal((await systemInfo(homepage)).status, 200);

    const t = await open(size);
    const { page } = t;
    await t.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base() });

    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await waitFocus(page, '#username', 'the login form has the focus');
    await assertFits(t, 'login');
    await assertAxe(t, 'login');
    await shot(t, '01-login');

    await signIn(t, 'admin', S.adminPassword);
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    await waitFocus(page, '#keys-title', 'after signing in');
    await waitText(statusText(page), /Signed in as admin/, 'status after sign-in');
    assert.equal(new URL(page.url()).hash, '#keys', 'the address names the view, and nothing secret');

    // The login: the SDK's header, no token, a device id kept in localStorage.
    const login = t.requests.find((r) => r.url.endsWith('/Users/AuthenticateByName'));
    assert.ok(login, 'the page posted to /Users/AuthenticateByName');
    assert.equal(login.method, 'POST');
    const deviceId = await page.evaluate(() => localStorage.getItem('keyfin.deviceId'));
    assert.match(deviceId, HEX32);
    assert.match(login.headers.authorization,
      new RegExp(`^MediaBrowser Client="keyfin%20web", Device="[^"]+", DeviceId="${deviceId}", Version="[^"]+"$`));
    const token = await sessionToken(page);
    assert.match(token, HEX32, 'the session token is in sessionStorage');
    const keysCall = t.requests.find((r) => r.url.endsWith('/keyfin/v1/keys') && r.method === 'GET');
    assert.ok(keysCall, 'the page listed the keys');
    assert.match(keysCall.headers.authorization,
      new RegExp(`^MediaBrowser Token="${token}", Client="keyfin%20web", Device="[^"]+", DeviceId="${deviceId}", Version="[^"]+"$`));

    // Every key is listed, by its first characters only; a used key says
    // when and from where, a never-used one says "never".
    const rows = page.locator('#keys-body tr');
    const listed = await S.listKeys();
    assert.equal(await rows.count(), listed.length, 'one row per key');
    const details = (await S.req('GET', '/keyfin/v1/keys', { token })).json;
    const homepageId = details.find((k) => k.prefix === homepage.slice(0, 4) && k.app === 'Homepage').id;
    const homepageRow = page.locator(`#keys-body tr[data-id="${homepageId}"]`);
    await homepageRow.waitFor();
    assert.equal(await homepageRow.locator('.app-name').textContent(), 'Homepage');
    assert.equal(await homepageRow.locator('code').textContent(), `${homepage.slice(0, 4)}…`);
    assert.match(await homepageRow.locator('td[data-label="Last used"]').textContent(), /from 127\.0\.0\.1/);
    const seerrRow = page.locator('#keys-body tr').filter({ hasText: 'Jellyseerr' }).first();
    assert.equal((await seerrRow.locator('td[data-label="Last used"]').textContent()).trim(), 'never');
    assert.equal((await seerrRow.locator('td[data-label="Expires"]').textContent()).trim(), 'never');
    await assertFits(t, 'keys');
    await shot(t, '02-keys');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(t, '02-keys-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // (+): an inline dialog asks for the app name.
    await page.getByRole('button', { name: 'New key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.waitFor();
    await waitFocus(page, '#app-name', 'the dialog focuses the app name');
    // An empty name is refused in words, without a request.
    const before = t.requests.length;
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(page.locator('#create-error'), /Enter the name/, 'empty app name');
    assert.equal(t.requests.length, before, 'no request for an empty name');
    await dialog.getByLabel('App name').fill('Heimdall');
    await shot(t, '03-create-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Create' }).click();

    // The new key, highlighted at the top, ready to copy: shown this once.
    const fresh = page.getByRole('region', { name: 'New key for Heimdall' });
    await fresh.waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const key = (await fresh.locator('code').textContent()).trim();
    S.remember(key);
    assert.match(key, HEX32, 'the page shows the new key');
    await waitFocus(page, '#new-key-copy', 'focus on the new key\'s Copy button');
    await waitText(statusText(page), /Key for Heimdall created/, 'status after creating');
    const newest = (await S.listKeys()).filter((k) => k.AppName === 'Heimdall').pop();
    assert.equal(key, newest.AccessToken, 'the shown key is the newest "Heimdall" key');
    const top = rows.first();
    assert.equal(await top.locator('code').textContent(), `${key.slice(0, 4)}…`, 'the new key is the first row');
    assert.match(await top.getAttribute('class'), /is-new/);
    assert.equal((await top.locator('.badge').textContent()).trim(), 'New');
    assert.equal(await page.locator('#keys-body').getByText(key).count(), 0, 'the list never shows a whole key');
    await assertFits(t, 'new key');
    await shot(t, '04-new-key');

    // Copy puts the key on the clipboard.
    await fresh.getByRole('button', { name: /Copy/ }).click();
    await waitText(statusText(page), /copied to the clipboard/, 'status after copying');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);

    // The key works, exactly as Heimdall sends it.
    assert.equal((await systemInfo(key)).status, 200, 'the new key is accepted by /System/Info');

    // Revoke it in the page: an accessible confirmation first.
    const revokeButton = page.getByRole('button', { name: 'Revoke the key of Heimdall' }).first();
    await revokeButton.click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke this key?' });
    await confirm.waitFor();
    await waitFocus(page, '#confirm-cancel', 'Cancel has the focus in the confirmation');
    assert.match(await confirm.textContent(), new RegExp(`Heimdall.*${key.slice(0, 4)}`));
    await assertFits(t, 'revoke dialog');
    await shot(t, '05-revoke-dialog', { fullPage: false });
    // Cancel keeps it, and the focus returns to the button.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await waitFocus(page, '#keys-body tr.is-new .btn-danger-quiet', 'focus back on Revoke after Cancel');
    assert.equal((await systemInfo(key)).status, 200, 'cancelled: the key still works');

    await revokeButton.click();
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await waitText(statusText(page), /The key of Heimdall is revoked/, 'status after revoking');
    assert.equal(await fresh.isVisible(), false, 'the new-key box goes with the key');
    assertNoCredentials(await systemInfo(key), 'the revoked key');
    assert.ok(!(await S.listKeys()).some((k) => k.AccessToken === key), 'the key is gone from the list');
    assert.equal(await page.locator(`#keys-body tr[data-id="${homepageId}"]`).count(), 1, 'the other keys stay');
    await shot(t, '06-revoked');

    // No secret went into a URL, or into localStorage.
    for (const r of t.requests) {
      for (const secret of [token, key]) assert.ok(!r.url.includes(secret), `a secret in a URL: ${r.method} ${r.url.replace(secret, '<secret>')}`);
    }
    const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    assert.ok(!local.includes(token) && !local.includes(key), 'no secret in localStorage');
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['keyfin.deviceId']);
    await close(t);
  });

  test(`[${size}] a wrong password is said in words`, TEST_TIMEOUT, async () => {
    const t = await open(size);
    const { page } = t;
    const wrong = `wrong-${randomHex(6)}`;
    S.remember(wrong);
    await signIn(t, 'admin', wrong);
    await waitText(alertText(page), /^Wrong user name or password\.$/, 'wrong password');
    await waitFocus(page, '#password', 'focus back on the password');
    assert.equal(await page.getByRole('heading', { name: 'Sign in' }).isVisible(), true, 'still on the login form');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('keyfin.session')), null, 'no session kept');
    await assertFits(t, 'wrong password');
    await shot(t, '07-wrong-password');
    await close(t);
  });

  test(`[${size}] a user who is not an administrator is told so`, TEST_TIMEOUT, async () => {
    const user = await S.createUser();
    const t = await open(size);
    const { page } = t;
    await signIn(t, user.name, user.password);
    const heading = page.getByRole('heading', { name: 'Not an administrator' });
    await heading.waitFor();
    await waitFocus(page, '#denied-title', 'focus on the explanation');
    assert.match(await page.locator('#view-denied').textContent(), new RegExp(`signed in as ${user.name}, who is not an administrator`));
    assert.equal(await page.locator('#view-keys').isVisible(), false, 'no key list');
    const token = await sessionToken(page);
    assert.match(token, HEX32);
    const keysCall = t.requests.find((r) => r.url.endsWith('/keyfin/v1/keys'));
    assert.ok(keysCall, 'the page asked for the keys (and got 403)');
    await assertFits(t, 'not an administrator');
    await shot(t, '08-not-admin');

    // "Sign in as another user" ends this session on the server.
    await page.getByRole('button', { name: 'Sign in as another user' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await waitText(statusText(page), /Signed out/, 'status after signing out');
    assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'the non-admin token after sign-out');
    await close(t);
  });
}

// ------------------------------------------------------------------- XSS --

test('an app name that looks like HTML is shown as text, never run', TEST_TIMEOUT, async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const t = await open('desktop');
  const { page } = t;
  await signIn(t, 'admin', S.adminPassword);
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  const imgsBefore = await page.locator('img').count();

  await page.getByRole('button', { name: 'New key' }).click();
  await page.getByLabel('App name').fill(evil);
  await page.getByRole('button', { name: 'Create' }).click();
  const fresh = page.getByRole('region', { name: `New key for ${evil}` });
  await fresh.waitFor();
  S.remember((await fresh.locator('code').textContent()).trim());

  // Shown literally, in the box and in the list...
  assert.equal(await page.locator('#new-key-title').textContent(), `New key for ${evil}`);
  const cell = page.locator('#keys-body tr').first().locator('.app-name');
  assert.equal(await cell.textContent(), evil);
  assert.equal(await page.getByText(evil, { exact: true }).first().isVisible(), true, 'the name is visible as text');
  // ...and never became an element.
  assert.equal(await page.locator('img').count(), imgsBefore, 'no <img> element was created');
  assert.equal(await page.locator('main img, dialog img, img[src="x"]').count(), 0);
  // A page from an older key made through the API renders the same way.
  await S.createKey(`"><svg onload=alert(2)>`);
  await page.reload();
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  assert.equal(await page.locator('#keys-body tr').first().locator('.app-name').textContent(), `"><svg onload=alert(2)>`);
  assert.equal(await page.locator('svg:not(.sparkline):not(.hour-chart)').count(), 0, 'no <svg> element was created');
  await shot(t, '09-html-name');
  await close(t); // asserts that no alert() fired
});

// ---------------------------------------------------- session and keyboard --

test('the session survives a reload (sessionStorage) and Sign out ends it on the server', TEST_TIMEOUT, async () => {
  const t = await open('desktop');
  const { page } = t;
  await signIn(t, 'admin', S.adminPassword);
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  const token = await sessionToken(page);
  assert.equal((await S.req('GET', '/Users/Me', { token })).status, 200);

  await page.reload();
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  assert.ok(t.requests.some((r) => r.url.endsWith('/Users/Me')), 'the reloaded page checked its session with /Users/Me');

  // Another tab has its own sessionStorage: it asks for a login.
  const other = await t.ctx.newPage();
  await other.goto('/web/');
  await other.getByRole('heading', { name: 'Sign in' }).waitFor();
  await other.close();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await waitText(statusText(page), /^Signed out\.$/, 'status after signing out');
  await waitFocus(page, '#username', 'focus on the user name after signing out');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('keyfin.session')), null);
  assert.ok(t.requests.some((r) => r.method === 'POST' && r.url.endsWith('/Sessions/Logout')));
  assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'the token after Sign out');

  // A session that ended elsewhere: the page says so and asks to sign in.
  await signIn(t, 'admin', S.adminPassword);
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  const second = await sessionToken(page);
  assert.equal((await S.req('POST', '/Sessions/Logout', { token: second })).status, 204);
  await page.getByRole('button', { name: 'New key' }).click();
  await page.getByLabel('App name').fill('Ended');
  await page.getByRole('button', { name: 'Create' }).click();
  await waitText(alertText(page), /Your session has ended/, 'a 401 after sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.ok(!(await S.listKeys()).some((k) => k.AppName === 'Ended'), 'nothing was created');
  await close(t);
});

test('keyboard only: dialogs take and give back the focus, focus is visible', TEST_TIMEOUT, async () => {
  const t = await open('desktop');
  const { page } = t;
  await page.goto('/web/');
  await waitFocus(page, '#username', 'start');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await waitFocus(page, '#password', 'Tab to the password');
  await page.keyboard.type(S.adminPassword);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  await waitFocus(page, '#keys-title', 'heading after sign-in');

  // Tab reaches "New key"; its focus ring is visible.
  await page.keyboard.press('Tab');
  await waitFocus(page, '#add-key', 'Tab from the heading reaches New key');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(ring, 'solid', 'a visible focus outline');

  await page.keyboard.press('Enter');
  await waitFocus(page, '#app-name', 'Enter opens the dialog on the name field');
  // Focus stays inside the modal dialog: every field (a radio group is one
  // stop), Cancel, Create, the name again.
  for (const sel of ['#preset', '#access-admin', '#paths', 'input[name="expiry"][value="never"]', '#expiry-date',
    '#allowed-ips', '#note', '#create-cancel', '#create-submit', '#app-name']) {
    await page.keyboard.press('Tab');
    // a date field takes a Tab for each of its parts (month, day, year)
    for (let i = 0; i < 3 && sel !== '#expiry-date' && await activeId(page) === 'expiry-date'; i++) await page.keyboard.press('Tab');
    await waitFocus(page, sel, 'Tab cycles inside the dialog');
  }
  await page.keyboard.press('Shift+Tab');
  await waitFocus(page, '#create-submit', 'Shift+Tab from the name field wraps to Create');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'New API key' }).waitFor({ state: 'hidden' });
  await waitFocus(page, '#add-key', 'Escape closes and gives the focus back');

  const app = unique('Kbd');
  await page.keyboard.press('Enter');
  await waitFocus(page, '#app-name', 'dialog again');
  await page.keyboard.type(app);
  await page.keyboard.press('Enter');
  await page.getByRole('region', { name: `New key for ${app}` }).waitFor();
  await waitFocus(page, '#new-key-copy', 'after creating');
  const key = (await page.locator('#new-key-value').textContent()).trim();
  S.remember(key);

  // Revoke by keyboard: the row's Revoke button, Enter, Cancel has the focus.
  await page.locator('#keys-body tr.is-new .btn-danger-quiet').focus();
  await page.keyboard.press('Enter');
  await waitFocus(page, '#confirm-cancel', 'the safe choice first');
  await page.keyboard.press('Tab');
  await waitFocus(page, '#confirm-ok', 'Tab to Revoke');
  await page.keyboard.press('Enter');
  await page.locator('#keys-body tr.is-new').waitFor({ state: 'detached' });
  const focus = await page.evaluate(() => document.activeElement.id || document.activeElement.className);
  assert.ok(/btn-danger-quiet|add-key/.test(focus), `focus after revoking is on a neighbour (got ${focus})`);
  assertNoCredentials(await systemInfo(key), 'revoked by keyboard');

  // The sections are links: Tab reaches them, Enter opens one, its
  // heading has the focus.
  for (const [name, heading] of [['Users', '#users-title'], ['Activity', '#activity-title'], ['Sessions', '#sessions-title'], ['API Keys', '#keys-title']]) {
    await page.getByRole('link', { name, exact: true }).focus();
    await page.keyboard.press('Enter');
    await waitFocus(page, heading, `Enter on ${name}`);
    assert.equal(await page.getByRole('link', { name, exact: true }).getAttribute('aria-current'), 'page');
  }
  await close(t);
});

// Text colour against the background actually behind it (alpha-blended up
// the ancestors), as WCAG 2 defines the contrast ratio.
function contrastReport(selectors) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const background = (n) => {
    const layers = [];
    for (let e = n; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const out = [];
  for (const sel of selectors) {
    for (const n of document.querySelectorAll(sel)) {
      if (!n.offsetParent || !n.textContent.trim()) continue;
      const bg = background(n);
      const fg = over(parse(getComputedStyle(n).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      out.push({ sel, text: n.textContent.trim().slice(0, 30), ratio: (a + 0.05) / (b + 0.05) });
    }
  }
  return out;
}

test('text contrast meets WCAG AA (4.5:1) in the light and the dark scheme', TEST_TIMEOUT, async () => {
  assert.equal((await systemInfo(await S.createKey('Contrast'))).status, 200);
  const t = await open('desktop');
  const { page } = t;
  await signIn(t, 'admin', S.adminPassword);
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  const selectors = ['h1', '.lead', '.list thead th', '.app-name', '.list code', '.list .date time',
    '.never', '.from', '.count', '.btn', '.btn-add', '#status', '.session-user', '.brand', '.sections a', '.usage-total'];
  for (const scheme of ['light', 'dark']) {
    // No transitions (prefers-reduced-motion): colours are final at once.
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    const report = await page.evaluate(contrastReport, selectors);
    for (const s of selectors) assert.ok(report.some((r) => r.sel === s), `${scheme}: ${s} was measured`);
    const low = report.filter((r) => r.ratio < 4.5).map((r) => `${r.sel} "${r.text}" ${r.ratio.toFixed(2)}:1`);
    assert.deepEqual(low, [], `${scheme}: text below 4.5:1`);
  }
  await close(t);
});

// ------------------------------------------------------- server trouble --

test('PostgreSQL down: the page says the server is unavailable (503), and works again after', TEST_TIMEOUT, async () => {
  const t = await open('desktop');
  const { page } = t;
  await page.goto('/web/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const stop = await S.stack(['pg-stop']);
  assert.equal(stop.code, 0, stop.stderr);
  try {
    await page.locator('#login-form').getByLabel('User name').fill('admin');
    await page.locator('#login-form').getByLabel('Password').fill(S.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitText(alertText(page), /unavailable at the moment \(HTTP 503\)/, 'database down');
    await shot(t, '10-unavailable');
  } finally {
    const start = await S.stack(['pg-start']);
    assert.equal(start.code, 0, start.stderr);
  }
  const back = await pollUntil(async () => (await S.req('GET', '/System/Info', { token: await S.adminToken() })).status === 200);
  assert.ok(back, 'keyfin answers again after PostgreSQL is back');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
  assert.equal(await alertText(page).textContent(), '', 'the error is cleared');
  await sessionToken(page);
  await close(t);
});

test('server unreachable: the page says so in words', TEST_TIMEOUT, async () => {
  const t = await open('phone');
  const { page } = t;
  await page.goto('/web/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await S.stop(); // the whole stack: nothing listens on the port any more
  await page.locator('#login-form').getByLabel('User name').fill('admin');
  await page.locator('#login-form').getByLabel('Password').fill(S.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitText(alertText(page), /Cannot reach the keyfin server/, 'server stopped');
  await shot(t, '11-unreachable');
  await close(t);
});

logsCleanTest(test, S);
