// Production faults on loopback: three `keyfin serve` instances on one
// database behind one nginx upstream (tests/integration/topology.mjs), then
// a worker killed under load, an instance lost under load, PostgreSQL
// restarted under load, a graceful stop under load, and three instances
// migrating an empty database at the same moment.  Every load is bounded in
// count and in time; the counts are printed so a run documents itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Stack, logsCleanTest, unique, pollUntil, randomHex, HEX32,
} from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology, boundedLoad, alive, psql } from './topology.mjs';

// One hook starts the stack and then the topology on its database (the
// harness's useStack() hook would not be awaited before this one).
const S = new Stack('production', { KEYFIN_WORKERS: '2' });
const T = new Topology(S);
let A; let B; let C;

before(async () => {
  await S.start();
  await T.init();
  [A, B, C] = await Promise.all(['A', 'B', 'C'].map((n) => T.startInstance(n, { workers: 2 })));
  await T.startNginx([A, B, C]);
}, { timeout: 240_000 });
after(async () => {
  await T.stop();
  await S.stop();
});
process.on('exit', () => T.stopSync());

const tokenHeader = (t, extra = '') => ({ Authorization: `MediaBrowser Token="${t}"${extra}` });
const keyHeader = (k) => tokenHeader(k, ', Client="Heimdall"');

// FastCGI straight to one instance, so the test knows which one answered.
async function on(inst, method, uri, token) {
  return request(inst.port, method, uri, { headers: token ? tokenHeader(token) : {} });
}

function tally(results, pick = (r) => r) {
  const out = {};
  for (const r of results) {
    const k = r.ok ? String(pick(r.value)) : `error:${r.error.code || r.error.message.slice(0, 40)}`;
    out[k] = (out[k] || 0) + 1;
  }
  return out;
}

test('three instances, one database: a key made on A works on B and C; revoked on B, refused on A and C', async () => {
  const admin = await S.adminToken();
  const app = unique('shared');
  assert.equal((await on(A, 'POST', `/Auth/Keys?app=${app}`, admin)).status, 204);
  const list = await on(A, 'GET', '/Auth/Keys', admin);
  const key = list.json.Items.at(-1).AccessToken;
  assert.equal(list.json.Items.at(-1).AppName, app);
  assert.match(key, HEX32);
  S.remember(key);
  for (const inst of [B, C]) {
    const r = await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) });
    assert.equal(r.status, 200, `instance ${inst.name} accepts a key made on A at once`);
  }
  assert.equal((await on(B, 'DELETE', `/Auth/Keys/${key}`, admin)).status, 204);
  for (const inst of [A, C]) {
    const r = await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) });
    assert.equal(r.status, 401, `instance ${inst.name} refuses a key revoked on B at once`);
  }
  assert.equal((await T.req('GET', '/System/Info', { token: key })).status, 401, 'and so does nginx');
});

test('1,000 keys created at once across the three: each listed exactly once, in creation order', async () => {
  const admin = await S.adminToken();
  const prefix = `bulk${randomHex(3)}-`;
  const TOTAL = 1000;
  let clock = 0;    // a logical clock: a send and an answer each tick it
  const spans = new Map();
  const results = await boundedLoad(TOTAL, 16, async (i) => {
    const app = `${prefix}${i}`;
    const start = ++clock;
    const r = await on([A, B, C][i % 3], 'POST', `/Auth/Keys?app=${app}`, admin);
    spans.set(app, { start, end: ++clock });
    return r.status;
  }, { deadlineMs: 180_000 });
  assert.equal(results.length, TOTAL, `all ${TOTAL} requests ran within the deadline`);
  assert.deepEqual(tally(results), { 204: TOTAL });

  for (const inst of [A, B, C]) {
    const r = await on(inst, 'GET', '/Auth/Keys', admin);
    assert.equal(r.status, 200);
    const mine = r.json.Items.filter((k) => k.AppName.startsWith(prefix));
    const names = mine.map((k) => k.AppName);
    assert.equal(mine.length, TOTAL, `${inst.name} lists ${TOTAL} keys`);
    assert.equal(new Set(names).size, TOTAL, `${inst.name}: each key once`);
    assert.equal(new Set(mine.map((k) => k.AccessToken)).size, TOTAL, 'distinct keys');
    for (const k of mine) S.remember(k.AccessToken);
    // Creation order: a key whose creation was answered before another's was
    // sent must be listed before it.
    let maxStart = 0;
    const late = [];
    for (const name of names) {
      const s = spans.get(name);
      if (s.end < maxStart) late.push(name);
      maxStart = Math.max(maxStart, s.start);
    }
    assert.deepEqual(late, [], `${inst.name}: no key listed after one created later`);
  }
  // ... and the list is the table in id order (ids increase, newest last).
  const db = await psql(T.dbUrl, `SELECT app_name FROM api_keys WHERE app_name LIKE '${prefix}%' ORDER BY id`);
  assert.equal(db.code, 0, db.stderr);
  const listed = (await on(A, 'GET', '/Auth/Keys', admin)).json.Items
    .map((k) => k.AppName).filter((n) => n.startsWith(prefix));
  assert.deepEqual(listed, db.stdout.trim().split('\n'), 'listed in id order');
});

