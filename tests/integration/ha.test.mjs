// keyfin on a real high-availability PostgreSQL: Patroni 3.0 over etcd 3.4,
// a primary and a synchronous standby (deploy/ha, run by
// tests/integration/hacluster.mjs on loopback ports), two `keyfin serve`
// instances behind one nginx, all pointed at the multi-host URL
//
//   postgresql://keyfin@127.0.0.1:P1,127.0.0.1:P2/keyfin?target_session_attrs=read-write
//
// 1. a standby first in the URL: keyfin skips it;
// 2. the primary's machine lost (Patroni and PostgreSQL killed) under load:
//    every key whose creation was acknowledged survives and works, every
//    key whose revocation was acknowledged is refused at every moment, no
//    500, no 401 for a valid key; the time to the first write on the new
//    primary is measured;
// 3. a planned switchover under load: the same, and 503s only during it.
//
// Loads are bounded in count and time; the figures are printed so that a
// run documents itself (docs/operations.md quotes them).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, logsCleanTest, pollUntil, randomHex } from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology, boundedLoad } from './topology.mjs';
import { HaCluster } from './hacluster.mjs';

const C = new HaCluster({ nodes: 2 });
const S = new Stack('ha', { KEYFIN_WORKERS: '2' });
const T = new Topology(S);
let A; let B;

before(async () => {
  await C.start();
  S.extraEnv.DATABASE_URL = C.url();     // the stack uses no local PostgreSQL
  await S.start();
  await T.init();
  [A, B] = await Promise.all(['A', 'B'].map((n) => T.startInstance(n, { workers: 2 })));
  await T.startNginx([A, B]);
  console.log(`HA cluster up in ${C.startMs} ms; leader ${await C.leader()}`);
}, { timeout: 300_000 });
after(async () => {
  await T.stop();
  await S.stop();
  await C.stop();
});
process.on('exit', () => { T.stopSync(); C.stopSync(); });

const keyHeader = (k) => ({ Authorization: `MediaBrowser Token="${k}", Client="Heimdall"` });

// A key made through nginx, its token from Prefer: return=representation.
async function createKey(admin, app) {
  const r = await T.req('POST', `/Auth/Keys?app=${app}`, {
    token: admin, headers: { Prefer: 'return=representation' }, timeout: 15_000,
  });
  if (r.status !== 200) return { status: r.status };
  S.remember(r.json.AccessToken);
  return { status: 200, key: r.json.AccessToken };
}

function tally(list) {
  const out = {};
  for (const x of list) out[x] = (out[x] || 0) + 1;
  return out;
}

