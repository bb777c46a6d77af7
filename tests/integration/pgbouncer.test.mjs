// keyfin through pgbouncer in transaction mode (Debian 12's pgbouncer 1.18,
// which does not track prepared statements): with KEYFIN_DB_PREPARED=off
// (unnamed statements) the whole flow works; with prepared statements on,
// what happens is printed (see deploy/README.md, "pgbouncer").
//
// pgbouncer runs on a free loopback port in front of the stack's private
// PostgreSQL (its unix socket under $KEYFIN_VAR/run/pg), as the user
// postgres when the test runs as root (pgbouncer refuses root).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import {
  Stack, logsCleanTest, unique, pollUntil, freePort, HEX32, skipUnless,
} from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology } from './topology.mjs';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => fs.existsSync(p));
const S = new Stack('pgbouncer', { KEYFIN_WORKERS: '2' });
const T = new Topology(S);
const bouncer = { child: null, log: '', port: 0, exit: null };

before(async () => {
  if (!PGBOUNCER) return;
  await S.start();
  await T.init();
  const dir = path.join(S.dir, 'pgbouncer');
  fs.mkdirSync(dir, { recursive: true });
  bouncer.port = await freePort();
  const pgSock = path.join(S.dir, 'run', 'pg');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), '"keyfin" ""\n');
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `keyfin = host=${pgSock} port=${S.pgPort} dbname=keyfin user=keyfin`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${bouncer.port}`,
    'unix_socket_dir =',
    // the private cluster trusts its socket; pgbouncer listens on loopback only
    'auth_type = trust',
    `auth_file = ${dir}/userlist.txt`,
    'pool_mode = transaction',
    'default_pool_size = 3',
    'max_client_conn = 50',
    'server_reset_query =',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n'));
  const root = process.getuid() === 0;
  if (root) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const argv = root
    ? ['runuser', ['-u', 'postgres', '--', PGBOUNCER, path.join(dir, 'pgbouncer.ini')]]
    : [PGBOUNCER, [path.join(dir, 'pgbouncer.ini')]];
  // its own process group, so that a signal reaches pgbouncer under runuser
  bouncer.child = spawn(argv[0], argv[1], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/', detached: true });
  const logPath = path.join(S.dir, 'log', 'pgbouncer.log');
  const onLog = (d) => { bouncer.log += d; fs.appendFileSync(logPath, d); };
  bouncer.child.stdout.on('data', onLog);
  bouncer.child.stderr.on('data', onLog);
  bouncer.exit = new Promise((resolve) => bouncer.child.on('exit', resolve));
  const up = await pollUntil(() => /process up|listening on/i.test(bouncer.log), { attempts: 100, intervalMs: 100 });
  assert.ok(up, `pgbouncer did not start:\n${bouncer.log}`);
}, { timeout: 240_000 });

after(async () => {
  await T.stop();
  if (bouncer.child && bouncer.child.exitCode === null) {
    const group = -bouncer.child.pid;
    try { process.kill(group, 'SIGINT'); } catch { /* gone */ }   // pgbouncer: SIGINT = safe shutdown
    const timer = new Promise((r) => setTimeout(r, 10_000, 'timeout').unref());
    if (await Promise.race([bouncer.exit, timer]) === 'timeout') {
      try { process.kill(group, 'SIGKILL'); } catch { /* gone */ }
      await bouncer.exit;
    }
  }
  await S.stop();
});
process.on('exit', () => {
  T.stopSync();
  if (bouncer.child && bouncer.child.exitCode === null) {
    try { process.kill(-bouncer.child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

const viaBouncer = () => `postgresql://keyfin@127.0.0.1:${bouncer.port}/keyfin?sslmode=disable`;
const auth = (t, extra = '') => ({ Authorization: `MediaBrowser Token="${t}"${extra}` });