test('a worker killed with -9 under load: replaced, the load goes on, only its request in flight may fail', async () => {
  const key = await S.createKey(unique('crash'));
  const before = T.workers(A);
  assert.equal(before.length, 2);
  const victim = before[0];
  let killedAt = -1;
  let replacedAt = -1;
  let done = 0;
  const TOTAL = 3000;
  const endedBeforeKill = new Set();
  const results = await boundedLoad(TOTAL, 8, async (i) => {
    if (done >= 200 && killedAt < 0) {
      killedAt = i;
      process.kill(victim, 'SIGKILL');
    }
    if (killedAt >= 0 && replacedAt < 0) {
      const now = T.workers(A);
      if (now.length === 2 && !now.includes(victim)) replacedAt = i;
    }
    try {
      const r = await request(A.port, 'GET', '/System/Info', { headers: keyHeader(key) });
      done += 1;
      return r.status;
    } finally {
      if (killedAt < 0) endedBeforeKill.add(i);
    }
  }, { deadlineMs: 90_000 });
  assert.ok(killedAt >= 0, 'the worker was killed during the load');
  if (replacedAt < 0) {
    const now = await pollUntil(() => {
      const w = T.workers(A);
      return w.length === 2 && !w.includes(victim);
    }, { attempts: 50, intervalMs: 100 });
    assert.ok(now, `worker ${victim} was replaced: ${T.workers(A)}`);
  }
  const failed = results.filter((r) => !r.ok || r.value !== 200);
  console.log(`worker crash: ${results.length} requests, killed at #${killedAt}, replaced by #${replacedAt}, ` +
    `failed ${failed.length}: ${JSON.stringify(tally(failed))}`);
  // A worker serves one FastCGI connection at a time: at most that one fails.
  assert.ok(failed.length <= 1, `at most the one request in flight on the killed worker failed: ${failed.length}`);
  // (the request in flight may have started well before the kill: under
  // ASan one can wait in the socket's queue while dozens of others finish)
  assert.ok(failed.every((r) => !endedBeforeKill.has(r.i)), 'nothing failed before the kill');
  if (replacedAt >= 0) {
    assert.equal(failed.filter((r) => r.i > replacedAt + 8).length, 0, 'nothing failed after the replacement');
  }
  assert.ok(results.length >= 1000, `the load went on: ${results.length} requests`);
  assert.match(A.log, /worker_died/);
});

