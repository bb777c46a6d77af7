// `keyfin serve` itself, spoken to over FastCGI on TCP without nginx: a
// second instance on the stack's database, the graceful stop with a request
// still arriving, a worker that dies, and migrations run by several
// instances at once.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFile } from 'node:child_process';
import {
  useStack, logsCleanTest, unique, pollUntil, freePort, randomHex, ROOT, HEX32, psql, skipUnless,
} from './harness.mjs';
import { request, openRequest, cgiParams, keptConnection } from './fcgi.mjs';

const S = useStack('pool');
const BIN = process.env.KEYFIN_BIN || path.join(ROOT, 'build', 'keyfin');
const EXIT_TIMEOUT_MS = 30_000;

// A `keyfin serve` of our own on 127.0.0.1:<port>, on the stack's database.
async function serve(workers, extraEnv = {}) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    KEYFIN_DATABASE_URL: await S.databaseUrl(),
    KEYFIN_SECRET_FILE: path.join(S.dir, 'secret'),
    KEYFIN_LISTEN: `127.0.0.1:${port}`,
    KEYFIN_WORKERS: String(workers),
    // these tests signal and inspect the workers as root; the rule that
    // refuses root is tested on its own below
    KEYFIN_ALLOW_ROOT: 'on',
    ...extraEnv,
  };
  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const inst = { port, child, log: '', exited: null };
  child.stderr.on('data', (d) => { inst.log += d; });
  inst.exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    inst.exited = { code, signal };
    resolve(inst.exited);
  }));
  instances.add(inst);
  const up = await pollUntil(async () => (await request(port, 'GET', '/System/Ping')).status === 200);
  assert.ok(up, `keyfin serve on :${port} did not answer:\n${inst.log}`);
  return inst;
}

const instances = new Set();
after(async () => {
  for (const inst of instances) {
    if (!inst.exited) inst.child.kill('SIGKILL');
    await inst.exit;
  }
});

async function waitExit(inst) {
  const timer = new Promise((resolve) => setTimeout(resolve, EXIT_TIMEOUT_MS, 'timeout'));
  const r = await Promise.race([inst.exit, timer]);
  assert.notEqual(r, 'timeout', `keyfin serve did not exit within ${EXIT_TIMEOUT_MS} ms:\n${inst.log}`);
  return r;
}

// Worker pids of a supervisor, from /proc.
function workersOf(pid) {
  const kids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return kids.sort();
}

function socketCount(pid) {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}


function runBin(args, env) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('a second instance on TCP shares everything: server Id, keys, revocations', async () => {
  const other = await serve(2);
  const pub = await request(other.port, 'GET', '/System/Info/Public');
  assert.equal(pub.status, 200);
  assert.equal(pub.json.Id, (await S.req('GET', '/System/Info/Public')).json.Id, 'one server Id');

  const key = await S.createKey(unique('shared'));
  const auth = { Authorization: `MediaBrowser Token="${key}", Client="Heimdall"` };
  assert.equal((await request(other.port, 'GET', '/System/Info', { headers: auth })).status, 200,
    'a key made on one instance works on the other at once');
  const admin = await S.adminToken();
  const del = await request(other.port, 'DELETE', `/Auth/Keys/${key}`,
    { headers: { Authorization: `MediaBrowser Token="${admin}"` } });
  assert.equal(del.status, 204);
  assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 401,
    'a key revoked on one instance is refused by the other at once');
  other.child.kill('SIGTERM');
  assert.deepEqual(await waitExit(other), { code: 0, signal: null });
});

// nginx keeps its FastCGI connections open (fastcgi_keep_conn): a worker
// holds several, and one that is idle must never make it wait (stock libfcgi
// reads a kept connection until its next request comes).  Ordering, not
// speed: with every worker holding idle connections, other requests are
// still answered, and the idle ones then still work.
test('kept connections: idle ones never hold up a request, and stay usable', async () => {
  const inst = await serve(2);
  const idle = [];
  for (let i = 0; i < 16; i++) {
    const c = await keptConnection(inst.port);
    assert.equal((await c.request('GET', '/System/Ping')).status, 200);
    idle.push(c);
  }
  const busy = await keptConnection(inst.port);
  for (let i = 0; i < 100; i++) {
    assert.equal((await busy.request('GET', '/System/Info/Public')).status, 200,
      `request ${i} on the busy connection, 16 idle ones held by 2 workers`);
  }
  for (const [i, c] of idle.entries()) {
    assert.ok(!c.closed, `idle connection ${i} was kept open`);
    assert.equal((await c.request('GET', '/System/Ping')).status, 200,
      `idle connection ${i} still serves`);
    c.close();
  }
  busy.close();
  inst.child.kill('SIGTERM');
  assert.deepEqual(await waitExit(inst), { code: 0, signal: null });
});

