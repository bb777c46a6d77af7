// /keyfin/v1/keys: keys with an expiry, scopes, allowed addresses and a
// note, returned when made, rolled with a grace period, revoked by id.
// A Jellyfin client that asks for none of it sees nothing new (the
// compatibility suite proves that part).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request } from './fcgi.mjs';
import {
  useStack, logsCleanTest, unique, HEX32, assertNoContent, assertForbidden, assertNoCredentials,
  pollUntil, ROOT, psql,
} from './harness.mjs';

const S = useStack('extensions');

async function make(body) {
  const r = await S.req('POST', '/keyfin/v1/keys', { token: await S.adminToken(), body });
  assert.equal(r.status, 201, r.body);
  S.remember(r.json.key);
  return r.json;
}
const call = (method, path, key, body) => S.req(method, path, { token: key, body });
const ext = async (method, path, body) => S.req(method, `/keyfin/v1/keys${path}`, { token: await S.adminToken(), body });

// A key rolled with no grace: {old, next}.
async function rolledNow(app) {
  const old = await make({ app: unique(app) });
  const r = await ext('POST', `/${old.id}/roll`);
  assert.equal(r.status, 201, r.body);
  S.remember(r.json.key);
  return { old, next: r.json };
}

test('a key made with options comes back with its key and details', async () => {
  const app = unique('opts');
  const k = await make({ app, ttl: 3600, scopes: ['read'], allowed_ips: ['127.0.0.0/8'], note: 'for the test' });
  assert.deepEqual(Object.keys(k), ['id', 'app', 'key', 'prefix', 'created_at', 'last_used_at',
    'last_address', 'expires_at', 'scopes', 'allowed_ips', 'note', 'reused_at', 'reused_from']);
  assert.match(k.key, HEX32);
  assert.equal(k.prefix, k.key.slice(0, 4));
  assert.equal(k.app, app);
  assert.deepEqual(k.scopes, ['read']);
  assert.deepEqual(k.allowed_ips, ['127.0.0.0/8']);
  assert.equal(k.note, 'for the test');
  assert.equal(k.last_used_at, null);
  const left = Date.parse(k.expires_at) - Date.parse(k.created_at);
  assert.ok(left > 3590e3 && left <= 3600e3 + 1000, `expires about an hour after creation: ${left} ms`);
  // the Jellyfin list shows it like any key
  assert.ok((await S.listKeys()).some((x) => x.AccessToken === k.key));
  // used: last use and address are kept
  assert.equal((await call('GET', '/System/Info', k.key)).status, 200);
  const got = await ext('GET', `/${k.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.last_address, '127.0.0.1');
  assert.ok(got.json.last_used_at !== null);
  assert.ok(!('key' in got.json), 'details never hold the key itself');
  const all = await ext('GET', '');
  assert.ok(all.json.some((x) => x.id === k.id && !('key' in x)));
});

test('a read key reads; it changes nothing and reaches no admin endpoint', async () => {
  const k = await make({ app: unique('read'), scopes: ['read'] });
  assert.equal((await call('GET', '/System/Info', k.key)).status, 200);
  assertForbidden(await call('GET', '/Auth/Keys', k.key), 'a read key lists keys');
  assertForbidden(await call('POST', `/Auth/Keys?app=${unique('x')}`, k.key), 'a read key makes keys');
  assertForbidden(await call('GET', '/keyfin/v1/keys', k.key), 'a read key reads key details');
  assertForbidden(await call('POST', '/Sessions/Logout', k.key), 'POST');
});

test('a path-scoped key calls only its paths (what Heimdall needs)', async () => {
  const k = await make({ app: unique('heimdall'), scopes: ['/System/Info', '/Items/Counts'] });
  assert.equal((await call('GET', '/System/Info', k.key)).status, 200);
  assert.equal((await call('GET', '/system/info/', k.key)).status, 200);
  assert.equal((await call('GET', '/emby/System/Info', k.key)).status, 200);
  assertForbidden(await call('GET', '/Users/Me', k.key), 'another path');
  assertForbidden(await call('GET', '/Auth/Keys', k.key), 'an admin path');
});

test('allowed_ips: a key used from elsewhere is refused (403)', async () => {
  const far = await make({ app: unique('far'), allowed_ips: ['10.0.0.0/8', '192.168.1.0/24'] });
  assertForbidden(await call('GET', '/System/Info', far.key), 'from 127.0.0.1');
  const near = await make({ app: unique('near'), allowed_ips: ['127.0.0.1/32'] });
  assert.equal((await call('GET', '/System/Info', near.key)).status, 200);
});

test('expiry: a key past expires_at is refused at once; null lifts it', async () => {
  const k = await make({ app: unique('expiring') });
  assert.equal(k.expires_at, null);
  assert.equal((await call('GET', '/System/Info', k.key)).status, 200);
  const past = await ext('PATCH', `/${k.id}`, { expires_at: '2020-01-01T00:00:00Z', note: 'expired' });
  assert.equal(past.status, 200, past.body);
  assert.equal(past.json.note, 'expired');
  assertNoCredentials(await call('GET', '/System/Info', k.key), 'expired');
  const back = await ext('PATCH', `/${k.id}`, { expires_at: null });
  assert.equal(back.json.expires_at, null);
  assert.equal((await call('GET', '/System/Info', k.key)).status, 200);
});

test('roll: the new key works at once, the old one for the grace period only', async () => {
  const old = await make({ app: unique('roll'), scopes: ['read'], note: 'kept' });
  const r = await ext('POST', `/${old.id}/roll`, { grace: 3600 });
  assert.equal(r.status, 201, r.body);
  S.remember(r.json.key);
  assert.notEqual(r.json.key, old.key);
  assert.deepEqual(r.json.scopes, ['read'], 'options carried over');
  assert.equal(r.json.note, 'kept');
  assert.equal((await call('GET', '/System/Info', r.json.key)).status, 200);
  assert.equal((await call('GET', '/System/Info', old.key)).status, 200, 'in its grace period');
  const oldNow = await ext('GET', `/${old.id}`);
  assert.ok(Date.parse(oldNow.json.expires_at) > Date.now(), 'the old key got an end');

  const again = await ext('POST', `/${r.json.id}/roll`);   // no body: grace 0
  assert.equal(again.status, 201);
  S.remember(again.json.key);
  assertNoCredentials(await call('GET', '/System/Info', r.json.key), 'rolled with no grace');
  assert.equal((await call('GET', '/System/Info', again.json.key)).status, 200);
});

test('a rolled key used after its grace is recorded as a reuse, in the audit trail and its details', async () => {
  const { old, next } = await rolledNow('reuse');
  assert.equal((await ext('GET', `/${old.id}`)).json.reused_at, null, 'not reused yet');
  assertNoCredentials(await call('GET', '/System/Info', old.key), 'the old key after its grace');
  const details = (await ext('GET', `/${old.id}`)).json;
  assert.ok(Date.parse(details.reused_at) > Date.now() - 60_000, `reused_at set: ${details.reused_at}`);
  assert.equal(details.reused_from, '127.0.0.1');
  const entries = await S.req('GET', '/System/ActivityLog/Entries?limit=20', { token: await S.adminToken() });
  const reuse = entries.json.Items.filter((e) => e.Type === 'key.reuse' && e.Name.includes(`key ${old.id} `));
  assert.equal(reuse.length, 1, 'one audit entry for the reuse');
  assert.equal(reuse[0].Severity, 'Warning');
  // recorded, not revoked (KEYFIN_ROLL_REUSE=record, the default): the new key works
  assert.equal((await call('GET', '/System/Info', next.key)).status, 200);
});

test('KEYFIN_ROLL_REUSE=revoke: reusing a rolled key revokes the key that replaced it', async () => {
  const { old, next } = await rolledNow('reuse-revoke');
  const inst = await S.serveWith({ KEYFIN_ROLL_REUSE: 'revoke' });
  const use = (key) => request(inst.port, 'GET', '/System/Info', { headers: { Authorization: `MediaBrowser Token="${key}"` } });
  try {
    assert.ok(await pollUntil(async () => (await request(inst.port, 'GET', '/System/Ping')).status === 200),
      `the instance answers:\n${inst.log()}`);
    assert.equal((await use(next.key)).status, 200, 'the replacement works before');
    assert.equal((await use(old.key)).status, 401, 'the old key after its grace');
    assert.equal((await use(next.key)).status, 401, 'the replacement is revoked');
    assert.equal((await ext('GET', `/${next.id}`)).status, 404, 'and gone');
    assert.match(inst.log(), /event=key_reused/);
  } finally {
    await inst.stop();
  }
});

test('revoke by id: the key need not travel in a URL', async () => {
  const k = await make({ app: unique('by-id') });
  assertNoContent(await ext('DELETE', `/${k.id}`), 'revoke');
  assertNoCredentials(await call('GET', '/System/Info', k.key), 'revoked');
  assert.equal((await ext('DELETE', `/${k.id}`)).status, 404);
  assert.equal((await ext('GET', `/${k.id}`)).status, 404);
  const log = await S.req('GET', '/System/ActivityLog/Entries?limit=20', { token: await S.adminToken() });
  assert.ok(log.json.Items.some((e) => e.Type === 'key.revoke' && e.Name.includes(`key ${k.id} `)));
});

test('bad options are a 400 that says what is wrong, and store nothing', async () => {
  const before = (await ext('GET', '')).json.length;
  for (const [body, words] of [
    [{}, /app/],
    [{ app: 'x', scopes: ['write'] }, /scope/],
    [{ app: 'x', scopes: 'read' }, /scopes/],
    [{ app: 'x', allowed_ips: ['not-an-address'] }, /allowed_ips|CIDR/],
    [{ app: 'x', expires_at: 'soon' }, /expires_at|date/],
    [{ app: 'x', ttl: -5 }, /ttl/],
    [{ app: 'x', ttl: 60, expires_at: '2030-01-01T00:00:00Z' }, /ttl/],
    [{ app: 'x', note: 'a\u0000b' }, /note/],
  ]) {
    const r = await ext('POST', '', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body, words, JSON.stringify(body));
  }
  assert.equal((await ext('GET', '')).json.length, before, 'nothing stored');
  assert.equal((await ext('GET', '/abc')).status, 404);
  assert.equal((await ext('PATCH', '/1', { app: 'renamed' })).status, 400);
  const u = await S.createUser();
  const { token } = await S.loginToken(u.name, u.password);
  assertForbidden(await S.req('GET', '/keyfin/v1/keys', { token }), 'non-admin');
});

test('KEYFIN_REVOKE_UNUSED_DAYS: a key unused that long is revoked, a used one is kept', async () => {
  const stale = await make({ app: unique('stale') });
  const fresh = await make({ app: unique('fresh') });
  assert.equal((await call('GET', '/System/Info', fresh.key)).status, 200);
  const url = await S.databaseUrl();
  const aged = await psql(url,
    `UPDATE api_keys SET created_at = now() - interval '100 days', last_activity_at = NULL WHERE id = ${stale.id}`);
  assert.equal(aged.code, 0, aged.stderr);
  // an instance with the setting sweeps when its workers start
  const inst = await S.serveWith({ KEYFIN_REVOKE_UNUSED_DAYS: '30' });
  try {
    // (asked by id: using the key itself would make it fresh)
    assert.ok(await pollUntil(async () => (await ext('GET', `/${stale.id}`)).status === 404,
      { attempts: 50, intervalMs: 200 }), `the stale key was revoked:\n${inst.log()}`);
    assertNoCredentials(await call('GET', '/System/Info', stale.key), 'the revoked stale key');
    assert.equal((await call('GET', '/System/Info', fresh.key)).status, 200, 'the used key stays');
    const entries = await S.req('GET', '/System/ActivityLog/Entries?limit=20', { token: await S.adminToken() });
    assert.ok(entries.json.Items.some((e) => e.Type === 'key.revoke' && e.Name.includes('unused for 30 days')));
  } finally {
    await inst.stop();
  }
});

test('docs/keyfin-api.yaml documents every /keyfin/v1 route', () => {
  const routes = fs.readFileSync(path.join(ROOT, 'src', 'route.c'), 'utf8')
    .match(/"\/keyfin\/v1\/[^"]*"/g).map((p) => JSON.parse(p).replace(/\*/g, '{id}'));
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'keyfin-api.yaml'), 'utf8');
  for (const route of new Set(routes)) assert.ok(doc.includes(`  ${route}:`), `${route} in the OpenAPI file`);
});

logsCleanTest(test, S);