test('an instance lost under load: nginx sends traffic to the others, and never replays a POST', async () => {
  const admin = await S.adminToken();
  const key = await S.createKey(unique('loss'));
  const prefix = `loss${randomHex(3)}-`;
  let killedAt = -1;
  let done = 0;
  const TOTAL = 900;
  const results = await boundedLoad(TOTAL, 12, async (i) => {
    if (done >= 150 && killedAt < 0) {
      killedAt = i;
      T.kill(C);
    }
    const post = i % 3 === 0;
    const r = post
      ? await T.req('POST', `/Auth/Keys?app=${prefix}${i}`, { token: admin })
      : await T.req('GET', '/System/Info', { token: key });
    done += 1;
    return { post, status: r.status };
  }, { deadlineMs: 120_000 });
  assert.ok(killedAt >= 0, 'the instance was lost during the load');
  await C.exit;

  const gets = results.filter((r) => !r.ok || !r.value.post);
  const posts = results.filter((r) => r.ok && r.value.post);
  const getFailed = gets.filter((r) => !r.ok || r.value.status !== 200);
  const created = posts.filter((r) => r.value.status === 204);
  const postFailed = posts.filter((r) => r.value.status !== 204);
  console.log(`instance loss: ${results.length} requests (${gets.length} GET, ${posts.length} POST), ` +
    `lost C at #${killedAt}; GET failed ${getFailed.length}, POST failed ${postFailed.length}: ` +
    `${JSON.stringify(tally(postFailed, (v) => v.status))}`);
  // nginx retries a GET on the next server when C drops it.
  assert.deepEqual(getFailed.map((r) => r.ok ? r.value.status : r.error.message), [],
    'no GET failed: nginx retried them on A and B');
  // A POST that C had received is not retried: only those may fail (503),
  // at most one per connection nginx had open to C: its 2 workers' plus what
  // waited in C's listen queue, i.e. never more than the 12 in flight.
  assert.ok(postFailed.every((r) => r.value.status === 503), 'a failed POST is a 503');
  assert.ok(postFailed.length <= 12, `POST failures bounded by the load's concurrency: ${postFailed.length}`);
  // (the 12 requests started just before the loss may have been on C)
  assert.ok(postFailed.every((r) => r.i >= killedAt - 12), 'no POST failed before the loss');
  assert.equal(postFailed.filter((r) => r.i >= killedAt + 30).length, 0, 'none failed once C was known dead');

  const listed = (await T.req('GET', '/Auth/Keys', { token: admin })).json.Items
    .map((k) => k.AppName).filter((n) => n.startsWith(prefix));
  assert.equal(new Set(listed).size, listed.length, 'no POST was replayed: each app name is listed once');
  for (const r of created) assert.ok(listed.includes(`${prefix}${r.i}`), `key of 204 #${r.i} listed`);
  // A key C committed but could not answer for (503) may exist: never more.
  assert.ok(listed.length >= created.length && listed.length <= created.length + postFailed.length,
    `listed ${listed.length} keys for ${created.length} 204s and ${postFailed.length} failed POSTs`);
});