test('SIGTERM: the request in flight is answered in full, then the pool exits 0', async () => {
  const inst = await serve(1);
  const [worker] = workersOf(inst.child.pid);
  assert.ok(worker, 'one worker');
  const idle = socketCount(worker);

  const u = await S.createUser();
  const body = Buffer.from(JSON.stringify({ Username: u.name, Pw: u.password }));
  const headers = {
    Authorization: 'MediaBrowser Client="pool-test", Device="d", DeviceId="graceful", Version="1"',
    'Content-Type': 'application/json',
  };
  const req = openRequest(inst.port, cgiParams('POST', '/Users/AuthenticateByName', headers, body));
  await req.connected;
  req.send(body.subarray(0, 5));
  // the worker has accepted the connection once it holds one more socket
  assert.ok(await pollUntil(() => socketCount(worker) > idle, { attempts: 80, intervalMs: 50 }),
    'the worker accepted the request');

  inst.child.kill('SIGTERM');
  assert.ok(await pollUntil(() => inst.log.includes('finishing requests in flight'),
    { attempts: 80, intervalMs: 50 }), `the pool got SIGTERM:\n${inst.log}`);
  req.send(body.subarray(5));
  req.end();
  const r = await req.response;
  assert.equal(r.status, 200, `the request in flight: ${r.status} ${r.body}`);
  assert.match(r.json.AccessToken, HEX32);
  S.remember(r.json.AccessToken);
  assert.deepEqual(await waitExit(inst), { code: 0, signal: null });
  await assert.rejects(request(inst.port, 'GET', '/System/Ping'), 'nothing listens any more');
});

test('a worker that dies is replaced and the pool keeps answering', async () => {
  const inst = await serve(2);
  const before = workersOf(inst.child.pid);
  assert.equal(before.length, 2);
  process.kill(before[0], 'SIGKILL');
  const after2 = await pollUntil(() => {
    const now = workersOf(inst.child.pid);
    return now.length === 2 && !now.includes(before[0]) ? now : null;
  }, { attempts: 80, intervalMs: 100 });
  assert.ok(after2, `a new worker replaced ${before[0]}: ${workersOf(inst.child.pid)}`);
  for (let i = 0; i < 4; i++) {
    assert.equal((await request(inst.port, 'GET', '/System/Ping')).status, 200);
  }
  assert.match(inst.log, /event=worker_died/);
  inst.child.kill('SIGTERM');
  assert.deepEqual(await waitExit(inst), { code: 0, signal: null });
});

test('started as root with KEYFIN_USER, the pool runs as that user', { skip: skipUnless(process.getuid() === 0, 'not root') }, async () => {
  const inst = await serve(1, { KEYFIN_USER: 'nobody' });
  const nobody = Number(fs.readFileSync('/etc/passwd', 'utf8').split('\n')
    .find((l) => l.startsWith('nobody:')).split(':')[2]);
  for (const pid of [inst.child.pid, ...workersOf(inst.child.pid)]) {
    const uids = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(.*)$/m)[1].split(/\s+/).map(Number);
    assert.deepEqual(uids, [nobody, nobody, nobody, nobody], `pid ${pid}: real, effective, saved, fs uid`);
  }
  assert.equal((await request(inst.port, 'GET', '/System/Ping')).status, 200);
  assert.match(inst.log, /running as nobody/);
  inst.child.kill('SIGTERM');
  assert.deepEqual(await waitExit(inst), { code: 0, signal: null });
});