// Keys made and revoked before the fault; then, until stop(), lanes that
// create keys, revoke keys, and use both kinds.  Every answer is recorded
// with when it was sent and when it came.
async function faultLoad(label, fault) {
  const admin = await S.adminToken();
  const prefix = `${label}${randomHex(3)}-`;
  const valid = [];
  const revoked = new Map();            // key -> when its DELETE was answered 204
  for (let i = 0; i < 12; i++) {
    const c = await createKey(admin, `${prefix}pre${i}`);
    assert.equal(c.status, 200, 'a key before the fault');
    if (i % 2) {
      const d = await T.req('DELETE', `/Auth/Keys/${c.key}`, { token: admin });
      assert.equal(d.status, 204);
      revoked.set(c.key, Date.now());
    } else {
      valid.push(c.key);
    }
  }
  const toRevoke = valid.splice(0, 4);  // revoked during the load
  const created = [];                   // {i, key, at}
  const events = [];                    // {kind, status, sent, at}
  let stop = false;
  let n = 0;
  const lane = (kind) => async () => {
    const sent = Date.now();
    let status;
    if (kind === 'create') {
      const i = n++;
      const c = await createKey(admin, `${prefix}${i}`);
      status = c.status;
      if (c.status === 200) created.push({ i, key: c.key, at: Date.now() });
    } else if (kind === 'revoke') {
      const key = toRevoke[0];
      if (!key) return;
      const r = await T.req('DELETE', `/Auth/Keys/${key}`, { token: admin, timeout: 15_000 });
      status = r.status;
      if (r.status === 204 && toRevoke[0] === key) {
        toRevoke.shift();
        revoked.set(key, Date.now());
      }
    } else {
      const pool = kind === 'use-valid' ? valid : [...revoked.keys()];
      const key = pool[Math.floor(Math.random() * pool.length)];
      const r = await T.req('GET', '/System/Info', { headers: keyHeader(key), timeout: 15_000 });
      status = r.status;
      if (kind === 'use-revoked' && r.status === 200) {
        events.push({ kind: 'stale-accept', status, sent, at: Date.now(), key, revokedAt: revoked.get(key) });
      }
    }
    events.push({ kind, status, sent, at: Date.now() });
    // a client that meets a 503 waits a little (nginx's own 503 is instant)
    if (status === 503) await new Promise((res) => setTimeout(res, 20));
  };
  const kinds = ['create', 'use-valid', 'use-revoked', 'use-valid', 'create', 'use-revoked'];
  const revokeEvery = 25;
  const running = boundedLoad(100_000, kinds.length, async (i) => {
    const kind = i % revokeEvery === 0 ? 'revoke' : kinds[i % kinds.length];
    await lane(kind)();
  }, { deadlineMs: 120_000, stop: () => stop });

  let mark;
  try {
    await pollUntil(() => events.length >= 100, { attempts: 200, intervalMs: 50 });
    mark = await fault();
  } finally {
    // some load on the cluster as it is now, then stop
    const from = events.length;
    await pollUntil(() => events.filter((e, j) => j >= from && e.status === 200 && e.kind === 'create').length >= 20,
      { attempts: 300, intervalMs: 100 });
    stop = true;
    await running;
  }
  return { admin, prefix, valid, revoked, created, events, mark };
}

// What no fault may break.
async function checkNothingLost(label, r) {
  const byKind = {};
  for (const e of r.events) (byKind[e.kind] ??= []).push(e.status);
  console.log(`${label}: ${r.events.length} requests: ` +
    Object.entries(byKind).map(([k, v]) => `${k} ${JSON.stringify(tally(v))}`).join('; '));
  const stale = r.events.filter((e) => e.kind === 'stale-accept' && e.sent > e.revokedAt);
  assert.deepEqual(stale, [], `${label}: a key whose revocation was acknowledged was accepted`);
  for (const e of r.events) {
    assert.ok(e.status !== 500 && e.status < 600 && e.status !== 502, `${label}: ${e.kind} answered ${e.status}`);
    if (e.kind === 'use-valid') assert.ok([200, 503].includes(e.status), `${label}: a valid key got ${e.status}`);
    if (e.kind === 'use-revoked') assert.ok([401, 503].includes(e.status), `${label}: a revoked key got ${e.status}`);
    if (e.kind === 'create') assert.ok([200, 503].includes(e.status), `${label}: create got ${e.status}`);
  }
  await T.settle();
  const listed = await T.req('GET', '/Auth/Keys', { token: r.admin });
  assert.equal(listed.status, 200);
  const keys = new Set(listed.json.Items.map((k) => k.AccessToken));
  for (const c of r.created) {
    assert.ok(keys.has(c.key), `${label}: the key created (#${c.i}, acknowledged) is listed`);
  }
  for (const key of r.revoked.keys()) assert.ok(!keys.has(key), `${label}: a revoked key is not listed`);
  // every acknowledged key works on each instance; every revoked one is refused
  for (const [j, c] of r.created.entries()) {
    const inst = j % 2 ? A : B;
    const g = await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(c.key) });
    assert.equal(g.status, 200, `${label}: key #${c.i} works on ${inst.name}`);
  }
  for (const key of r.revoked.keys()) {
    for (const inst of [A, B]) {
      const g = await request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) });
      assert.equal(g.status, 401, `${label}: a revoked key is refused by ${inst.name}`);
    }
  }
}