test('PostgreSQL restarted under load: 503 while down, never 401 or a crash; then every instance serves again, nothing lost', async () => {
  const admin = await S.adminToken();
  const key = await S.createKey(unique('pgload'));
  const beforeKeys = (await T.req('GET', '/Auth/Keys', { token: admin })).json.Items;
  const prefix = `pgr${randomHex(3)}-`;
  const live = [A, B];
  const diedBefore = live.map((i) => (i.log.match(/worker_died/g) || []).length);

  let phase = 'up';
  let seen503 = false;
  let answered = 0;
  const TOTAL = 3000;
  const load = boundedLoad(TOTAL, 8, async (i) => {
    const post = i % 4 === 0;
    const r = post
      ? await T.req('POST', `/Auth/Keys?app=${prefix}${i}`, { token: admin })
      : await T.req('GET', '/System/Info', { token: key });
    if (r.status === 503) seen503 = true;
    answered += 1;
    return { post, status: r.status, phase };
  }, { deadlineMs: 120_000, stop: () => phase === 'done' });

  assert.ok(await pollUntil(() => answered >= 100, { attempts: 200, intervalMs: 50 }), 'the load runs');
  const stop = await S.stack(['pg-stop']);
  assert.equal(stop.code, 0, stop.stderr);
  phase = 'down';
  assert.ok(await pollUntil(() => seen503, { attempts: 100, intervalMs: 50 }), 'a 503 while PostgreSQL is down');
  const start = await S.stack(['pg-start']);
  assert.equal(start.code, 0, start.stderr);
  phase = 'back';
  // Every instance serves again without a restart (bounded poll).
  for (const inst of live) {
    const ok = await pollUntil(async () =>
      (await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) })).status === 200,
    { attempts: 100, intervalMs: 100 });
    assert.ok(ok, `instance ${inst.name} serves again after PostgreSQL came back`);
  }
  // some more load with PostgreSQL back, then stop the loop
  const mark = answered;
  await pollUntil(() => answered >= mark + 100, { attempts: 200, intervalMs: 50 });
  phase = 'done';
  const results = await load;

  const statuses = tally(results, (v) => `${v.post ? 'POST' : 'GET'} ${v.status}`);
  console.log(`PostgreSQL restart: ${results.length} requests: ${JSON.stringify(statuses)}`);
  const bad = results.filter((r) => !r.ok || ![200, 204, 503].includes(r.value.status));
  assert.deepEqual(bad.map((r) => (r.ok ? r.value.status : r.error.message)), [],
    'only 200/204 and 503: never a 401, a 500 or a dropped connection');
  assert.ok(results.some((r) => r.ok && r.value.status === 503), 'some requests saw the outage');
  live.forEach((inst, n) => {
    assert.equal((inst.log.match(/worker_died/g) || []).length, diedBefore[n], `no worker of ${inst.name} crashed`);
  });

  // nginx left the instances out for fail_timeout (2 s) after their last
  // 503 (fastcgi_next_upstream http_503): it serves again after that.
  const listed = await pollUntil(async () => {
    const r = await T.req('GET', '/Auth/Keys', { token: admin });
    return r.status === 200 ? r : null;
  }, { attempts: 40, intervalMs: 250 });
  assert.ok(listed, 'nginx serves again once fail_timeout has passed');
  const afterItems = listed.json.Items;
  // ... one instance at least: the next test needs all of them.
  await T.settle();
  const afterKeys = new Set(afterItems.map((k) => k.AccessToken));
  for (const k of beforeKeys) assert.ok(afterKeys.has(k.AccessToken), `key of ${k.AppName} made before is kept`);
  const mine = afterItems.filter((k) => k.AppName.startsWith(prefix));
  const created = results.filter((r) => r.ok && r.value.post && r.value.status === 204);
  const refused = results.filter((r) => r.ok && r.value.post && r.value.status === 503);
  console.log(`PostgreSQL restart: ${created.length} keys answered 204, ${refused.length} POSTs 503, ${mine.length} listed`);
  assert.equal(new Set(mine.map((k) => k.AppName)).size, mine.length, 'each created key once');
  for (const r of created) {
    assert.ok(mine.some((k) => k.AppName === `${prefix}${r.i}`), `the key answered 204 (#${r.i}) is listed`);
  }
  // A commit whose answer was lost as the server went down may leave a key
  // behind a 503; nothing else may.
  assert.ok(mine.length >= created.length && mine.length <= created.length + refused.length,
    `listed ${mine.length} for ${created.length} 204s`);
  // None half-created: every listed key works, on every instance.
  for (const [n, k] of mine.entries()) {
    S.remember(k.AccessToken);
    const inst = live[n % live.length];
    const r = await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(k.AccessToken) });
    assert.equal(r.status, 200, `listed key ${k.AppName} works on ${inst.name}`);
  }
});

