// The memory window (how long a worker may answer from its memory of who a
// token is, and so how long a revoking answer is held back) comes from the
// database, the same for every instance: `keyfin auth-cache set MS` changes
// it, and KEYFIN_AUTH_CACHE_MS can only lower a worker's own window below
// it, never raise it.
//
// The case that showed the hazard (issue 20): two instances on one
// database, the second started with KEYFIN_AUTH_CACHE_MS=1000; a key is
// made to be remembered by every worker of the second, revoked through the
// first, and sent to the second 48 times at once right after the DELETE's
// 204.  When each instance took its window from its own environment, 46 of
// the 48 were still accepted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Stack, logsCleanTest, unique, psql, ROOT } from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology } from './topology.mjs';

const WORKERS = 4;
const S = new Stack('window', { KEYFIN_WORKERS: '2' });
const T = new Topology(S);
let A; let B; let C;

before(async () => {
  await S.start();
  await T.init();
  // A: no setting; B: asks for a whole second; C: asks for no memory at all
  [A, B, C] = await Promise.all([
    T.startInstance('A', { workers: WORKERS }),
    T.startInstance('B', { workers: WORKERS, env: { KEYFIN_AUTH_CACHE_MS: '1000' } }),
    T.startInstance('C', { workers: WORKERS, env: { KEYFIN_AUTH_CACHE_MS: '0' } }),
  ]);
}, { timeout: 180_000 });
after(async () => {
  await T.stop();
  await S.stop();
});
process.on('exit', () => T.stopSync());

const BIN = process.env.KEYFIN_BIN || path.join(ROOT, 'build', 'keyfin');

// The command line on the stack's database (its environment, no KEYFIN_AUTH_CACHE_MS).
async function cli(args) {
  const env = {
    PATH: process.env.PATH,
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(ASAN|UBSAN)_OPTIONS$/.test(k))),
    KEYFIN_DATABASE_URL: T.dbUrl,
    KEYFIN_SECRET_FILE: path.join(S.dir, 'secret'),
  };
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(BIN, args, { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({
      code: err ? (err.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started,
    }));
  });
}

const keyHeader = (k) => ({ Authorization: `MediaBrowser Token="${k}", Client="Heimdall"` });

function remembered(metrics) {
  const m = metrics.match(/^keyfin_auth_remembered_total (\d+)$/m);
  return m ? Number(m[1]) : 0;
}

async function rememberedOf(inst) {
  return remembered((await request(inst.port, 'GET', '/metrics')).body);
}

// n requests at once to one instance; their statuses.
async function burst(inst, key, n = 48) {
  const rs = await Promise.all(Array.from({ length: n },
    () => request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) })));
  return rs.map((r) => r.status);
}

function tally(list) {
  const out = {};
  for (const x of list) out[x] = (out[x] || 0) + 1;
  return out;
}

// Bursts until every worker of `inst` has answered the key from memory
// (bounded); returns how many answers came from memory.
async function warm(inst, key) {
  const before0 = await rememberedOf(inst);
  for (let round = 0; round < 5; round++) {
    assert.deepEqual(tally(await burst(inst, key)), { 200: 48 }, `${inst.name} accepts the key`);
  }
  return (await rememberedOf(inst)) - before0;
}

// Make a key, have B remember it, revoke it through A, and send it to B 48
// times at once as soon as the 204 came.  Returns the statuses and the
// DELETE's time.
async function revokeThroughA(label) {
  const admin = await S.adminToken();
  const key = await S.createKey(unique(label));
  const fromMemory = await warm(B, key);
  assert.ok(fromMemory >= 100, `B answered from memory (${fromMemory} of 240)`);
  const started = Date.now();
  const del = await request(A.port, 'DELETE', `/Auth/Keys/${key}`,
    { headers: { Authorization: `MediaBrowser Token="${admin}"` } });
  const deleteMs = Date.now() - started;
  assert.equal(del.status, 204, 'revoked through A');
  return { statuses: await burst(B, key), deleteMs };
}

test('a key revoked through one instance is refused 48/48 by another started with KEYFIN_AUTH_CACHE_MS=1000', async () => {
  const figures = [];
  for (let round = 0; round < 3; round++) {
    const { statuses, deleteMs } = await revokeThroughA('win-mismatch');
    figures.push(`round ${round}: ${JSON.stringify(tally(statuses))} (DELETE ${deleteMs} ms)`);
    assert.deepEqual(tally(statuses), { 401: 48 }, `round ${round}: refused by every worker of B`);
  }
  console.log(`mismatched KEYFIN_AUTH_CACHE_MS, after DELETE's 204, B answered: ${figures.join('; ')}`);
});

