// The database fails the way it does in production, not only by stopping:
//
//   - a blackhole: every packet between one instance and PostgreSQL dropped
//     (iptables DROP, both directions: a partition or a dead machine);
//   - a frozen server: SIGSTOP to every PostgreSQL process for 5 s.
//
// Two `keyfin serve` instances behind one nginx (tests/integration/
// topology.mjs): A reaches PostgreSQL over TCP at 127.0.0.2 (the address the
// test cuts), B through the unix socket.  Every request must be answered
// within KEYFIN_DB_TIMEOUT + 1 s (503 when the database cannot answer, never
// a hang, a 500 or a 401 for a valid key), and each instance serves again by
// itself soon after.  Loads are bounded in count and time; the figures are
// printed so that a run documents itself.
//
// iptables rules live in a chain of their own, named after the PostgreSQL
// port, and are removed in `after` and on exit whatever happens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Stack, logsCleanTest, unique, pollUntil } from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology, boundedLoad, childrenOf } from './topology.mjs';

const DB_TIMEOUT_MS = 2000;            // keyfin's default KEYFIN_DB_TIMEOUT
const BOUND_MS = DB_TIMEOUT_MS + 1000;  // what any request may take
const CUT_ADDR = '127.0.0.2';

const S = new Stack('dbfault', { KEYFIN_WORKERS: '2', KEYFIN_PG_LISTEN: CUT_ADDR });
const T = new Topology(S);
let A; let B; let chain = null;

