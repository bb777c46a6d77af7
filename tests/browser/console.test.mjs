// The admin console's views in a real browser, at a desktop's and a
// phone's width: API keys with options (presets, expiry, scopes, allowed
// addresses, notes), a key's details with its hourly usage, rolling and
// revoking; Activity; Users; Sessions. axe-core runs on every view and
// dialog (no serious or critical violation). Screenshots of each view go to
// the screenshot directory, and with KEYFIN_DOCS_SCREENSHOT=1 to docs/ for
// the README.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEX32, useStack, logsCleanTest, unique, randomHex, pollUntil, assertNoCredentials, assertForbidden, psql,
} from '../integration/harness.mjs';
import {
  useBrowser, close, shot, assertFits, assertAxe, waitFocus, waitText, alertText, statusText, TEST_TIMEOUT,
} from './browser.mjs';

// Usage counts are written every second here (KEYFIN_USAGE_INTERVAL), so
// that the page shows them without waiting a minute.
const S = useStack('console', { KEYFIN_USAGE_INTERVAL: '1' });
const { open, signIn, systemInfo } = useBrowser(S);
const SIZES = ['desktop', 'phone'];

const admin = async (method, path, body) => S.req(method, path, { token: await S.adminToken(), body });

async function makeKey(options) {
  const r = await admin('POST', '/keyfin/v1/keys', options);
  assert.equal(r.status, 201, r.body);
  S.remember(r.json.key);
  return r.json;
}

// Requests per hour over the last week for the screenshots: a day's rhythm
// (busy evenings), written straight into the usage table.
async function seedUsage(id, scale) {
  const r = await psql(await S.databaseUrl(),
    'INSERT INTO api_key_usage (key_id, hour, requests) ' +
    `SELECT ${Number(id)}, h, (${Number(scale)} * (1.2 + sin(extract(hour from h) / 24.0 * 2 * pi() - 2)) ` +
    '* (1 + (extract(dow from h) = 6)::int * 0.6))::int8 ' +
    "FROM generate_series(date_trunc('hour', now()) - interval '167 hours', date_trunc('hour', now()) - interval '1 hour', interval '1 hour') h " +
    'ON CONFLICT (key_id, hour) DO UPDATE SET requests = EXCLUDED.requests');
  assert.equal(r.code, 0, r.stderr);
}

async function signedIn(size, heading = 'API Keys') {
  const t = await open(size);
  await signIn(t, 'admin', S.adminPassword);
  await t.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  return t;
}

