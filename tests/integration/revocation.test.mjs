// Workers remember who a token is (KEYFIN_AUTH_CACHE_MS, src/auth.c), and
// revocation stays immediate: once a revoking request has answered, no
// worker accepts what it took away.  They also keep the key list they
// rendered, and send it only while the list's version is unchanged.  Each test first makes every worker
// remember the credential (bursts of parallel requests, checked in
// /metrics), then revokes, then sends a burst again at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useStack, logsCleanTest, unique, psql, pollUntil, assertNoContent,
} from './harness.mjs';

const WORKERS = 4;
const S = useStack('revocation', { KEYFIN_WORKERS: String(WORKERS) });

function remembered(metrics) {
  const m = metrics.match(/^keyfin_auth_remembered_total (\d+)$/m);
  return m ? Number(m[1]) : 0;
}

// n requests at once (spread over the workers); their statuses.
async function burst(token, { path = '/System/Info', method = 'GET', n = 48 } = {}) {
  const rs = await Promise.all(Array.from({ length: n }, () => S.req(method, path, { token })));
  return rs.map((r) => r.status);
}

// Bursts until the workers answer this token from memory (bounded).
async function warm(token, path = '/System/Info') {
  const before = remembered((await S.req('GET', '/metrics')).body);
  for (let round = 0; round < 5; round++) {
    const statuses = await burst(token, { path });
    assert.deepEqual([...new Set(statuses)], [200], `${path} works before the revocation`);
  }
  const after = remembered((await S.req('GET', '/metrics')).body);
  assert.ok(after - before >= 100, `answered from memory (${after - before} of 240)`);
}

function allRefused(statuses, want, what) {
  const counts = statuses.reduce((m, s) => ({ ...m, [s]: (m[s] || 0) + 1 }), {});
  assert.deepEqual(counts, { [want]: statuses.length }, `${what}: every request refused`);
}

test('a revoked key is refused by every worker as soon as DELETE has answered', async () => {
  const admin = await S.adminToken();
  for (let round = 0; round < 3; round++) {
    const key = await S.createKey(unique('rev-key'));
    await warm(key);
    assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin }), 'revoke');
    allRefused(await burst(key), 401, `round ${round}`);
  }
});

test('a logged-out session is refused by every worker', async () => {
  const user = await S.createUser();
  const { token } = await S.loginToken(user.name, user.password, { DeviceId: unique('dev') });
  await warm(token);
  assertNoContent(await S.req('POST', '/Sessions/Logout', { token }), 'logout');
  allRefused(await burst(token), 401, 'after logout');
});

test('a disabled user and a demoted administrator lose their rights at once', async () => {
  const user = await S.createUser({ admin: true });
  const { token } = await S.loginToken(user.name, user.password, { DeviceId: unique('dev') });
  await warm(token, '/Auth/Keys');
  await S.setPolicy(user.id, { IsAdministrator: false });
  allRefused(await burst(token, { path: '/Auth/Keys' }), 403, 'demoted');
  await warm(token);
  await S.setPolicy(user.id, { IsDisabled: true });
  allRefused(await burst(token), 401, 'disabled');
});

test('narrowing a key (scopes, expiry, addresses) holds at once', async () => {
  const admin = await S.adminToken();
  const made = await S.req('POST', '/keyfin/v1/keys', { token: admin, body: { app: unique('rev-ext') } });
  assert.equal(made.status, 201, made.body);
  const { id, key } = made.json;
  S.remember(key);
  await warm(key, '/Auth/Keys');
  let r = await S.req('PATCH', `/keyfin/v1/keys/${id}`, { token: admin, body: { scopes: ['read'] } });
  assert.equal(r.status, 200, r.body);
  allRefused(await burst(key, { path: '/Auth/Keys' }), 403, 'scoped to read');
  await warm(key);
  r = await S.req('PATCH', `/keyfin/v1/keys/${id}`, { token: admin, body: { allowed_ips: ['10.9.8.0/24'] } });
  assert.equal(r.status, 200, r.body);
  allRefused(await burst(key), 403, 'not from this address');
  r = await S.req('PATCH', `/keyfin/v1/keys/${id}`, { token: admin, body: { allowed_ips: null } });
  assert.equal(r.status, 200, r.body);
  await warm(key);
  r = await S.req('PATCH', `/keyfin/v1/keys/${id}`, {
    token: admin, body: { expires_at: new Date(Date.now() - 60_000).toISOString() },
  });
  assert.equal(r.status, 200, r.body);
  allRefused(await burst(key), 401, 'expired');
});

test('a key deleted by hand in PostgreSQL stops working within KEYFIN_AUTH_CACHE_MS', async () => {
  const key = await S.createKey(unique('rev-sql'));
  await warm(key);
  await psql(await S.databaseUrl(), "DELETE FROM api_keys WHERE app_name LIKE 'rev-sql%'");
  // no request of ours waited: poll (bounded) until every worker refuses it
  const refused = await pollUntil(async () => (await burst(key)).every((s) => s === 401),
    { attempts: 40, intervalMs: 25 });
  assert.ok(refused, 'refused everywhere after the trigger counted the deletion');
});