function iptables(...args) {
  execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

// Drop everything to and from CUT_ADDR:port on the way in: the sender's
// packets leave normally (no error comes back, as with a dead peer).
function cut() {
  chain = `KEYFIN_CUT_${S.pgPort}`;
  iptables('-N', chain);
  iptables('-A', chain, '-p', 'tcp', '-d', CUT_ADDR, '--dport', String(S.pgPort), '-j', 'DROP');
  iptables('-A', chain, '-p', 'tcp', '-s', CUT_ADDR, '--sport', String(S.pgPort), '-j', 'DROP');
  iptables('-I', 'INPUT', '-j', chain);
}

function heal() {
  if (!chain) return;
  const c = chain;
  chain = null;
  for (const args of [['-D', 'INPUT', '-j', c], ['-F', c], ['-X', c]]) {
    try { iptables(...args); } catch { /* already gone */ }
  }
}

function postgresPids() {
  const pid = Number(fs.readFileSync(path.join(S.dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return [pid, ...childrenOf(pid)];
}

function signalAll(pids, sig) {
  for (const p of pids) try { process.kill(p, sig); } catch { /* gone */ }
}

before(async () => {
  await S.start();
  await T.init();
  B = await T.startInstance('B', { workers: 2 });
  A = await T.startInstance('A', {
    workers: 2,
    env: { KEYFIN_DATABASE_URL: `postgresql://keyfin@${CUT_ADDR}:${S.pgPort}/keyfin` },
  });
  await T.startNginx([A, B]);
}, { timeout: 240_000 });
after(async () => {
  heal();
  await T.stop();
  await S.stop();
});
process.on('exit', () => { heal(); T.stopSync(); });

const keyHeader = (k) => ({ Authorization: `MediaBrowser Token="${k}", Client="Heimdall"` });

// One request, timed.
async function timed(call) {
  const t0 = Date.now();
  try {
    const r = await call();
    return { status: r.status, ms: Date.now() - t0, retryAfter: r.headers['retry-after'] };
  } catch (e) {
    return { status: `error:${e.code || e.message.slice(0, 40)}`, ms: Date.now() - t0 };
  }
}

function tally(list) {
  const out = {};
  for (const r of list) out[r.status] = (out[r.status] || 0) + 1;
  return out;
}

// Until `inst` answers 200 again with `key`: the milliseconds it took.
async function recovery(inst, key, since) {
  const ok = await pollUntil(async () =>
    (await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) })).status === 200,
  { attempts: 200, intervalMs: 25 });
  assert.ok(ok, `instance ${inst.name} serves again`);
  return Date.now() - since;
}

// A load through nginx until stop(): GETs with a key, and a POST now and
// then (never sent twice by nginx).
function load(admin, key, prefix, stop) {
  return boundedLoad(20_000, 6, async (i) => {
    const post = i % 10 === 0;
    const r = await timed(() => (post
      ? T.req('POST', `/Auth/Keys?app=${prefix}${i}`, { token: admin, timeout: 15_000 })
      : T.req('GET', '/System/Info', { token: key, timeout: 15_000 })));
    return { ...r, post, i };
  }, { deadlineMs: 60_000, stop });
}

// The key list through nginx, once nginx has both instances back (it
// leaves one out for fail_timeout after a 503).
async function listKeys(admin) {
  const r = await pollUntil(async () => {
    const x = await T.req('GET', '/Auth/Keys', { token: admin });
    return x.status === 200 ? x : null;
  }, { attempts: 40, intervalMs: 250 });
  assert.ok(r, 'the key list answers again');
  return r.json.Items;
}

function checkLoad(label, results, { allow503Get }) {
  const values = results.map((r) => (r.ok ? r.value : { status: 'error', ms: 0 }));
  const gets = values.filter((v) => !v.post);
  const posts = values.filter((v) => v.post);
  const slowest = Math.max(...values.map((v) => v.ms));
  console.log(`${label}: ${values.length} requests through nginx; GET ${JSON.stringify(tally(gets))}, ` +
    `POST ${JSON.stringify(tally(posts))}; slowest ${slowest} ms`);
  for (const v of values) {
    assert.ok([200, 204, 503].includes(v.status), `${label}: only 200/204/503, got ${v.status}`);
    assert.ok(v.ms <= BOUND_MS, `${label}: a request took ${v.ms} ms (bound ${BOUND_MS})`);
    if (v.status === 503) assert.ok(v.retryAfter, `${label}: 503 with Retry-After`);
  }
  if (!allow503Get) {
    const bad = gets.filter((v) => v.status !== 200).length;
    // the GETs A had taken when the cut began may end 503 (nginx does not
    // retry past fastcgi_next_upstream_timeout); every other is B's 200
    assert.ok(bad <= 8, `${label}: ${bad} GETs not served (of ${gets.length})`);
  }
  return { values, slowest };
}

test('blackhole between one instance and PostgreSQL: 503 within the bound, the other serves, back by itself', async () => {
  const admin = await S.adminToken();
  const key = await S.createKey(unique('blackhole'));
  for (const inst of [A, B]) {
    assert.equal((await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) })).status, 200);
  }
  const prefix = `bh${Date.now() % 100000}-`;
  let stop = false;
  const running = load(admin, key, prefix, () => stop);
  try {
    await blackhole(key);
  } finally {
    heal();
    stop = true;
  }
  const { values } = checkLoad('blackhole', await running, { allow503Get: false });

  // Nothing half-made: a POST answered 204 made its key; one answered 503
  // on the cut instance made none (its packets never reached the server,
  // and the connection was reset, not closed, so none can arrive later).
  const items = await listKeys(admin);
  const mine = new Set(items.filter((k) => k.AppName.startsWith(prefix)).map((k) => k.AppName));
  for (const v of values.filter((x) => x.post)) {
    if (v.status === 204) assert.ok(mine.has(`${prefix}${v.i}`), `key #${v.i} answered 204 is listed`);
    if (v.status === 503) assert.ok(!mine.has(`${prefix}${v.i}`), `key #${v.i} answered 503 was not made`);
  }
  assert.match(A.log, /db_timeout/, 'A logged the timeout');
  const metrics = (await request(A.port, 'GET', '/metrics')).body;
  const timeouts = Number((metrics.match(/^keyfin_db_timeouts_total (\d+)$/m) || [])[1]);
  assert.ok(timeouts >= 2, `A counted its timeouts in /metrics (${timeouts})`);
  await T.settle();
});

