// The admin page in front mode (docs/front.md): served at /keyfin/web/ by a
// stack with KEYFIN_UPSTREAM, it talks to keyfin's API under /keyfin/ and
// never to the Jellyfin behind (here a recorder that answers 404 to all).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Stack, randomHex } from '../integration/harness.mjs';

const CHROMIUM = process.env.KEYFIN_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const WAIT_MS = 15_000;

const jellyfinSaw = [];
let jellyfin;
let F;
let browser;
let keyDir;

before(async () => {
  jellyfin = http.createServer((req, res) => {
    jellyfinSaw.push(`${req.method} ${req.url}`);
    res.writeHead(404);
    res.end();
  });
  await new Promise((resolve) => jellyfin.listen(0, '127.0.0.1', resolve));
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfin-browser-front-'));
  const keyFile = path.join(keyDir, 'upstream-key');
  const upstreamKey = randomHex(16);
  fs.writeFileSync(keyFile, `${upstreamKey}\n`, { mode: 0o600 });
  F = new Stack('browser-front', {
    KEYFIN_UPSTREAM: `http://127.0.0.1:${jellyfin.address().port}`,
    KEYFIN_UPSTREAM_KEY_FILE: keyFile,
  });
  F.remember(upstreamKey);
  await F.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}, { timeout: 200_000 });

after(async () => {
  if (browser) await browser.close();
  await F?.stop();
  await new Promise((resolve) => (jellyfin ? jellyfin.close(resolve) : resolve()));
  fs.rmSync(keyDir, { recursive: true, force: true });
});

test('at /keyfin/web/ the page signs in, lists and creates keys through /keyfin/, and Jellyfin sees none of it', { timeout: 180_000 }, async () => {
  const ctx = await browser.newContext({ baseURL: `http://127.0.0.1:${F.httpPort}`, locale: 'en-US' });
  ctx.setDefaultTimeout(WAIT_MS);
  const page = await ctx.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: new URL(r.url()) }));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (/Content Security Policy|Trusted Type|Refused to/i.test(m.text())) errors.push(m.text());
  });

  await page.goto('/keyfin/');
  assert.equal(new URL(page.url()).pathname, '/keyfin/web/', '/keyfin/ redirects to the page');
  await page.locator('#login-form').getByLabel('User name').fill('admin');
  await page.locator('#login-form').getByLabel('Password').fill(F.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

  await page.getByRole('button', { name: 'New key' }).click();
  const dialog = page.getByRole('dialog', { name: 'New API key' });
  await dialog.waitFor();
  await dialog.getByLabel('App name').fill('Heimdall');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('region', { name: 'New key for Heimdall' }).waitFor();
  await page.locator('#keys-body tr').filter({ hasText: 'Heimdall' }).first().waitFor();
  const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('keyfin.session')).token);
  F.remember(session);

  const api = requests.filter((r) => !r.url.pathname.startsWith('/keyfin/web/'));
  assert.ok(api.some((r) => r.method === 'POST' && r.url.pathname === '/keyfin/Users/AuthenticateByName'), 'signed in at /keyfin/');
  assert.ok(api.some((r) => r.method === 'POST' && /^\/keyfin\/(keyfin\/)?v1\/keys$/.test(r.url.pathname)),
    `created through keyfin's /v1/keys under /keyfin/: ${api.map((r) => `${r.method} ${r.url.pathname}`).join(', ')}`);
  for (const r of api) assert.ok(r.url.pathname.startsWith('/keyfin/'), `${r.method} ${r.url.pathname} is keyfin's`);
  assert.deepEqual(jellyfinSaw, [], 'nothing of the page reached Jellyfin');

  // the key is keyfin's
  const keys = await F.req('GET', '/keyfin/Auth/Keys', { token: session });
  assert.equal(keys.status, 200);
  assert.ok(keys.json.Items.some((k) => k.AppName === 'Heimdall'));
  assert.deepEqual(errors, [], 'no page error or CSP violation');
  await ctx.close();
});

test('[browser-front] logs hold no key, token or password', async () => {
  await F.stop();
  F.assertLogsClean();
});
