// keyfin as the gate of another service: nginx/gateway.conf.example in
// front of a small upstream.  Allowed with a key (in any place clients put
// one), refused without one, refused at once once revoked; the upstream
// never sees the key.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Stack, ROOT, unique, logsCleanTest, assertNoContent } from './harness.mjs';
import { Topology } from './topology.mjs';

const S = new Stack('gateway');
const T = new Topology(S);
const seen = [];                        // what the upstream received
let upstream;

before(async () => {
  await S.start();
  await T.init();
  upstream = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('upstream says hello');
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const snippet = fs.readFileSync(path.join(ROOT, 'nginx', 'gateway.conf.example'), 'utf8')
    .replaceAll('@UPSTREAM@', `127.0.0.1:${upstream.address().port}`);
  const [httpPart, serverPart] = snippet.split(/^# ---- server \{\} -+$/m);
  assert.ok(serverPart, 'the snippet has an http part and a server part');
  await T.startInstance('gate', { workers: 2 });
  await T.startNginx(T.instances, { http: httpPart, server: serverPart });
}, { timeout: 120_000 });

after(async () => {
  await T.stop();
  await new Promise((resolve) => upstream?.close(resolve) ?? resolve());
  await S.stop();
});

const last = () => seen[seen.length - 1];

test('a key in any accepted place lets the request through, without the key', async () => {
  const app = unique('gated');
  const key = await S.createKey(app);
  const ways = [
    { headers: { Authorization: `MediaBrowser Token="${key}", Client="Heimdall"` } },
    { headers: { 'X-Emby-Token': key } },
    { headers: { 'X-MediaBrowser-Token': key } },
    { query: `?api_key=${key}` },
    { query: `?x=1&ApiKey=${key}&y=2` },
  ];
  for (const way of ways) {
    const before = seen.length;
    const r = await T.req('GET', `/protected/items${way.query || ''}`, { headers: way.headers || {} });
    assert.equal(r.status, 200, JSON.stringify(way));
    assert.equal(r.body, 'upstream says hello');
    assert.equal(seen.length, before + 1);
    const got = last();
    assert.ok(!JSON.stringify(got).includes(key), `the upstream never sees the key: ${JSON.stringify(got)}`);
    assert.equal(got.headers['x-keyfin-app'], app);
    assert.match(got.headers['x-keyfin-key-id'], /^\d+$/);
    assert.ok(got.url.startsWith('/protected/items'), got.url);
  }
  assert.equal(last().url, '/protected/items?x=1&y=2', 'other query parameters pass unchanged');
});

test('no key, a wrong key, a user session: refused, and the upstream sees nothing', async () => {
  const before = seen.length;
  assert.equal((await T.req('GET', '/protected/items')).status, 401);
  assert.equal((await T.req('GET', '/protected/items', { headers: { 'X-Emby-Token': 'f'.repeat(32) } })).status, 401);
  const admin = await S.adminToken();
  assert.equal((await T.req('GET', '/protected/items', { headers: { 'X-Emby-Token': admin } })).status, 403);
  assert.equal(seen.length, before, 'nothing reached the upstream');
});

test('revoked: refused at once', async () => {
  const key = await S.createKey(unique('gate-revoke'));
  assert.equal((await T.req('GET', '/protected/x', { headers: { 'X-Emby-Token': key } })).status, 200);
  assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: await S.adminToken() }), 'revoke');
  assert.equal((await T.req('GET', '/protected/x', { headers: { 'X-Emby-Token': key } })).status, 401);
});

test('the verify endpoint itself: 204 with the key id and app, 401 without', async () => {
  const app = unique('verify');
  const key = await S.createKey(app);
  const ok = await S.req('GET', '/keyfin/v1/verify', { headers: { 'X-Emby-Token': key } });
  assertNoContent(ok, 'verify');
  assert.equal(ok.headers['x-keyfin-app'], app);
  assert.match(ok.headers['x-keyfin-key-id'], /^\d+$/);
  assert.equal((await S.req('GET', '/keyfin/v1/verify')).status, 401);
  const viaOriginal = await S.req('GET', '/keyfin/v1/verify', { headers: { 'X-Original-URI': `/x?api_key=${key}` } });
  assert.equal(viaOriginal.status, 204, 'the key in the original query');
});

test('a scoped key passes the gate only for its paths and methods', async () => {
  const r = await S.req('POST', '/keyfin/v1/keys', {
    token: await S.adminToken(), body: { app: unique('scoped-gate'), scopes: ['/protected/allowed'] },
  });
  assert.equal(r.status, 201, r.body);
  const key = r.json.key;
  S.remember(key);
  const h = { headers: { 'X-Emby-Token': key } };
  assert.equal((await T.req('GET', '/protected/allowed/x', h)).status, 200);
  assert.equal((await T.req('GET', '/protected/other', h)).status, 403);
  const read = await S.req('POST', '/keyfin/v1/keys', {
    token: await S.adminToken(), body: { app: unique('read-gate'), scopes: ['read'] },
  });
  S.remember(read.json.key);
  assert.equal((await T.req('GET', '/protected/x', { headers: { 'X-Emby-Token': read.json.key } })).status, 200);
  assert.equal((await T.req('POST', '/protected/x', { headers: { 'X-Emby-Token': read.json.key } })).status, 403);
});

test('[gateway] logs hold no key, token or password', async () => {
  await T.stop();
  T.assertLogsClean();
  await S.stop();
  S.assertLogsClean();
});
