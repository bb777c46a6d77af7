// PostgreSQL goes away and comes back: keyfin answers 503 (never 401, never
// a 500, never a hang) and the workers recover by themselves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, logsCleanTest, unique, pollUntil } from './harness.mjs';

const S = useStack('outage');

// A bound on every request while the database is away: a worker must not
// hang on a dead connection.
const OUTAGE_TIMEOUT_MS = 20_000;

test('database outage: 503 while down, recovery without a restart', async () => {
  const key = await S.createKey(unique('outage'));
  const admin = await S.adminToken();
  const u = await S.createUser();
  const session = await S.loginToken(u.name, u.password);
  assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
  const listBefore = await S.listKeys();

  const down = await S.stack(['pg-stop']);
  assert.equal(down.code, 0, `pg-stop: ${down.stderr}`);
  let restarted = false;
  try {
    // Ask more times than there are workers, so every worker meets the
    // outage (each has its own connection).
    for (let i = 0; i < 6; i++) {
      const r = await S.req('GET', '/System/Info', { token: key, timeout: OUTAGE_TIMEOUT_MS });
      assert.equal(r.status, 503, `key during outage (#${i}): ${r.status} ${r.body}`);
      assert.match(r.headers['x-response-time-ms'] || '', /^\d+$/, 'keyfin itself answered the 503');
      assert.ok(r.body === '' || (r.body.length < 1024 && r.json !== undefined), `503 body empty or small JSON: ${r.body}`);
    }
    const checks = [
      ['GET /System/Info (session)', () => S.req('GET', '/System/Info', { token: session.token, timeout: OUTAGE_TIMEOUT_MS })],
      ['GET /Auth/Keys (admin)', () => S.req('GET', '/Auth/Keys', { token: admin, timeout: OUTAGE_TIMEOUT_MS })],
      ['POST /Auth/Keys', () => S.req('POST', `/Auth/Keys?app=${unique('during')}`, { token: admin, timeout: OUTAGE_TIMEOUT_MS })],
      ['DELETE /Auth/Keys', () => S.req('DELETE', `/Auth/Keys/${key}`, { token: admin, timeout: OUTAGE_TIMEOUT_MS })],
      ['GET /Users/Me', () => S.req('GET', '/Users/Me', { token: session.token, timeout: OUTAGE_TIMEOUT_MS })],
      ['login', () => S.login(u.name, u.password)],
      ['?ApiKey=', () => S.req('GET', `/System/Info?ApiKey=${key}`, { timeout: OUTAGE_TIMEOUT_MS })],
    ];
    for (const [label, call] of checks) {
      const r = await call();
      assert.equal(r.status, 503, `${label} during outage: ${r.status} ${r.body}`);
    }
    // Endpoints that may not need the database: fine or 503, never a crash.
    for (const p of ['/System/Ping', '/System/Info/Public']) {
      const r = await S.req('GET', p, { timeout: OUTAGE_TIMEOUT_MS });
      assert.ok(r.status === 200 || r.status === 503, `${p} during outage: ${r.status}`);
    }
    // Unknown credentials are not "unknown" while nobody can check them.
    const unknown = await S.req('GET', '/System/Info', { token: 'ffffffffffffffffffffffffffffffff', timeout: OUTAGE_TIMEOUT_MS });
    assert.equal(unknown.status, 503, `unknown token during outage (cannot be known to be unknown): ${unknown.status}`);
    // Anonymous requests need no database to be refused.
    const anon = await S.req('GET', '/System/Info', { timeout: OUTAGE_TIMEOUT_MS });
    assert.ok(anon.status === 401 || anon.status === 503, `anonymous during outage: ${anon.status}`);

    const up = await S.stack(['pg-start']);
    assert.equal(up.code, 0, `pg-start: ${up.stderr}`);
    restarted = true;
  } finally {
    if (!restarted) await S.stack(['pg-start']);
  }

  // Bounded poll: 80 × 250 ms ≈ 20 s, plus request time.
  const back = await pollUntil(async () => {
    const r = await S.req('GET', '/System/Info', { token: key, timeout: 5_000 });
    return r.status === 200 ? r : null;
  }, { attempts: 80, intervalMs: 250 });
  assert.ok(back, 'GET /System/Info with the key is 200 again after PostgreSQL came back');

  // Every worker recovered: several calls in a row all succeed.
  for (let i = 0; i < 6; i++) {
    const r = await S.req('GET', '/System/Info', { token: key });
    assert.equal(r.status, 200, `after recovery (#${i}): ${r.status}`);
    const s = await S.req('GET', '/Users/Me', { token: session.token });
    assert.equal(s.status, 200, `session after recovery (#${i}): ${s.status}`);
  }
  // Nothing was created or deleted by the calls that got a 503.
  const listAfter = await S.listKeys();
  assert.deepEqual(listAfter.map((k) => k.AccessToken), listBefore.map((k) => k.AccessToken));
  // And writes work again.
  const fresh = await S.createKey(unique('after'));
  assert.equal((await S.req('GET', '/System/Info', { token: fresh })).status, 200);
});

logsCleanTest(test, S);