test('a standby first in the URL: keyfin skips it and never writes there', async () => {
  const leader = await C.waitLeader();
  const standby = C.nodes.map((x) => x.name).find((x) => x !== leader);
  const E = await T.startInstance('E', { workers: 2, env: { KEYFIN_DATABASE_URL: C.url({ order: standby }) } });
  const admin = await S.adminToken();
  for (let i = 0; i < 6; i++) {
    const r = await request(E.port, 'POST', `/Auth/Keys?app=standby-first-${i}`, {
      headers: { Authorization: `MediaBrowser Token="${admin}"` },
    });
    assert.equal(r.status, 204, `a key made through the instance whose URL lists the standby first (#${i})`);
  }
  const onStandby = (await C.psql(standby,
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'keyfin'")).trim();
  const onLeader = (await C.psql(leader,
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'keyfin'")).trim();
  console.log(`standby first: keyfin connections on the standby ${onStandby}, on the primary ${onLeader}`);
  assert.equal(onStandby, '0', 'no keyfin connection stays on the standby');
  assert.ok(Number(onLeader) >= 2, 'keyfin is connected to the primary');
  assert.doesNotMatch(E.log, /db_down|db_error|25006/, 'the standby cost no error');
  E.child.kill('SIGTERM');
  await T.waitExit(E);
});

test('Patroni failover under load: the primary lost; nothing acknowledged is lost, no revoked key accepted', async () => {
  let killed;
  const adminToken = await S.adminToken();
  const r = await faultLoad('failover', async () => {
    killed = await C.killLeader();
    const next = await C.waitLeader({ not: killed.name, timeoutMs: 60_000 });
    const promotedAt = Date.now();
    // keyfin itself, without nginx's fail_timeout in between
    const direct = await pollUntil(async () =>
      (await request(A.port, 'GET', '/Users/Me', { headers: { Authorization: `MediaBrowser Token="${adminToken}"` } })).status === 200,
    { attempts: 200, intervalMs: 25 });
    assert.ok(direct, 'instance A serves again after the failover');
    console.log(`failover: killed ${killed.name}; ${next} leads and takes writes ` +
      `${promotedAt - killed.at} ms after the kill; instance A answered a session again ` +
      `${Date.now() - promotedAt} ms after that`);
    return { ...killed, next, promotedAt };
  });
  const firstWrite = r.events.find((e) => e.kind === 'create' && e.status === 200 && e.sent >= r.mark.at);
  // (a worker may answer from memory for KEYFIN_AUTH_CACHE_MS after its
  // last counter read: count from past that window)
  const firstRead = r.events.find((e) => e.kind === 'use-valid' && e.status === 200 && e.sent >= r.mark.at + 100);
  const slowest = Math.max(...r.events.map((e) => e.at - e.sent));
  const unavailable = r.events.filter((e) => e.status === 503);
  console.log(`failover: first key created ${firstWrite.at - r.mark.at} ms after the kill, ` +
    `first valid key accepted ${firstRead.at - r.mark.at} ms after; ${unavailable.length} × 503, ` +
    `slowest answer ${slowest} ms`);
  assert.ok(slowest <= 3000, `every answer within KEYFIN_DB_TIMEOUT + 1 s (${slowest} ms)`);
  await checkNothingLost('failover', r);

  // the old primary comes back as a standby, for what follows
  await C.restartNode(killed.name);
  await C.waitSyncStandby({ name: killed.name, timeoutMs: 120_000 });
});

test('switchover under load: no 500, no key lost, 503s only during the switch', async () => {
  let window;
  const r = await faultLoad('switchover', async () => {
    const from = await C.leader();
    const started = Date.now();
    const to = await C.switchover();
    window = { from, to, started, ended: Date.now() };
    console.log(`switchover: ${from} -> ${to} in ${window.ended - started} ms`);
    return { at: started };
  });
  const unavailable = r.events.filter((e) => e.status === 503);
  const outside = unavailable.filter((e) => e.at < window.started || e.sent > window.ended + 2000);
  console.log(`switchover: ${unavailable.length} × 503, ${outside.length} outside the switch (+2 s)`);
  assert.deepEqual(outside.map((e) => `${e.kind} ${e.sent - window.started} ms`), [],
    '503s only while the switch goes on');
  await checkNothingLost('switchover', r);
});

test('[ha] topology logs hold no key, token or password', async () => {
  await T.stop();
  T.assertLogsClean();
});

logsCleanTest(test, S);
