// What the admin console (web/) needs of the server beyond Jellyfin's API:
// per-key usage (requests per hour, 7 days) counted without a write per
// request, the sessions signed in (and ending one), and the rule that
// there is always an enabled administrator, also under concurrent changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from './fcgi.mjs';
import {
  useStack, logsCleanTest, unique, assertNoContent, assertForbidden, assertNoCredentials,
  pollUntil, psql,
} from './harness.mjs';

// Usage is written every second here (KEYFIN_USAGE_INTERVAL), so that the
// tests see it without waiting a minute.
const S = useStack('console', { KEYFIN_USAGE_INTERVAL: '1' });

const admin = async (method, path, body) => S.req(method, path, { token: await S.adminToken(), body });

async function makeKey(options = {}) {
  const r = await admin('POST', '/keyfin/v1/keys', { app: unique('usage'), ...options });
  assert.equal(r.status, 201, r.body);
  S.remember(r.json.key);
  return r.json;
}

const use = (key, path = '/System/Info') => S.req('GET', path, { token: key });
const usageOf = async (id) => admin('GET', `/keyfin/v1/keys/${id}/usage`);

test('usage: a key\'s requests per hour over 7 days, counted once each, refusals not counted', async () => {
  const k = await makeKey({ scopes: ['/System/Info'] });
  const idle = await makeKey();
  for (let i = 0; i < 5; i++) assert.equal((await use(k.key)).status, 200);
  assertForbidden(await use(k.key, '/Users/Me'), 'outside its scope');
  assert.ok(await pollUntil(async () => (await usageOf(k.id)).json.total === 5),
    `5 requests counted: ${JSON.stringify((await usageOf(k.id)).json)}`);
  const u = (await usageOf(k.id)).json;
  assert.deepEqual(Object.keys(u), ['start', 'hour_seconds', 'id', 'requests', 'total']);
  assert.equal(u.id, k.id);
  assert.equal(u.hour_seconds, 3600);
  assert.equal(u.requests.length, 168, 'one number per hour of 7 days');
  const start = Date.parse(u.start);
  assert.equal(start % 3_600_000, 0, `the window starts on the hour: ${u.start}`);
  const now = Date.now();
  assert.ok(start <= now - 167 * 3_600_000 && start > now - 168 * 3_600_000, `7 days back: ${u.start}`);
  // the requests are in the last hour (or the one before, at a turn of the hour)
  assert.equal(u.requests[167] + u.requests[166], 5, JSON.stringify(u.requests.slice(-3)));
  assert.equal(u.requests.slice(0, 166).reduce((a, b) => a + b, 0), 0);

  const none = (await usageOf(idle.id)).json;
  assert.equal(none.total, 0);
  assert.deepEqual(none.requests, Array(168).fill(0), 'an unused key: zeros');

  // every key at once, for the list's sparklines: only keys used in the window
  const all = await admin('GET', '/keyfin/v1/usage');
  assert.equal(all.status, 200);
  assert.equal(all.json.start, u.start);
  const mine = all.json.keys.find((x) => x.id === k.id);
  assert.equal(mine.total, 5);
  assert.deepEqual(mine.requests, u.requests);
  assert.ok(!all.json.keys.some((x) => x.id === idle.id), 'an unused key is left out');
});

test('usage: unknown keys are 404; only administrators may read it', async () => {
  assert.equal((await admin('GET', '/keyfin/v1/keys/999999999/usage')).status, 404);
  assert.equal((await admin('GET', '/keyfin/v1/keys/abc/usage')).status, 404);
  const k = await makeKey();
  assertNoCredentials(await S.req('GET', `/keyfin/v1/keys/${k.id}/usage`), 'anonymous');
  const u = await S.createUser();
  const { token } = await S.loginToken(u.name, u.password);
  assertForbidden(await S.req('GET', `/keyfin/v1/keys/${k.id}/usage`, { token }), 'non-admin');
  assertForbidden(await S.req('GET', '/keyfin/v1/usage', { token }), 'non-admin, all keys');
  const read = await makeKey({ scopes: ['read'] });
  assertForbidden(await use(read.key, `/keyfin/v1/keys/${k.id}/usage`), 'a read key');
  // a revoked key's counts go with it
  assertNoContent(await admin('DELETE', `/keyfin/v1/keys/${k.id}`), 'revoke');
  assert.equal((await usageOf(k.id)).status, 404);
});