test('the database holds the window: `keyfin auth-cache` shows it, migrate made it 50 ms', async () => {
  const shown = await cli(['auth-cache']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^50\n$/, 'the window a fresh database gets');
  const row = await psql(T.dbUrl, 'SELECT auth_cache_ms, auth_cache_ms_previous IS NULL FROM keyfin_revocations');
  assert.equal(row.stdout.trim(), '50|t');
  const bad = await cli(['auth-cache', 'set', '1001']);
  assert.equal(bad.code, 2, 'above 1000 ms is refused');
  assert.match(bad.stderr, /0 to 1000/);
  const bad2 = await cli(['auth-cache', 'set', 'soon']);
  assert.equal(bad2.code, 2);
});

test('an instance whose environment asks for less remembers less: 0 is no memory', async () => {
  const key = await S.createKey(unique('win-zero'));
  const fromMemory = await warm(C, key);
  assert.equal(fromMemory, 0, 'C (KEYFIN_AUTH_CACHE_MS=0) answered nothing from memory');
});

test('raising the window in the database raises every hold; the environment never raises it past the database', async () => {
  const set = await cli(['auth-cache', 'set', '300']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stderr, /300 ms/);
  const { statuses, deleteMs } = await revokeThroughA('win-raised');
  console.log(`window 300 ms: DELETE through A took ${deleteMs} ms; B then answered ${JSON.stringify(tally(statuses))}`);
  assert.deepEqual(tally(statuses), { 401: 48 }, 'refused by every worker of B');
  assert.ok(deleteMs >= 300, `the DELETE was held for the database's window (${deleteMs} ms)`);
  assert.ok(deleteMs < 1000, `... not for B's KEYFIN_AUTH_CACHE_MS=1000 (${deleteMs} ms)`);
  // the command line's revoke waits as long
  const key = await S.createKey(unique('win-cli'));
  const revoke = await cli(['key', 'revoke', key]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.ok(revoke.ms >= 300, `keyfin key revoke returned after the window (${revoke.ms} ms)`);
  // an audit record says who changed it
  const audit = await psql(T.dbUrl, "SELECT target FROM audit_log WHERE event = 'settings.auth_cache' ORDER BY id DESC LIMIT 1");
  assert.match(audit.stdout, /50 ms to 300 ms/);
});

test('lowering the window: until every worker is past the old one, revocations still wait the old one', async () => {
  let r = await cli(['auth-cache', 'set', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const admin = await S.adminToken();
  const key = await S.createKey(unique('win-lower'));
  assert.ok(await warm(B, key) >= 100, 'B remembers the key, having read a window of 1000 ms');
  // lower it; while the command waits out the old window, revoke through A
  const lowering = cli(['auth-cache', 'set', '50']);
  const during = await (async () => {
    for (let i = 0; i < 100; i++) {
      const row = await psql(T.dbUrl, 'SELECT auth_cache_ms FROM keyfin_revocations');
      if (row.stdout.trim() === '50') return true;
      await new Promise((res) => setTimeout(res, 5));
    }
    return false;
  })();
  assert.ok(during, 'the new window is in the database');
  const started = Date.now();
  const del = await request(A.port, 'DELETE', `/Auth/Keys/${key}`,
    { headers: { Authorization: `MediaBrowser Token="${admin}"` } });
  const deleteMs = Date.now() - started;
  assert.equal(del.status, 204);
  const statuses = await burst(B, key);
  console.log(`lowering 1000 -> 50 ms: DELETE held ${deleteMs} ms; B then answered ${JSON.stringify(tally(statuses))}`);
  assert.deepEqual(tally(statuses), { 401: 48 }, 'refused by every worker of B');
  r = await lowering;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms >= 1000, `the command returned once the old window was over (${r.ms} ms)`);
  const row = await psql(T.dbUrl, 'SELECT auth_cache_ms, auth_cache_ms_previous IS NULL FROM keyfin_revocations');
  assert.equal(row.stdout.trim(), '50|t', 'the old window is forgotten');
  // and now a revocation waits the new one only
  const again = await revokeThroughA('win-lowered');
  assert.deepEqual(tally(again.statuses), { 401: 48 });
  assert.ok(again.deleteMs < 300, `DELETE held for 50 ms again (${again.deleteMs} ms)`);
});

test('[window] topology logs hold no key, token or password', async () => {
  await T.stop();
  T.assertLogsClean();
});

logsCleanTest(test, S);