async function section(t, name, heading = name) {
  await t.page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
  await t.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

const rowOf = (page, tbody, text) => page.locator(`${tbody} tr`).filter({ hasText: text }).first();

// --------------------------------------------------------------- keys --

for (const size of SIZES) {
  test(`[${size}] keys: made with options and a preset, checked in the page and by the server, listed with access, expiry, last use and a week of requests`, TEST_TIMEOUT, async () => {
    const tag = randomHex(3);
    const stale = await makeKey({ app: `Organizr ${tag}`, note: 'old dashboard' });
    const aged = await psql(await S.databaseUrl(),
      `UPDATE api_keys SET created_at = now() - interval '120 days' WHERE id = ${stale.id}`);
    assert.equal(aged.code, 0, aged.stderr);
    const expired = await makeKey({ app: `Jellyseerr ${tag}`, scopes: ['read'] });
    assert.equal((await admin('PATCH', `/keyfin/v1/keys/${expired.id}`, { expires_at: '2026-01-01T00:00:00Z' })).status, 200);
    const used = await makeKey({ app: `Homepage ${tag}`, scopes: ['/System/Info', '/Sessions', '/Items/Counts'], ttl: 30 * 86400 });
    for (let i = 0; i < 3; i++) assert.equal((await systemInfo(used.key)).status, 200);
    assert.ok(await pollUntil(async () => (await admin('GET', `/keyfin/v1/keys/${used.id}/usage`)).json.total === 3));
    if (size === 'desktop') {
      await seedUsage(used.id, 40);
      await seedUsage(stale.id, 0);
    }

    const t = await signedIn(size);
    const { page } = t;
    const usedRow = page.locator(`#keys-body tr[data-id="${used.id}"]`);
    assert.equal((await usedRow.locator('td[data-label="Access"]').textContent()).trim(), '/System/Info, /Sessions, /Items/Counts');
    assert.match(await usedRow.locator('td[data-label="Last used"]').textContent(), /from 127\.0\.0\.1/);
    assert.match(await usedRow.locator('td[data-label="Expires"]').textContent(), /\(in 30 days\)/);
    const spark = usedRow.getByRole('img');
    assert.match(await spark.getAttribute('aria-label'), /^\d+ requests in the last 7 days$/);
    if (size === 'phone') assert.equal(await spark.getAttribute('aria-label'), '3 requests in the last 7 days');
    const expiredRow = page.locator(`#keys-body tr[data-id="${expired.id}"]`);
    assert.match(await expiredRow.locator('td[data-label="Expires"]').textContent(), /^Expired on /, 'expired, in words');
    assert.equal((await expiredRow.locator('td[data-label="Access"]').textContent()).trim(), 'Read only');
    const staleRow = page.locator(`#keys-body tr[data-id="${stale.id}"]`);
    assert.match(await staleRow.locator('td[data-label="Last used"]').textContent(), /never.*Unused for 90\+ days/);
    assert.match(await staleRow.textContent(), /old dashboard/, 'the note is shown');
    assert.match(await page.locator('#keys-count').textContent(), /unused for 90 days or more/);
    await assertFits(t, 'keys with options');
    await assertAxe(t, 'keys');
    await shot(t, '20-keys', { docs: 'console-keys' });

    // New key, filled in for Heimdall: the paths Heimdall really calls.
    await page.getByRole('button', { name: 'New key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.waitFor();
    await dialog.getByLabel('Fill in for').selectOption({ label: 'Heimdall' });
    assert.equal(await dialog.getByLabel('App name').inputValue(), 'Heimdall');
    assert.equal(await dialog.getByRole('radio', { name: 'Only these paths' }).isChecked(), true);
    assert.equal(await dialog.getByLabel('Paths, one a line').inputValue(), '/System/Info\n/Items/Counts');
    const app = `Heimdall ${tag}`;
    await dialog.getByLabel('App name').fill(app);
    await dialog.getByRole('radio', { name: 'In 90 days' }).check();
    await dialog.getByLabel('Allowed addresses (optional)').fill('127.0.0.0/8\n::1');
    await dialog.getByLabel('Note (optional)').fill('dashboard on the NAS');
    await assertAxe(t, 'new key dialog');
    if (size === 'desktop') {
      // the whole dialog in the picture
      await page.setViewportSize({ width: 1280, height: 1200 });
      await shot(t, '21-new-key-dialog', { fullPage: false, docs: 'console-new-key' });
      await page.setViewportSize({ width: 1280, height: 800 });
    } else {
      await shot(t, '21-new-key-dialog', { fullPage: false });
    }
    // a wrong address is said in words, before any request
    await dialog.getByLabel('Allowed addresses (optional)').fill('127.0.0.0/8\n10.0.0.300/8');
    const before = t.requests.length;
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(page.locator('#create-error'), /“10\.0\.0\.300\/8” is not an IPv4 or IPv6 address/, 'a bad address');
    assert.equal(t.requests.length, before, 'no request for a bad address');
    assert.equal(await dialog.getByLabel('Allowed addresses (optional)').getAttribute('aria-invalid'), 'true');
    await waitFocus(page, '#allowed-ips', 'the focus on the field to fix');
    // what only the server can tell (host bits in a block) is said in its words
    await dialog.getByLabel('Allowed addresses (optional)').fill('127.0.0.1/8');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(page.locator('#create-error'), /The server refused \(HTTP 400\): .*allowed_ips/, 'the server refuses');
    await dialog.getByLabel('Allowed addresses (optional)').fill('127.0.0.0/8\n::1');
    await dialog.getByRole('button', { name: 'Create' }).click();

    const fresh = page.getByRole('region', { name: `New key for ${app}` });
    await fresh.waitFor();
    const key = (await fresh.locator('code').textContent()).trim();
    S.remember(key);
    assert.match(key, HEX32);
    const made = (await admin('GET', '/keyfin/v1/keys')).json.find((k) => k.prefix === key.slice(0, 4) && k.app === app);
    assert.deepEqual(made.scopes, ['/System/Info', '/Items/Counts']);
    assert.deepEqual(made.allowed_ips, ['127.0.0.0/8', '::1/128']);
    assert.equal(made.note, 'dashboard on the NAS');
    const days = (Date.parse(made.expires_at) - Date.parse(made.created_at)) / 86_400_000;
    assert.ok(Math.abs(days - 90) < 0.01, `expires in 90 days: ${days}`);
    assert.equal((await systemInfo(key)).status, 200, 'the key works where Heimdall calls');
    assertForbidden(await S.req('GET', '/Users/Me', { token: key }), 'and nowhere else');
    await close(t);
  });

  test(`[${size}] key details: facts, requests per hour and per day; roll with a grace period; revoke; a key gone meanwhile is said`, TEST_TIMEOUT, async () => {
    const app = `Sonarr ${randomHex(3)}`;
    const k = await makeKey({ app, scopes: ['/System/Info', '/Items'], note: 'tv shows', allowed_ips: ['127.0.0.0/8'] });
    for (let i = 0; i < 4; i++) assert.equal((await systemInfo(k.key)).status, 200);
    assert.ok(await pollUntil(async () => (await admin('GET', `/keyfin/v1/keys/${k.id}/usage`)).json.total === 4));
    if (size === 'desktop') await seedUsage(k.id, 12);

    const t = await signedIn(size);
    const { page } = t;
    await page.locator(`#keys-body tr[data-id="${k.id}"] a.app-name`).click();
    await page.getByRole('heading', { name: `Key for ${app}`, level: 1 }).waitFor();
    await waitFocus(page, '#key-title', 'the details heading');
    assert.equal(new URL(page.url()).hash, `#keys/${k.id}`);
    const facts = await page.locator('#key-facts').textContent();
    for (const want of ['tv shows', '/System/Info, /Items', '127.0.0.0/8', `${k.key.slice(0, 4)}…`, 'from 127.0.0.1']) {
      assert.ok(facts.includes(want), `details say ${want}: ${facts}`);
    }
    assert.ok(!facts.includes(k.key), 'never the whole key');
    const chart = page.locator('#usage-chart').getByRole('img');
    assert.match(await chart.getAttribute('aria-label'), /^Requests per hour for Sonarr [0-9a-f]+\. \d+ requests? in the last 7 days/);
    assert.equal(await page.locator('#usage-chart rect').count(), 168, 'a bar an hour');
    const perDay = await page.locator('#usage-days-body td').allTextContents();
    assert.equal(perDay.length, 7, 'a row a day');
    const sum = perDay.reduce((a, b) => a + Number(b), 0);
    assert.match(await page.locator('#usage-summary').textContent(), new RegExp(`^${sum} requests? in the last 7 days`));
    if (size === 'phone') assert.equal(sum, 4);
    await assertFits(t, 'details');
    await assertAxe(t, 'key details');
    await shot(t, '22-key-details', { docs: 'console-key-details' });

    // Roll, the old key working one more day.
    await page.getByRole('button', { name: 'Roll' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll this key?' });
    await roll.waitFor();
    await waitFocus(page, '#roll-grace', 'the grace period first');
    await roll.getByLabel('The old key keeps working').selectOption({ label: 'For 1 day' });
    await assertAxe(t, 'roll dialog');
    await shot(t, '23-roll-dialog', { fullPage: false });
    await roll.getByRole('button', { name: 'Roll' }).click();
    const fresh = page.getByRole('region', { name: `New key for ${app}, replacing ${k.key.slice(0, 4)}…` });
    await fresh.waitFor();
    await waitFocus(page, '#new-key-copy', 'on the new key');
    assert.match(await fresh.textContent(), /The old key \(....…\) keeps working until /);
    const next = (await fresh.locator('code').textContent()).trim();
    S.remember(next);
    assert.equal((await systemInfo(next)).status, 200, 'the new key works');
    assert.equal((await systemInfo(k.key)).status, 200, 'the old one, in its grace');
    const old = (await admin('GET', `/keyfin/v1/keys/${k.id}`)).json;
    const left = Date.parse(old.expires_at) - Date.now();
    assert.ok(left > 23 * 3600e3 && left <= 24 * 3600e3, `the old key ends in a day: ${old.expires_at}`);
    assert.match(await page.locator(`#keys-body tr[data-id="${k.id}"] td[data-label="Expires"]`).textContent(), /\(in 1 day\)/);
    await shot(t, '24-rolled', { docs: 'console-rolled' });

    // Revoke the old key from its details: a confirmation first.
    await page.locator(`#keys-body tr[data-id="${k.id}"] a.app-name`).click();
    await page.getByRole('heading', { name: `Key for ${app}`, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke this key?' });
    await confirm.waitFor();
    await waitFocus(page, '#confirm-cancel', 'the safe choice first');
    await assertAxe(t, 'revoke confirmation');
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await waitText(statusText(page), new RegExp(`The key of ${app} is revoked`), 'revoked');
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    assertNoCredentials(await systemInfo(k.key), 'the revoked old key');
    assert.equal((await systemInfo(next)).status, 200, 'the new key stays');

    // A key revoked elsewhere meanwhile: said in words, back to the list.
    const nextId = (await admin('GET', '/keyfin/v1/keys')).json.find((x) => x.prefix === next.slice(0, 4) && x.app === app).id;
    assert.equal((await admin('DELETE', `/keyfin/v1/keys/${nextId}`)).status, 204);
    await page.goto(`/web/#keys/${nextId}`);
    await waitText(alertText(page), /not there any more/, 'a key gone meanwhile');
    await close(t);
  });
}

// ------------------------------------------------------------- activity --

for (const size of SIZES) {
  test(`[${size}] activity: newest first, filtered by kind and by dates, a page at a time`, TEST_TIMEOUT, async () => {
    for (let i = 0; i < 12; i++) {
      const k = await makeKey({ app: unique('audit') });
      assert.equal((await admin('DELETE', `/keyfin/v1/keys/${k.id}`)).status, 204);
    }
    const t = await signedIn(size);
    const { page } = t;
    await section(t, 'Activity');
    await waitFocus(page, '#activity-title', 'the heading');
    const newest = (await admin('GET', '/System/ActivityLog/Entries?limit=1')).json.Items[0];
    const first = page.locator('#activity-body tr').first();
    assert.equal((await first.locator('td[data-label="What"]').textContent()).trim(), newest.Name, 'newest first');
    assert.equal(await page.locator('#activity-body tr').count(), 20, 'a page of 20');
    await assertFits(t, 'activity');
    await assertAxe(t, 'activity');
    await shot(t, '30-activity', { docs: 'console-activity' });

    await page.getByLabel('Kind').selectOption({ label: 'API keys' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#activity-body tr[data-type^="key."]').first().waitFor();
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#activity-body tr'))
      .every((r) => r.dataset.type.startsWith('key.')));
    const total = (await admin('GET', '/System/ActivityLog/Entries?type=key&limit=1')).json.TotalRecordCount;
    await waitText(page.locator('#activity-count'), new RegExp(`^1–20 of ${total}$`), 'the count');
    assert.equal(await page.getByRole('button', { name: 'Newer' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Older' }).click();
    await waitText(page.locator('#activity-count'), new RegExp(`^21–\\d+ of ${total}$`), 'the next page');
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitText(page.locator('#activity-count'), new RegExp(`^1–20 of ${total}$`), 'back');

    // Up to yesterday: nothing yet (the stack was made today).
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('To', { exact: true }).fill(yesterday);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('Nothing recorded that matches.').waitFor();
    // From after To: said, and nothing asked.
    await page.getByLabel('From', { exact: true }).fill(new Date().toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Show' }).click();
    await waitText(alertText(page), /The “To” day is before the “From” day/, 'dates the wrong way round');
    await close(t);
  });
}

// ---------------------------------------------------------------- users --

async function onlyAdmin() {
  const me = (await admin('GET', '/Users/Me')).json;
  for (const x of (await admin('GET', '/Users')).json) {
    if (x.Policy.IsAdministrator && x.Id !== me.Id) await S.setPolicy(x.Id, { IsAdministrator: false });
  }
}

for (const size of SIZES) {
  test(`[${size}] users: create (the rules said), make and unmake administrator, disable, unlock, set a password, delete; the last administrator explained`, TEST_TIMEOUT, async () => {
    await onlyAdmin();
    const t = await signedIn(size);
    const { page } = t;
    await section(t, 'Users');
    await waitFocus(page, '#users-title', 'the heading');

    // New user: the rules are said; a name the server refuses says why.
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /Letters, digits, spaces and - _ ' \. @ \+/);
    assert.match(await dialog.textContent(), /an administrator must have one/);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(page.locator('#user-error'), /Enter a user name/, 'no name');
    await dialog.getByLabel('User name').fill('no/slashes');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(page.locator('#user-error'), /The server refused \(HTTP 400\): User names can contain letters/, 'a bad name');
    const name = `carol.${randomHex(3)}`;
    const password = `Pw-${randomHex(8)}`;
    S.remember(password);
    await dialog.getByLabel('User name').fill(name);
    await dialog.getByLabel('Password').fill(password);
    await assertAxe(t, 'new user dialog');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await waitText(statusText(page), new RegExp(`${name} is created`), 'created');
    const row = () => rowOf(page, '#users-body', name);
    assert.equal((await row().locator('td[data-label="Role"]').textContent()).trim(), 'User');
    const id = (await admin('GET', '/Users')).json.find((u) => u.Name === name).Id;

    await row().getByRole('button', { name: `Make administrator: ${name}` }).click();
    await waitText(statusText(page), new RegExp(`${name} is an administrator now`), 'promoted');
    assert.equal((await row().locator('td[data-label="Role"]').textContent()).trim(), 'Administrator');
    await row().getByRole('button', { name: `Remove administrator from ${name}` }).click();
    await waitText(statusText(page), new RegExp(`${name} is no longer an administrator`), 'demoted');

    await row().getByRole('button', { name: `Disable ${name}` }).click();
    await waitText(statusText(page), new RegExp(`${name} is disabled`), 'disabled');
    assert.equal((await row().locator('td[data-label="State"]').textContent()).trim(), 'Disabled');
    assert.notEqual((await S.login(name, password)).status, 200, 'a disabled user cannot sign in');
    await row().getByRole('button', { name: `Enable ${name}` }).click();
    await waitText(statusText(page), new RegExp(`${name} is enabled`), 'enabled');

    // Failed sign-ins are shown, and Unlock clears them.
    for (let i = 0; i < 2; i++) assert.equal((await S.login(name, `wrong-${randomHex(4)}`)).status, 401);
    await section(t, 'Sessions');
    await section(t, 'Users');
    assert.match(await row().locator('td[data-label="State"]').textContent(), /2 failed sign-ins/);
    await row().getByRole('button', { name: `Unlock ${name}` }).click();
    await waitText(statusText(page), new RegExp(`${name} can sign in again`), 'unlocked');
    assert.equal((await row().locator('td[data-label="State"]').textContent()).trim(), 'Active');

    // A new password, set by the administrator.
    await row().getByRole('button', { name: `Set password of ${name}` }).click();
    const pw = page.getByRole('dialog', { name: `Set the password of ${name}` });
    await pw.waitFor();
    await waitFocus(page, '#user-password', 'the password field');
    const next = `Pw-${randomHex(8)}`;
    S.remember(next);
    await pw.getByLabel('Password').fill(next);
    await pw.getByRole('button', { name: 'Set password' }).click();
    await waitText(statusText(page), new RegExp(`The password of ${name} is set`), 'password set');
    assert.equal((await S.login(name, next)).status, 200, 'the new password works');
    await assertFits(t, 'users');
    await assertAxe(t, 'users');
    await shot(t, '40-users', { docs: 'console-users' });

    // The last administrator: refused by the server, explained by the page.
    const adminRow = () => page.locator('#users-body tr').filter({ has: page.getByText('admin', { exact: true }) }).first();
    await adminRow().getByRole('button', { name: 'Remove administrator from admin' }).click();
    await waitText(alertText(page), /HTTP 403\): There must be at least one user in the system with administrative access\. Make another user an administrator first\./, 'the last admin demoted');
    await adminRow().getByRole('button', { name: 'Disable admin' }).click();
    await waitText(alertText(page), /Administrators cannot be disabled\. Remove administrator first\.$/, 'an admin disabled');
    await shot(t, '41-last-admin');
    await adminRow().getByRole('button', { name: 'Delete admin' }).click();
    const sure = page.getByRole('alertdialog', { name: 'Delete admin?' });
    await sure.waitFor();
    await sure.getByRole('button', { name: 'Delete' }).click();
    await waitText(page.locator('#confirm-error'), /There must be at least one user in the system with administrative access\. Make another user an administrator first\./, 'the last admin deleted');
    await sure.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await admin('GET', '/Auth/Keys')).status, 200, 'still an administrator');

    // Delete, after a confirmation.
    await row().getByRole('button', { name: `Delete ${name}` }).click();
    const del = page.getByRole('alertdialog', { name: `Delete ${name}?` });
    await del.waitFor();
    await waitFocus(page, '#confirm-cancel', 'the safe choice first');
    await del.getByRole('button', { name: 'Delete' }).click();
    await waitText(statusText(page), new RegExp(`${name} is deleted`), 'deleted');
    assert.equal(await row().count(), 0);
    assert.equal((await admin('GET', `/Users/${id}`)).status, 404);
    await close(t);
  });
}

// ------------------------------------------------------------- sessions --

for (const size of SIZES) {
  test(`[${size}] sessions: the devices signed in, by user; one signed out`, TEST_TIMEOUT, async () => {
    const u = await S.createUser();
    const device = `Living-room TV ${randomHex(2)}`;
    const { token } = await S.loginToken(u.name, u.password, { Client: 'Jellyfin Android TV', Device: device, DeviceId: unique('tv'), Version: '0.18.11' });
    await S.loginToken(u.name, u.password, { Client: 'Jellyfin Web', Device: 'Firefox', DeviceId: unique('web'), Version: '10.11.0' });
    const t = await signedIn(size);
    const { page } = t;
    await section(t, 'Sessions');
    await waitFocus(page, '#sessions-title', 'the heading');
    const group = page.getByRole('region', { name: `${u.name} · 2 devices` });
    await group.waitFor();
    assert.match(await group.textContent(), /Jellyfin Android TV 0\.18\.11/);
    assert.match(await page.locator('#sessions-groups').textContent(), /This browser/, 'the console\'s own session is marked');
    await assertFits(t, 'sessions');
    await assertAxe(t, 'sessions');
    await shot(t, '50-sessions', { docs: 'console-sessions' });

    await group.getByRole('button', { name: `Sign out ${device} of ${u.name}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Sign this device out?' });
    await confirm.waitFor();
    await waitFocus(page, '#confirm-cancel', 'the safe choice first');
    await confirm.getByRole('button', { name: 'Sign out' }).click();
    await waitText(statusText(page), new RegExp(`${u.name} is signed out on ${device}`), 'signed out');
    await page.getByRole('region', { name: `${u.name} · 1 device` }).waitFor();
    assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'the signed-out device');
    await close(t);
  });
}

// ------------------------------------------------------------------ axe --

test('axe: the views of a user who is not an administrator, and of a signed-out page, have no serious violation', TEST_TIMEOUT, async () => {
  const u = await S.createUser();
  for (const size of SIZES) {
    const t = await open(size);
    await signIn(t, u.name, u.password);
    await t.page.getByRole('heading', { name: 'Not an administrator' }).waitFor();
    await assertAxe(t, 'not an administrator');
    for (const dark of [false, true]) {
      await t.page.emulateMedia({ colorScheme: dark ? 'dark' : 'light', reducedMotion: 'reduce' });
      await assertAxe(t, `not an administrator, ${dark ? 'dark' : 'light'}`);
    }
    await close(t);
  }
  const t = await signedIn('desktop');
  await t.page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  for (const [name, heading] of [['API Keys', 'API Keys'], ['Activity', 'Activity'], ['Users', 'Users'], ['Sessions', 'Sessions']]) {
    await section(t, name, heading);
    await assertAxe(t, `${name}, dark`);
  }
  await close(t);
});

logsCleanTest(test, S);