test('usage: no write per request; a worker writes its counts when it stops, and they survive a restart', async () => {
  const k = await makeKey();
  // an instance whose workers would write only after an hour
  const inst = await S.serveWith({ KEYFIN_USAGE_INTERVAL: '3600' });
  const via = () => request(inst.port, 'GET', '/System/Info', { headers: { Authorization: `MediaBrowser Token="${k.key}"` } });
  try {
    assert.ok(await pollUntil(async () => (await request(inst.port, 'GET', '/System/Ping')).status === 200),
      `the instance answers:\n${inst.log()}`);
    for (let i = 0; i < 7; i++) assert.equal((await via()).status, 200);
    assert.equal((await usageOf(k.id)).json.total, 0, 'counted in memory, not yet written');
  } finally {
    await inst.stop();
  }
  assert.equal((await usageOf(k.id)).json.total, 7, 'written when the worker stopped');
  // the whole stack stopped and started again: the counts are in PostgreSQL
  assert.equal((await S.stack(['stop'])).code, 0);
  const start = await S.stack(['start']);
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await usageOf(k.id)).json.total, 7, 'after a restart');
});

test('sessions: an administrator sees every signed-in device and signs one out', async () => {
  const u = await S.createUser();
  const { token } = await S.loginToken(u.name, u.password, { Client: 'Jellyfin Web', Device: 'Firefox', DeviceId: unique('dev') });
  const list = await admin('GET', '/keyfin/v1/sessions');
  assert.equal(list.status, 200);
  const mine = list.json.find((x) => x.current);
  assert.equal(mine.user_name, 'admin', 'the caller\'s own session is marked current');
  const theirs = list.json.find((x) => x.user_name === u.name);
  assert.ok(theirs, `the user's session is listed: ${list.body}`);
  assert.deepEqual(Object.keys(theirs), ['id', 'user_id', 'user_name', 'client', 'device_name', 'device_id',
    'app_version', 'created_at', 'last_activity_at', 'current']);
  assert.equal(theirs.user_id, u.id);
  assert.equal(theirs.client, 'Jellyfin Web');
  assert.equal(theirs.device_name, 'Firefox');
  assert.equal(theirs.current, false);
  assert.ok(!list.body.includes(token), 'no token in the list');

  assertNoContent(await admin('DELETE', `/keyfin/v1/sessions/${theirs.id}`), 'sign out');
  assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'the signed-out session');
  assert.equal((await admin('DELETE', `/keyfin/v1/sessions/${theirs.id}`)).status, 404, 'already gone');
  assert.equal((await admin('DELETE', '/keyfin/v1/sessions/x')).status, 404);
  const entries = await admin('GET', '/System/ActivityLog/Entries?limit=10');
  const entry = entries.json.Items.find((e) => e.Type === 'session.revoke');
  assert.ok(entry, 'recorded in the audit trail');
  assert.equal(entry.Name, `admin signed out session ${theirs.id} of ${u.name} (Firefox, Jellyfin Web)`);

  const other = await S.createUser();
  const t2 = (await S.loginToken(other.name, other.password)).token;
  assertForbidden(await S.req('GET', '/keyfin/v1/sessions', { token: t2 }), 'non-admin list');
  assertForbidden(await S.req('DELETE', `/keyfin/v1/sessions/${mine.id}`, { token: t2 }), 'non-admin sign-out');
});

test('activity: keyfin\'s filters by kind of event (type) and before a date (maxDate), paged', async () => {
  const k = await makeKey();
  assertNoContent(await admin('DELETE', `/keyfin/v1/keys/${k.id}`), 'revoke');
  const entries = async (q) => {
    const r = await admin('GET', `/System/ActivityLog/Entries?${q}`);
    assert.equal(r.status, 200, `${q}: ${r.body}`);
    return r.json;
  };
  const keys = await entries('type=key&limit=100');
  assert.ok(keys.TotalRecordCount >= 2, 'key.create and key.revoke at least');
  assert.ok(keys.Items.every((e) => e.Type.startsWith('key.')), keys.Items.map((e) => e.Type).join());
  assert.equal(keys.Items[0].Type, 'key.revoke', 'newest first');
  const revokes = await entries('type=key.revoke');
  assert.ok(revokes.Items.length >= 1 && revokes.Items.every((e) => e.Type === 'key.revoke'));
  assert.equal((await entries('type=ke')).TotalRecordCount, 0, 'a kind is a whole part of the name');
  // paged: the second of the kind is the second page of one
  const second = await entries('type=key&startIndex=1&limit=1');
  assert.equal(second.Items.length, 1);
  assert.equal(second.Items[0].Id, keys.Items[1].Id);
  assert.equal(second.TotalRecordCount, keys.TotalRecordCount);
  assert.equal(second.StartIndex, 1);
  // dates: before 2000, nothing; before tomorrow, everything of the kind
  assert.equal((await entries('type=key&maxDate=2000-01-01T00:00:00Z')).TotalRecordCount, 0);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  assert.equal((await entries(`type=key&maxDate=${tomorrow}`)).TotalRecordCount, keys.TotalRecordCount);
  assert.equal((await entries(`type=key&minDate=${tomorrow}`)).TotalRecordCount, 0);
  const bad = await admin('GET', '/System/ActivityLog/Entries?maxDate=soon');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /maxDate/);
});