test('started as root without KEYFIN_USER, serve refuses to keep its workers as root', { skip: skipUnless(process.getuid() === 0, 'not root') }, async () => {
  const child = spawn(BIN, ['serve'], {
    env: { PATH: process.env.PATH, KEYFIN_SECRET: 'a'.repeat(64), KEYFIN_LISTEN: `127.0.0.1:${await freePort()}`,
      KEYFIN_DATABASE_URL: 'host=/nonexistent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.notEqual(code, 0, 'serve exits non-zero');
  assert.match(log, /refusing to run the workers as root: set KEYFIN_USER/);
});

test('KEYFIN_USER naming no user stops the start with a clear message', { skip: skipUnless(process.getuid() === 0, 'not root') }, async () => {
  const child = spawn(BIN, ['serve'], {
    env: { PATH: process.env.PATH, KEYFIN_SECRET: 'a'.repeat(64), KEYFIN_LISTEN: `127.0.0.1:${await freePort()}`,
      KEYFIN_USER: `no-such-user-${randomHex(3)}`, KEYFIN_DATABASE_URL: 'host=/nonexistent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.notEqual(code, 0);
  assert.match(log, /KEYFIN_USER: no user no-such-user-/);
});

test('the server secret changes online: no moment where a key stops working', async () => {
  const secretA = fs.readFileSync(path.join(S.dir, 'secret'), 'utf8').trim();
  const secretB = randomHex(32);
  const file = path.join(S.dir, 'secret-rotation');
  const write = (...secrets) => fs.writeFileSync(file, `${secrets.join('\n')}\n`, { mode: 0o600 });
  write(secretA);
  const inst = await serve(2, { KEYFIN_SECRET_FILE: file });
  const works = async (key) => (await request(inst.port, 'GET', '/System/Info',
    { headers: { 'X-MediaBrowser-Token': key } })).status;
  // SIGHUP: the supervisor reads the file again and replaces its workers
  const hup = async () => {
    const before = workersOf(inst.child.pid);
    inst.child.kill('SIGHUP');
    assert.ok(await pollUntil(() => {
      const now = workersOf(inst.child.pid);
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    }, { attempts: 100, intervalMs: 100 }), `workers replaced after SIGHUP:\n${inst.log}`);
  };
  const old = await S.createKey(unique('before-rotation'));
  assert.equal(await works(old), 200);

  write(secretA, secretB);              // 1. the new secret is known everywhere
  await hup();
  assert.equal(await works(old), 200);
  write(secretB, secretA);              // 2. ... then made current
  await hup();
  assert.equal(await works(old), 200);
  const admin = await S.adminToken();
  const made = unique('during-rotation');
  const create = await request(inst.port, 'POST', `/Auth/Keys?app=${made}`,
    { headers: { 'X-MediaBrowser-Token': admin } });
  assert.equal(create.status, 204);
  const list = await request(inst.port, 'GET', '/Auth/Keys', { headers: { 'X-MediaBrowser-Token': admin } });
  const fresh = list.json.Items.find((k) => k.AppName === made).AccessToken;
  S.remember(fresh);
  assert.equal(await works(fresh), 200);

  // 3. the stored keys get the new secret's digest and box
  const rotate = await runBin(['secret', 'rotate'], {
    KEYFIN_DATABASE_URL: await S.databaseUrl(), KEYFIN_SECRET_FILE: file,
  });
  assert.equal(rotate.code, 0, rotate.stderr);
  assert.match(rotate.stderr, /[1-9]\d* keys re-sealed under the current secret/);
  assert.equal(await works(old), 200);

  write(secretB);                       // 4. the old secret is gone
  await hup();
  assert.equal(await works(old), 200, 'a key made before the change still works');
  assert.equal(await works(fresh), 200, 'a key made during the change still works');
  // the stack itself still has only the old secret: for it the key is gone
  assert.equal((await S.req('GET', '/System/Info', { token: old })).status, 401);
  const again = await runBin(['secret', 'rotate'], {
    KEYFIN_DATABASE_URL: await S.databaseUrl(), KEYFIN_SECRET_FILE: file,
  });
  assert.match(again.stderr, / 0 keys re-sealed/, 'a second run has nothing left to do');
  write('not-a-secret');                // a bad file keeps the keys in force
  inst.child.kill('SIGHUP');
  assert.ok(await pollUntil(() => inst.log.includes('keeping the old secret'), { attempts: 50, intervalMs: 100 }));
  assert.equal(await works(old), 200);
  inst.child.kill('SIGTERM');
  assert.deepEqual(await waitExit(inst), { code: 0, signal: null });
});

test('instances migrating at once apply each migration exactly once', async () => {
  const base = await S.databaseUrl();
  const db = `mig_${randomHex(4)}`;
  const created = await psql(base, `CREATE DATABASE ${db}`);
  assert.equal(created.code, 0, created.stderr);
  const url = base.replace(/\/keyfin\?/, `/${db}?`);
  assert.notEqual(url, base, `a URL for database ${db}`);

  const runs = await Promise.all([1, 2, 3, 4, 5].map(() => runBin(['migrate'], { KEYFIN_DATABASE_URL: url })));
  for (const r of runs) assert.equal(r.code, 0, `keyfin migrate: ${r.stderr}`);
  const applied = runs.map((r) => Number((r.stderr.match(/(\d+) migration\(s\) applied/) || [])[1]));
  assert.equal(applied.filter((n) => n > 0).length, 1, `one run applied the schema: ${applied}`);

  const rows = await psql(url, 'SELECT count(*), count(DISTINCT version) FROM keyfin_migrations');
  const [count, distinct] = rows.stdout.trim().split('|').map(Number);
  assert.ok(count >= 1 && count === distinct, `each migration recorded once: ${rows.stdout}`);
  const server = await psql(url, 'SELECT count(*) FROM keyfin_server');
  assert.equal(server.stdout.trim(), '1', 'one server Id');
});

logsCleanTest(test, S);