async function blackhole(key) {
  await new Promise((r) => setTimeout(r, 300));       // the load is under way
  cut();
  const cutAt = Date.now();
  // A worker may answer from memory while it read the revocation counter
  // within KEYFIN_AUTH_CACHE_MS (50 ms); after that, only the database can.
  await new Promise((r) => setTimeout(r, 100));

  // Requests straight to the cut instance, four at once (more than its
  // workers): each answered 503 within the bound.
  const direct = await Promise.all(Array.from({ length: 4 }, () => timed(() =>
    request(A.port, 'GET', '/System/Info', { headers: keyHeader(key) }))));
  console.log(`blackhole: 4 parallel GETs to A: ${JSON.stringify(direct.map((d) => [d.status, d.ms]))}`);
  for (const d of direct) {
    assert.equal(d.status, 503, 'the cut instance says 503');
    assert.ok(d.ms <= BOUND_MS, `answered in ${d.ms} ms`);
  }
  // Its readiness says so, within the bound too.
  const ready = await timed(() => request(A.port, 'GET', '/health/ready'));
  assert.equal(ready.status, 503, '/health/ready of the cut instance');
  assert.ok(ready.ms <= BOUND_MS, `/health/ready answered in ${ready.ms} ms`);
  const healthB = await request(B.port, 'GET', '/health/ready');
  assert.equal(healthB.status, 200, "the other instance's /health/ready");
  await new Promise((r) => setTimeout(r, 4000));      // the cut lasts a while under load

  heal();
  const healedAt = Date.now();
  const back = await recovery(A, key, healedAt);
  console.log(`blackhole: cut for ${healedAt - cutAt} ms; A served again ${back} ms after the heal`);
  assert.ok(back <= 2000, `A serves again within 2 s of the heal (${back} ms)`);
  // ... and says so: each of its workers reconnects on its own next request
  // (its first attempt after the heal may still be waiting out its pacing)
  const readyAgain = await pollUntil(async () => (await request(A.port, 'GET', '/health/ready')).status === 200,
    { attempts: 80, intervalMs: 25 });
  assert.ok(readyAgain, 'A is ready again');
  const readyMs = Date.now() - healedAt;
  console.log(`blackhole: A's /health/ready said 200 again ${readyMs} ms after the heal`);
  assert.ok(readyMs <= 2500, `A is ready within about 2 s of the heal (${readyMs} ms)`);
}

test('frozen PostgreSQL (SIGSTOP for 5 s) under load: every request answered within the bound, then both serve', async () => {
  const admin = await S.adminToken();
  const key = await S.createKey(unique('frozen'));
  const prefix = `fz${Date.now() % 100000}-`;
  let stop = false;
  const running = load(admin, key, prefix, () => stop);
  try {
    await frozen(key);
  } finally {
    stop = true;
  }
  const { values } = checkLoad('frozen', await running, { allow503Get: true });
  assert.ok(values.some((v) => v.status === 503), 'the load saw the freeze');
  const items = await listKeys(admin);
  const mine = new Set(items.filter((k) => k.AppName.startsWith(prefix)).map((k) => k.AppName));
  for (const v of values.filter((x) => x.post && x.status === 204)) {
    assert.ok(mine.has(`${prefix}${v.i}`), `key #${v.i} answered 204 is listed`);
  }
});

async function frozen(key) {
  await new Promise((r) => setTimeout(r, 300));
  const pids = postgresPids();
  signalAll(pids, 'SIGSTOP');
  let thawedAt;
  try {
    await new Promise((r) => setTimeout(r, 100));     // past KEYFIN_AUTH_CACHE_MS
    const during = await Promise.all([A, B, A, B].map((inst) => timed(() =>
      request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) }))));
    console.log(`frozen: 4 parallel GETs to A and B: ${JSON.stringify(during.map((d) => [d.status, d.ms]))}`);
    for (const d of during) {
      assert.equal(d.status, 503, 'a frozen database is a 503');
      assert.ok(d.ms <= BOUND_MS, `answered in ${d.ms} ms`);
    }
    const ready = await timed(() => request(B.port, 'GET', '/health/ready'));
    assert.equal(ready.status, 503, '/health/ready while frozen');
    assert.ok(ready.ms <= BOUND_MS, `/health/ready answered in ${ready.ms} ms`);
    await new Promise((r) => setTimeout(r, 5000 - 2 * BOUND_MS > 0 ? 5000 - 2 * BOUND_MS : 0));
  } finally {
    signalAll(pids, 'SIGCONT');
    thawedAt = Date.now();
  }
  const backA = await recovery(A, key, thawedAt);
  const backB = await recovery(B, key, thawedAt);
  console.log(`frozen: A served again ${backA} ms, B ${backB} ms after SIGCONT`);
  assert.ok(Math.max(backA, backB) <= 2000, 'both serve again within 2 s');
}

test('[dbfault] topology logs hold no key, token or password', async () => {
  await T.stop();
  T.assertLogsClean();
});

logsCleanTest(test, S);
