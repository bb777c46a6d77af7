// Brute force and the audit trail: a user locked after repeated failed
// logins (counted in PostgreSQL, so on every instance together), unlocked
// by an administrator; every key and user change, login and failed login
// recorded, readable as Jellyfin's activity log and with `keyfin audit`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useStack, logsCleanTest, unique, randomHex, assertNoContent, assertForbidden,
} from './harness.mjs';

// Three attempts make the test short; the default is 5.
const S = useStack('security', { KEYFIN_LOGIN_ATTEMPTS: '3', KEYFIN_LOCKOUT_SECONDS: '3600' });

async function entries(query = '') {
  const r = await S.req('GET', `/System/ActivityLog/Entries${query}`, { token: await S.adminToken() });
  assert.equal(r.status, 200, r.body);
  return r.json;
}

test('a user is locked after 3 failed logins in a row, even with the right password then', async () => {
  const u = await S.createUser();
  for (let i = 0; i < 3; i++) {
    assert.equal((await S.login(u.name, `wrong-${i}`)).status, 401);
  }
  const locked = await S.login(u.name, u.password);
  assert.equal(locked.status, 401, 'the right password while locked');
  const list = await S.req('GET', '/Users', { token: await S.adminToken() });
  const dto = list.json.find((x) => x.Id === u.id);
  assert.equal(dto.Policy.InvalidLoginAttemptCount, 3);
  assert.equal(dto.Policy.LoginAttemptsBeforeLockout, 3);
});

test('a success resets the count: failures must be in a row', async () => {
  const u = await S.createUser();
  for (let round = 0; round < 3; round++) {
    assert.equal((await S.login(u.name, 'wrong-a')).status, 401);
    assert.equal((await S.login(u.name, 'wrong-b')).status, 401);
    assert.equal((await S.login(u.name, u.password)).status, 200, `round ${round}`);
  }
});

test('an administrator unlocks by saving the policy; `keyfin user unlock` too', async () => {
  const u = await S.createUser();
  for (let i = 0; i < 3; i++) await S.login(u.name, `wrong-${i}`);
  assert.equal((await S.login(u.name, u.password)).status, 401);
  await S.setPolicy(u.id, {});
  assert.equal((await S.login(u.name, u.password)).status, 200, 'unlocked by the policy');

  for (let i = 0; i < 3; i++) await S.login(u.name, `wrong-${i}`);
  assert.equal((await S.login(u.name, u.password)).status, 401);
  const r = await S.cli(['user', 'unlock', u.name]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await S.login(u.name, u.password)).status, 200, 'unlocked by the CLI');
  assert.notEqual((await S.cli(['user', 'unlock', unique('nobody')])).code, 0, 'unknown user');
});

test('every key and user change, login and failed login is in the activity log', async () => {
  const admin = await S.adminToken();
  const app = unique('audited');
  const key = await S.createKey(app);
  const prefix = key.slice(0, 4);
  const revoke = await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin });
  assertNoContent(revoke, 'revoke');
  const u = await S.createUser();
  await S.login(u.name, 'not-it');
  await S.setPolicy(u.id, { IsHidden: false });
  const del = await S.req('DELETE', `/Users/${u.id}`, { token: admin });
  assertNoContent(del, 'delete user');

  const log = await entries('?limit=50');
  const items = log.Items;
  assert.ok(log.TotalRecordCount >= items.length);
  const find = (type, text) => items.find((e) => e.Type === type && e.Name.includes(text));
  const created = find('key.create', app);
  assert.ok(created, `key.create for ${app}`);
  assert.match(created.Name, new RegExp(`^admin created key \\d+ \\(${prefix}\\.\\.\\.\\) for ${app}$`));
  assert.match(created.Overview, /^from 127\.0\.0\.1/);
  assert.match(created.UserId, /^[0-9a-f]{32}$/);
  assert.notEqual(created.UserId, '0'.repeat(32), 'the admin is named by id');
  assert.ok(find('key.revoke', app), 'key.revoke');
  assert.ok(find('user.create', u.name), 'user.create');
  assert.ok(find('login.failed', u.name), 'login.failed');
  assert.equal(find('login.failed', u.name).Severity, 'Warning');
  assert.ok(find('user.policy', u.name), 'user.policy');
  assert.ok(find('user.delete', u.name), 'user.delete');
  assert.ok(items.some((e) => e.Type === 'login'), 'login');
  // newest first, as Jellyfin
  for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].Id > items[i].Id);
  // never a whole key
  assert.ok(!JSON.stringify(items).includes(key), 'the key itself is not recorded');
});

test('the activity log pages and filters; only administrators read it', async () => {
  const all = await entries('?limit=1000');
  assert.ok(all.Items.length >= 3);
  const page = await entries('?startIndex=1&limit=2');
  assert.equal(page.StartIndex, 1);
  assert.deepEqual(page.Items.map((e) => e.Id), all.Items.slice(1, 3).map((e) => e.Id));
  const future = await entries(`?minDate=${new Date(Date.now() + 3600e3).toISOString()}`);
  assert.equal(future.Items.length, 0);
  const users = await entries('?hasUserId=true&limit=1000');
  assert.ok(users.Items.every((e) => e.UserId !== '0'.repeat(32)));
  const bad = await S.req('GET', '/System/ActivityLog/Entries?minDate=not-a-date', { token: await S.adminToken() });
  assert.equal(bad.status, 400);
  assert.equal((await S.req('GET', '/System/ActivityLog/Entries?limit=-1', { token: await S.adminToken() })).status, 400);

  const u = await S.createUser();
  const { token } = await S.loginToken(u.name, u.password);
  assertForbidden(await S.req('GET', '/System/ActivityLog/Entries', { token }), 'non-admin');
  assert.equal((await S.req('GET', '/System/ActivityLog/Entries')).status, 401);
});

test('`keyfin audit` prints the same records, and an API key is named by its prefix', async () => {
  const key = await S.createKey(unique('actor'));
  const made = unique('by-key');
  const r = await S.req('POST', `/Auth/Keys?app=${made}`, { token: key });
  assertNoContent(r, 'a key makes a key');
  const out = await S.cli(['audit', '20']);
  assert.equal(out.code, 0, out.stderr);
  const line = out.stdout.split('\n').find((l) => l.includes(made));
  assert.ok(line, `a line for ${made}:\n${out.stdout}`);
  assert.match(line, new RegExp(`key\\.create\\t127\\.0\\.0\\.1\\t.*\\tAPI key ${key.slice(0, 4)}\\.\\.\\. created key`));
  assert.ok(!out.stdout.includes(key), 'never the whole key');
  assert.equal((await S.cli(['audit', 'many'])).code, 2);
});

test('nginx limits logins per address: past a burst of 100, 429', async () => {
  // no Authorization header: keyfin answers 400 at once (no password hash
  // to compute), so 200 requests arrive faster than the bucket refills
  const all = await Promise.all(Array.from({ length: 200 }, () =>
    S.req('POST', '/Users/AuthenticateByName', { body: { Username: 'x', Pw: 'y' } })));
  const count = (status) => all.filter((r) => r.status === status).length;
  assert.equal(count(400) + count(429), 200, JSON.stringify(all.map((r) => r.status)));
  assert.ok(count(429) >= 50, `429s: ${count(429)}`);
  // (earlier tests of this file used some of the burst)
  assert.ok(count(400) >= 50, `the burst gets through: ${count(400)}`);
  // other endpoints are not limited
  assert.equal((await S.req('GET', '/System/Ping')).status, 200);
});

logsCleanTest(test, S);
