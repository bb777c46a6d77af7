// Self-check of hacluster.mjs and deploy/ha/ (not a *.test.mjs: `make
// integration` does not run it).  Run as root, from anywhere:
//
//   node tests/integration/hacluster.selfcheck.mjs [runs]       (default 1)
//
// Each run: start a 2-node cluster, check its settings, write a row through
// the multi-host URL, kill -9 the leader (Patroni and PostgreSQL), wait for
// the new leader, check the row, write again, restart the old leader and
// wait for it to be the sync standby again, switch over back to it, kill
// the sync standby and write without it, bring it back, freeze it (SIGSTOP:
// a hung machine) and write again, thaw it, check that no SQL text reached
// a log, stop.  Prints the
// timings of every run as one JSON line, and a summary.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { HaCluster, DEPLOY_HA, PATRONI, render } from './hacluster.mjs';
import { psql, randomHex } from './harness.mjs';

const RUNS = Number(process.argv[2]) || 1;
const OPTIONS = { nodes: 2, ttl: 10, loopWait: 1, retryTimeout: 4 };

// patroni-node2.yml must be patroni-node1.yml but for comments.
function checkTemplatesAgree() {
  const strip = (f) => fs.readFileSync(path.join(DEPLOY_HA, f), 'utf8').split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '').trimEnd()).filter((l) => l !== '');
  assert.deepEqual(strip('patroni-node2.yml'), strip('patroni-node1.yml'),
    'deploy/ha/patroni-node2.yml differs from patroni-node1.yml in more than comments');
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, ...opts },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

// A write through libpq's multi-host URL (what keyfin does); resolves true
// once it succeeded.
async function writeVia(url, sql) {
  const r = await psql(url, sql);
  return r.code === 0;
}