test('the revocation generation counts what takes rights away, not what uses them', async () => {
  const url = await S.databaseUrl();
  const generation = async () => Number((await psql(url,
    'SELECT generation FROM keyfin_revocations')).stdout.trim());
  const key = await S.createKey(unique('rev-gen'));
  const g0 = await generation();
  await burst(key);                               // use, touch last activity
  await S.createKey(unique('rev-gen-other'));     // a new key
  assert.equal(await generation(), g0, 'using and creating revoke nothing');
  assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: await S.adminToken() }));
  const g1 = await generation();
  assert.ok(g1 > g0, 'a revocation counts');
  // once a statement: deleting many keys at once counts one
  for (let i = 0; i < 5; i++) await S.createKey(unique('rev-many'));
  await psql(url, "DELETE FROM api_keys WHERE app_name LIKE 'rev-many%'");
  assert.equal(await generation(), g1 + 1, 'one statement, one count');
  // TRUNCATE fires no DELETE trigger: it counts by a trigger of its own
  await psql(url, 'CREATE TEMP TABLE t (x int)');
  const g2 = await generation();
  await psql(url, 'BEGIN; TRUNCATE api_keys, sessions CASCADE; ROLLBACK');
  assert.equal(await generation(), g2, 'a TRUNCATE rolled back counts nothing');
  const lv = async () => Number((await psql(url,
    'SELECT key_list_version FROM keyfin_revocations')).stdout.trim());
  const v0 = await lv();
  await S.createKey(unique('rev-lv'));
  assert.ok(await lv() > v0, 'a new key raises the list version');
});

// sql/0009_key_list_counts.sql: the list's version is a sum of one row per
// connection; creations on many connections at once, revocations among
// them, never wait for one another in a cycle, and folding the rows of
// connections that are gone keeps the sum.
test('the key list version: one row per connection, folded without changing the sum', async () => {
  const url = await S.databaseUrl();
  const admin = await S.adminToken();
  const q = async (sql) => (await psql(url, sql)).stdout.trim();
  const sum = async () => Number(await q('SELECT key_list_version FROM keyfin_revocations'));
  const v0 = await sum();
  // 40 creations and 10 revocations at once, through every worker
  const made = [];
  for (let i = 0; i < 10; i++) made.push(await S.createKey(unique('lv-rev')));
  const results = await Promise.all([
    ...Array.from({ length: 40 }, () => S.req('POST', `/Auth/Keys?app=${unique('lv-many')}`, { token: admin })),
    ...made.map((k) => S.req('DELETE', `/Auth/Keys/${k}`, { token: admin })),
  ]);
  assert.deepEqual([...new Set(results.map((r) => r.status))].sort(), [204], 'every one answered 204');
  assert.ok(await sum() >= v0 + 60, 'each statement raised the version');
  // psql sessions are connections that are gone once they end
  await psql(url, `INSERT INTO api_keys (app_name, key_digest, key_sealed) VALUES ('lv-psql', '\\x${'ab'.repeat(32)}', '\\x00')`);
  await psql(url, "DELETE FROM api_keys WHERE app_name = 'lv-psql'");
  const before = await sum();
  const rows = Number(await q('SELECT count(*) FROM keyfin_key_list_counts'));
  const folded = Number(await q('SELECT keyfin_key_list_fold()'));
  assert.ok(folded >= 2, `the rows of the two psql sessions were folded (${folded})`);
  assert.equal(Number(await q('SELECT count(*) FROM keyfin_key_list_counts')), rows - folded);
  assert.equal(await sum(), before, 'folding keeps the sum');
});

test('a key created or revoked is in, or out of, every worker\'s kept list at once', async () => {
  const admin = await S.adminToken();
  const lists = async () => (await Promise.all(Array.from({ length: 48 },
    () => S.req('GET', '/Auth/Keys', { token: admin })))).map((r) => {
    assert.equal(r.status, 200);
    return r.json.Items.map((k) => k.AppName);
  });
  for (let round = 0; round < 3; round++) await lists();     // every worker keeps it
  const app = unique('list-kept');
  const made = await S.req('POST', `/Auth/Keys?app=${app}`, { token: admin });
  assert.equal(made.status, 204);
  const after = await lists();
  assert.ok(after.every((names) => names.includes(app)), 'listed by every worker at once');
  const key = (await S.listKeys()).find((k) => k.AppName === app).AccessToken;
  S.remember(key);
  assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin }), 'revoke');
  const gone = await lists();
  assert.ok(gone.every((names) => !names.includes(app)), 'gone from every worker\'s list');
});

logsCleanTest(test, S);