// ------------------------------------------------------- the last admin --

async function onlyAdmin() {
  const me = (await admin('GET', '/Users/Me')).json;
  for (const x of (await admin('GET', '/Users')).json) {
    if (x.Policy.IsAdministrator && x.Id !== me.Id) await S.setPolicy(x.Id, { IsAdministrator: false });
  }
  return me;
}

test('the last administrator cannot be deleted, demoted or disabled: a 4xx that says why', async () => {
  const me = await onlyAdmin();
  const del = await admin('DELETE', `/Users/${me.Id}`);
  assert.equal(del.status, 400);
  assert.equal(del.body, 'The user cannot be deleted: There must be at least one user in the system with administrative access.');
  const demote = await admin('POST', `/Users/${me.Id}/Policy`, { ...me.Policy, IsAdministrator: false });
  assert.equal(demote.status, 403);
  assert.equal(demote.json, 'There must be at least one user in the system with administrative access.');
  const both = await admin('POST', `/Users/${me.Id}/Policy`, { ...me.Policy, IsAdministrator: false, IsDisabled: true });
  assert.equal(both.status, 403);
  assert.equal(both.json, 'There must be at least one user in the system with administrative access.');
  const disable = await admin('POST', `/Users/${me.Id}/Policy`, { ...me.Policy, IsDisabled: true });
  assert.equal(disable.status, 403);
  assert.equal(disable.json, 'Administrators cannot be disabled.');
  assert.equal((await admin('GET', '/Auth/Keys')).status, 200, 'still an administrator');
});

test('the last administrator stays one by hand in SQL too (sql/0011_last_admin.sql)', async () => {
  await onlyAdmin();
  const url = await S.databaseUrl();
  for (const sql of ['UPDATE users SET is_admin = false', 'UPDATE users SET is_disabled = true WHERE is_admin',
    'DELETE FROM users WHERE is_admin']) {
    const r = await psql(url, sql);
    assert.notEqual(r.code, 0, sql);
    assert.match(r.stderr, /There must be at least one enabled administrator/, sql);
  }
  // with another administrator, either may go
  const other = await S.createUser({ admin: true });
  const r = await psql(url, `UPDATE users SET is_admin = false WHERE name = '${other.name}'`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await admin('GET', '/Auth/Keys')).status, 200);
});

test('two administrators demoting each other at once: one is refused, one stays', async () => {
  const me = await onlyAdmin();
  for (let round = 0; round < 6; round++) {
    const b = await S.createUser({ admin: true });
    const bToken = (await S.loginToken(b.name, b.password)).token;
    const aToken = await S.adminToken();
    const [ab, ba] = await Promise.all([
      S.req('POST', `/Users/${b.id}/Policy`, { token: aToken, body: { IsAdministrator: false } }),
      S.req('POST', `/Users/${me.Id}/Policy`, { token: bToken, body: { IsAdministrator: false } }),
    ]);
    const users = (await S.req('GET', '/Users', { token: ab.status === 204 ? aToken : bToken })).json;
    const admins = users.filter((x) => x.Policy.IsAdministrator && !x.Policy.IsDisabled);
    assert.equal(admins.length, 1, `round ${round}: ${ab.status} ${ba.status}, admins: ${admins.map((x) => x.Name)}`);
    for (const r of [ab, ba].filter((x) => x.status !== 204)) {
      // refused by the handler's count (403), or by the database's rule, or
      // as no administrator any more (the other demotion went first)
      assert.ok(r.status === 403, `round ${round}: ${r.status} ${r.body}`);
    }
    if (admins[0].Id !== me.Id) {
      await S.req('POST', `/Users/${me.Id}/Policy`, { token: bToken, body: { IsAdministrator: true } });
    }
    await S.req('DELETE', `/Users/${b.id}`, { token: aToken });
  }
});

logsCleanTest(test, S);