async function oneRun(i) {
  const t = {};
  const C = new HaCluster(OPTIONS);
  const secret = `hasecret-${randomHex(12)}`;
  try {
    let t0 = Date.now();
    await C.start();
    t.startMs = Date.now() - t0;

    // --- the example's settings really are in force
    const first = await C.leader();
    assert.equal(first, 'node1', 'node1 bootstraps and leads first');
    const show = async (node, p) => (await C.psql(node, `SHOW ${p}`)).trim();
    assert.equal(await show('node1', 'synchronous_commit'), 'on');
    assert.equal(await show('node1', 'synchronous_standby_names'), 'node2');
    assert.equal(await show('node1', 'wal_level'), 'replica');
    assert.equal(await show('node1', 'wal_log_hints'), 'on');
    assert.equal(await show('node1', 'hot_standby'), 'on');
    assert.equal(await show('node1', 'log_min_error_statement'), 'panic');
    assert.equal(await show('node1', 'log_parameter_max_length'), '0');
    assert.equal(await show('node1', 'log_parameter_max_length_on_error'), '0');
    assert.equal(await show('node1', 'fsync'), 'off');
    assert.equal(await show('node1', 'listen_addresses'), '127.0.0.1');
    assert.equal((await C.psql('node1', "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'keyfin'")).trim(), 'keyfin');
    const slots = await C.psql('node1', 'SELECT slot_name FROM pg_replication_slots', { user: 'postgres', db: 'postgres' });
    assert.equal(slots.trim(), 'node2', 'use_slots: a slot for the replica');

    // --- Patroni's own validator: only the complaints the loopback example
    // must have (connect_address on 127.0.0.1; listen ports in use, by the
    // running node; bootstrap.pg_hba, which Patroni 3.0.2's validator still
    // requires though pg_hba belongs in postgresql.pg_hba).
    const v = await run(PATRONI, ['--validate-config', C.node('node1').confPath]);
    const complaints = `${v.stdout}${v.stderr}`.split('\n').filter((l) => l.trim() !== '' &&
      !/connect_address 127\.0\.0\.1:\d+ didn't pass validation: 'must not contain "127\.0\.0\.1"/.test(l) &&
      !/^(restapi|postgresql)\.listen 127\.0\.0\.1:\d+ didn't pass validation: 'Port \d+ is already in use\.'$/.test(l) &&
      !/^bootstrap\.pg_hba\s+is not defined\.$/.test(l));
    assert.deepEqual(complaints, [], `patroni --validate-config:\n${v.stdout}${v.stderr}`);

    // --- write through the multi-host URL
    const url = C.url();
    assert.match(url, /^postgresql:\/\/keyfin@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/keyfin\?target_session_attrs=read-write&connect_timeout=2$/);
    assert.ok(await writeVia(url, 'CREATE TABLE ha (id int PRIMARY KEY, v text)'));
    assert.ok(await writeVia(url, `INSERT INTO ha VALUES (1, 'before ${secret}')`));
    // A failing statement holding the secret: its text must not reach the
    // log (log_min_error_statement = panic).  The error message itself
    // ("division by zero") does not echo the value.
    const bad = await psql(url, `SELECT 1/0 WHERE '${secret}' <> ''`);
    assert.notEqual(bad.code, 0);

    // --- lose the leader's machine
    const killed = await C.killLeader();
    assert.equal(killed.name, 'node1');
    // A client retrying writes through the URL, as keyfin would.
    const writer = (async () => {
      for (let k = 0; k < 600; k++) {
        if (await writeVia(C.url({ params: { connect_timeout: '1' } }), `INSERT INTO ha VALUES (2, 'after ${secret}')`)) return Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    })();
    const newLeader = await C.waitLeader({ not: killed.name, timeoutMs: 60_000 });
    t.killToLeaderMs = Date.now() - killed.at;
    const wroteAt = await writer;
    assert.ok(wroteAt, 'a write through the URL succeeded after the failover');
    t.killToWriteMs = wroteAt - killed.at;
    assert.equal(newLeader, 'node2');
    assert.equal((await C.psql('node2', 'SELECT v FROM ha ORDER BY id')).trim(),
      `before ${secret}\nafter ${secret}`, 'the row written before the kill survived');
    assert.equal(await show('node2', 'synchronous_standby_names'), '', 'no sync standby while node1 is down (non-strict)');

    // --- the old leader comes back as the sync standby
    t0 = Date.now();
    await C.restartNode(killed.name);
    await C.waitSyncStandby({ name: killed.name, timeoutMs: 90_000 });
    t.rejoinMs = Date.now() - t0;
    const log1 = fs.readFileSync(C.node('node1').logPath, 'utf8');
    t.rewound = /pg_rewind exit code=0/.test(log1.split('starting patroni for node1').pop());
    assert.equal((await C.psql('node1', 'SELECT count(*) FROM ha')).trim(), '2', 'node1 replays both rows');
    assert.equal((await C.psql('node1', 'SELECT pg_is_in_recovery()')).trim(), 't');

    // --- planned switchover back to node1
    t0 = Date.now();
    const back = await C.switchover({ to: 'node1' });
    t.switchoverMs = Date.now() - t0;
    assert.equal(back, 'node1');
    assert.equal(await C.leader(), 'node1');
    t0 = Date.now();
    await C.waitSyncStandby({ name: 'node2' });
    t.switchoverToSyncMs = Date.now() - t0;
    assert.ok(await writeVia(C.url({ order: 'node2' }), `INSERT INTO ha VALUES (3, 'final')`));
    assert.equal((await C.psql('node1', 'SELECT count(*) FROM ha')).trim(), '3');
    // --- the sync standby is lost: synchronous_mode (not strict) lets the
    // primary go on alone; a write may wait until Patroni notices
    const lost = await C.killNode('node2');
    t0 = Date.now();
    assert.ok(await writeVia(C.url(), `INSERT INTO ha VALUES (4, 'standby down')`), 'writes go on without the standby');
    t.writeWithStandbyDownMs = Date.now() - t0;
    t.standbyKillToWriteMs = Date.now() - lost.at;
    assert.equal(await show('node1', 'synchronous_commit'), 'on');
    await C.restartNode('node2');
    await C.waitSyncStandby({ name: 'node2', timeoutMs: 90_000 });
    t.standbyBackToSyncMs = Date.now() - lost.at;
    assert.equal((await C.psql('node2', 'SELECT count(*) FROM ha')).trim(), '4', 'node2 caught up');

    // --- the sync standby hangs (no TCP reset): a commit waits until
    // Patroni drops it, i.e. until its member key expires (~ttl)
    const frozen = C.freezeNode('node2');
    assert.ok(await writeVia(C.url(), `INSERT INTO ha VALUES (5, 'standby hung')`), 'writes go on after ~ttl');
    t.writeWithStandbyHungMs = Date.now() - frozen.at;
    C.thawNode('node2');
    await C.waitSyncStandby({ name: 'node2', timeoutMs: 90_000 });
    t.standbyThawToSyncMs = Date.now() - frozen.at - t.writeWithStandbyHungMs;
    assert.equal((await C.psql('node2', 'SELECT count(*) FROM ha')).trim(), '5', 'node2 caught up');

    t.list = (await C.patronictl(['list'])).stdout.trim().split('\n').filter((l) => /node\d/.test(l))
      .map((l) => l.split('|').map((s) => s.trim()).filter(Boolean).slice(0, 4).join(' '));

    // --- stop: nothing survives, no SQL text in any log
    t0 = Date.now();
    await C.stop();
    t.stopMs = Date.now() - t0;
    const leaks = C.logFiles().filter(([, b]) => b.toString('latin1').includes(secret)).map(([p]) => p);
    assert.deepEqual(leaks, [], 'the secret written in SQL appears in no log');
    for (const n of C.nodes) assert.ok(!fs.existsSync(path.join(n.dataDir, 'postmaster.pid')), `${n.name} shut down cleanly`);
    C.remove();
    return t;
  } catch (e) {
    console.error(`run ${i}: FAILED: ${e.stack}\n${C.logs()}`);
    await C.stop().catch((err) => console.error(`stop: ${err.message}`));
    throw e;
  }
}

checkTemplatesAgree();
// The placeholders of the templates are all filled (render throws if not).
render('etcd.env', { ETCD_NAME: 'x', ETCD_DATA: 'x', ETCD_HOST: 'x', ETCD_CLIENT_PORT: 1, ETCD_PEER_PORT: 2, ETCD_TOKEN: 'x' });

const results = [];
for (let i = 1; i <= RUNS; i++) {
  const t = await oneRun(i);
  results.push(t);
  console.log(JSON.stringify({ run: i, options: OPTIONS, ...t }));
}
const keys = ['startMs', 'killToLeaderMs', 'killToWriteMs', 'rejoinMs', 'switchoverMs', 'switchoverToSyncMs',
  'writeWithStandbyDownMs', 'standbyBackToSyncMs', 'writeWithStandbyHungMs', 'standbyThawToSyncMs', 'stopMs'];
const summary = {};
for (const k of keys) {
  const xs = results.map((r) => r[k]).sort((a, b) => a - b);
  summary[k] = { min: xs[0], median: xs[Math.floor(xs.length / 2)], max: xs[xs.length - 1] };
}
console.log(`ok: ${RUNS} run(s) with ${JSON.stringify(OPTIONS)}`);
console.log(JSON.stringify(summary, null, 1));