// login, create, list, use, revoke, refused: every status on the way.
async function flow(inst) {
  const out = {};
  const body = JSON.stringify({ Username: 'admin', Pw: S.adminPassword });
  const login = await request(inst.port, 'POST', '/Users/AuthenticateByName', {
    headers: {
      Authorization: `MediaBrowser Client="pgbouncer-test", Device="d", DeviceId="${unique('pgb')}", Version="1"`,
      'Content-Type': 'application/json',
    },
    body,
  });
  out.login = login.status;
  if (login.status !== 200) return out;
  const admin = login.json.AccessToken;
  S.remember(admin);
  const app = unique('pgb');
  out.create = (await request(inst.port, 'POST', `/Auth/Keys?app=${app}`, { headers: auth(admin) })).status;
  const list = await request(inst.port, 'GET', '/Auth/Keys', { headers: auth(admin) });
  out.list = list.status;
  const item = list.json?.Items?.find((k) => k.AppName === app);
  out.listed = !!item;
  if (!item) return out;
  const key = item.AccessToken;
  S.remember(key);
  out.keyIsHex = HEX32.test(key);
  out.use = (await request(inst.port, 'GET', '/System/Info', { headers: auth(key, ', Client="Heimdall"') })).status;
  out.revoke = (await request(inst.port, 'DELETE', `/Auth/Keys/${key}`, { headers: auth(admin) })).status;
  out.refused = (await request(inst.port, 'GET', '/System/Info', { headers: auth(key, ', Client="Heimdall"') })).status;
  return out;
}

test('through pgbouncer 1.18 in transaction mode with KEYFIN_DB_PREPARED=off, the whole flow works', { skip: skipUnless(PGBOUNCER, 'pgbouncer is not installed (Debian package pgbouncer)') }, async () => {
  const inst = await T.startInstance('unnamed', {
    workers: 2,
    env: { KEYFIN_DATABASE_URL: viaBouncer(), KEYFIN_DB_PREPARED: 'off' },
  });
  // Several rounds, so the workers' transactions land on different server
  // connections of the pool (3 server connections, 2 workers, many txns).
  for (let round = 0; round < 5; round++) {
    const r = await flow(inst);
    assert.deepEqual(r, {
      login: 200, create: 204, list: 200, listed: true, keyIsHex: true, use: 200, revoke: 204, refused: 401,
    }, `round ${round} through pgbouncer`);
  }
  const ready = await request(inst.port, 'GET', '/health');
  assert.equal(ready.status, 200, 'healthy through pgbouncer');
  inst.child.kill('SIGTERM');
  assert.deepEqual(await T.waitExit(inst), { code: 0, signal: null });
});

test('through pgbouncer 1.18 in transaction mode with prepared statements on: what happens (documented, not required)', { skip: skipUnless(PGBOUNCER, 'pgbouncer is not installed') }, async () => {
  const inst = await T.startInstance('prepared', {
    workers: 2,
    env: { KEYFIN_DATABASE_URL: viaBouncer(), KEYFIN_DB_PREPARED: 'on' },
    wait: false,
  });
  await pollUntil(async () => (await request(inst.port, 'GET', '/System/Ping')).status === 200,
    { attempts: 100, intervalMs: 100 });
  // Flows side by side, so that both workers (two pgbouncer clients) run
  // statements and pgbouncer hands each transaction whichever server
  // connection is free: one flow after the other can stay on one server
  // connection and never meet the problem.
  const rounds = [];
  for (let batch = 0; batch < 3; batch++) {
    rounds.push(...await Promise.all([0, 1, 2, 3].map(() => flow(inst))));
  }
  const errors = [...new Set((inst.log.match(/prepared statement[^\n"]*/g) || []))].slice(0, 5);
  console.log(`KEYFIN_DB_PREPARED=on via pgbouncer 1.18 transaction mode:\n  ${rounds.map((r) => JSON.stringify(r)).join('\n  ')}` +
    `\n  keyfin log: ${JSON.stringify(errors)}`);
  // Whatever breaks, a revoked key is never accepted.  (Observed with 1.18:
  // 503s and 500s, "prepared statement ... does not exist / already exists":
  // a misconfiguration that fails loudly, never silently.)
  for (const r of rounds) {
    // (a revoke that answered 503 did not happen: that key stays valid)
    if ('refused' in r && r.revoke === 204) assert.notEqual(r.refused, 200, 'a revoked key is never accepted');
  }
  assert.ok(rounds.some((r) => Object.values(r).some((v) => v === 500 || v === 503)),
    'prepared statements through a transaction pooler fail visibly (if this fails, pgbouncer tracks them now: update deploy/README.md)');
  inst.child.kill('SIGTERM');
  await T.waitExit(inst);
});

test('[pgbouncer] topology logs hold no key, token or password', { skip: skipUnless(PGBOUNCER, 'pgbouncer is not installed') }, async () => {
  await T.stop();
  T.assertLogsClean();
});

if (PGBOUNCER) logsCleanTest(test, S);