test('graceful stop under load: SIGTERM finishes the requests in flight and exits in bounded time', async () => {
  const key = await S.createKey(unique('term'));
  // Through nginx: B stops while a GET load runs; no client sees a failure.
  let termAt = -1;
  let done = 0;
  const results = await boundedLoad(1500, 8, async (i) => {
    if (done >= 200 && termAt < 0) {
      termAt = i;
      B.child.kill('SIGTERM');
    }
    const r = await T.req('GET', '/System/Info', { token: key });
    done += 1;
    return r.status;
  }, { deadlineMs: 90_000 });
  assert.ok(termAt >= 0, 'B got SIGTERM during the load');
  const t0 = Date.now();
  assert.deepEqual(await T.waitExit(B, 40_000), { code: 0, signal: null }, 'B exits 0');
  console.log(`graceful stop via nginx: ${results.length} requests, SIGTERM at #${termAt}, exit after ` +
    `${Date.now() - t0} ms more: ${JSON.stringify(tally(results))}`);
  assert.deepEqual(tally(results), { 200: results.length }, 'every request answered 200');
  assert.match(B.log, /finishing requests in flight/);
  assert.doesNotMatch(B.log, /still busy/, 'no worker had to be killed');

  // Straight to an instance over FastCGI: every request it accepted is
  // answered in full.  A connection still in the kernel's listen queue when
  // the socket closes is reset without a byte (keyfin never saw it), and a
  // connection after that is refused; nothing else may happen.
  const D = await T.startInstance('D', { workers: 2 });
  let dTermAt = -1;
  let dDone = 0;
  const direct = await boundedLoad(2000, 6, async (i) => {
    if (dDone >= 200 && dTermAt < 0) {
      dTermAt = i;
      D.child.kill('SIGTERM');
    }
    const r = await request(D.port, 'GET', '/System/Info', { headers: keyHeader(key) });
    dDone += 1;
    return r.status;
  }, { deadlineMs: 60_000, stop: () => D.exited !== null && dDone > 0 });
  assert.deepEqual(await T.waitExit(D, 40_000), { code: 0, signal: null }, 'D exits 0');
  const counts = tally(direct);
  console.log(`graceful stop direct: ${direct.length} requests, SIGTERM at #${dTermAt}: ${JSON.stringify(counts)}`);
  for (const k of Object.keys(counts)) {
    assert.ok(['200', 'error:ECONNREFUSED', 'error:ECONNRESET'].includes(k),
      `only full answers, refused or reset-before-accept connections: ${k}`);
  }
  assert.ok((counts['error:ECONNRESET'] || 0) <= 6, 'resets bounded by the connections that could wait in the queue');
  // (the 6 requests started just before the signal may still have been queued)
  assert.ok(direct.filter((r) => r.i < dTermAt - 6).every((r) => r.ok && r.value === 200),
    'all 200 before SIGTERM');
});

test('three instances started at the same moment on an empty database migrate it exactly once', async () => {
  const db = `mig_${randomHex(4)}`;
  const made = await psql(T.dbUrl, `CREATE DATABASE ${db}`);
  assert.equal(made.code, 0, made.stderr);
  const url = T.dbUrl.replace(/\/keyfin\?/, `/${db}?`);
  assert.notEqual(url, T.dbUrl);
  const env = { KEYFIN_DATABASE_URL: url, KEYFIN_MIGRATE_ON_START: 'on' };
  const three = await Promise.all(['M1', 'M2', 'M3'].map((n) => T.startInstance(n, { workers: 1, env, wait: false })));
  for (const inst of three) await T.waitUp(inst);

  const rows = await psql(url, 'SELECT count(*), count(DISTINCT version) FROM keyfin_migrations');
  const [count, distinct] = rows.stdout.trim().split('|').map(Number);
  const files = (await import('node:fs')).readdirSync(new URL('../../sql/', import.meta.url))
    .filter((f) => /^\d+_.*\.sql$/.test(f)).length;
  assert.equal(count, files, `each of the ${files} migrations recorded: ${rows.stdout}`);
  assert.equal(distinct, files, 'and recorded once');
  const applied = three.map((i) => Number((i.log.match(/(\d+) migration\(s\) applied/) || [])[1] || 0));
  console.log(`migrate on start: applied per instance ${JSON.stringify(applied)}`);
  assert.equal(applied.reduce((a, b) => a + b, 0), files, `the migrations were applied once in all: ${applied}`);
  const server = await psql(url, 'SELECT count(*) FROM keyfin_server');
  assert.equal(server.stdout.trim(), '1', 'one server Id');
  const ids = await Promise.all(three.map(async (i) => (await request(i.port, 'GET', '/System/Info/Public')).json.Id));
  assert.equal(new Set(ids).size, 1, `one server Id on all three: ${ids}`);
  for (const inst of three) {
    inst.child.kill('SIGTERM');
    assert.deepEqual(await T.waitExit(inst), { code: 0, signal: null });
  }
});

test('[production] topology logs hold no key, token or password', async () => {
  await T.stop();
  assert.ok(!alive(A.pid) && !alive(C.pid), 'the instances are gone');
  T.assertLogsClean();
});

logsCleanTest(test, S);
