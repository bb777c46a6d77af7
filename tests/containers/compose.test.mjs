// The real docker-compose.yml (with compose.override.yml: stand-in postgres
// and nginx images) and the Kubernetes nginx sidecar config, in Docker.
// Started by tests/containers/run, which builds the images and sets:
//   COMPOSE, DOCKER, KEYFIN_IMAGE, KEYFIN_TEST_PROJECT, KEYFIN_COMPOSE_SECRETS,
//   KEYFIN_TEST_POSTGRES_IMAGE, KEYFIN_TEST_NGINX_IMAGE, KEYFIN_TEST_BASE.
// The scenarios run in order on one compose project; each prints its counts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const env = process.env;
const DOCKER = env.DOCKER || 'docker';
const PROJECT = env.KEYFIN_TEST_PROJECT || 'keyfinctest';
const SECRETS = env.KEYFIN_COMPOSE_SECRETS;
const IMAGE = env.KEYFIN_IMAGE;
const NETWORK = `${PROJECT}_default`;
const OUT = path.join(ROOT, 'build', 'containers');

if (!env.COMPOSE || !IMAGE || !SECRETS) {
  test('containers', { skip: 'run through tests/containers/run (make test-containers)' }, () => {});
} else {
  run();
}

function log(...a) { console.log('#', ...a); }
function timing(name, t0) {
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  fs.appendFileSync(path.join(OUT, 'timings'), `${name} ${s}\n`);
  log(`${name}: ${s} s`);
}

function sh(cmd, args, { input, allowFail = false, extraEnv = {}, timeout = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, input, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  if (!allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} -> ${r.status} ${r.signal || ''}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}
const docker = (...a) => sh(DOCKER, a).stdout.trim();
function compose(args, opts = {}) {
  const [cmd, ...pre] = env.COMPOSE.split(' ');
  return sh(cmd, [...pre, '-p', PROJECT, '-f', 'docker-compose.yml', '-f', 'tests/containers/compose.override.yml', ...args], opts);
}

function containers(service, all = false) {
  const ids = docker('ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`,
    '--filter', `label=com.docker.compose.service=${service}`).split('\n').filter(Boolean);
  return ids;
}
function inspect(id) { return JSON.parse(docker('inspect', id))[0]; }
function ipOf(id) { return inspect(id).NetworkSettings.Networks[NETWORK].IPAddress; }

// ---- HTTP through the compose nginx ------------------------------------------
let HTTP;   // http://127.0.0.1:PORT
let HTTPS_PORT;
async function http(method, p, { token, body, headers = {}, timeoutMs = 10_000 } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `MediaBrowser Token="${token}", Client="Heimdall"`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(HTTP + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}
async function login(user = 'admin', pw = fs.readFileSync(path.join(SECRETS, 'admin_password'), 'utf8').trim()) {
  const r = await http('POST', '/Users/AuthenticateByName', {
    headers: { Authorization: 'MediaBrowser Client="curl", Device="ctest", DeviceId="ctest", Version="1.0"' },
    body: { Username: user, Pw: pw },
  });
  assert.equal(r.status, 200, `login: ${r.status} ${r.text}`);
  return r.json.AccessToken;
}
async function listKeys(token) {
  const r = await http('GET', '/Auth/Keys', { token });
  assert.equal(r.status, 200, `list: ${r.status} ${r.text}`);
  return r.json.Items;
}
async function createKey(token, app) {
  const r = await http('POST', `/Auth/Keys?app=${encodeURIComponent(app)}`, { token });
  assert.equal(r.status, 204, `create: ${r.status} ${r.text}`);
}

// Waits until fn() is truthy (polls), or throws after ms.
async function until(what, fn, ms = 60_000, every = 250) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}: ${last?.message || last}`);
}

// Load: `workers` loops of `make()` requests until stop(); counts by status.
function load(make, workers = 4) {
  const counts = {};
  let running = true;
  const errors = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      let k;
      try { k = String((await make()).status); } catch (e) { k = 'error'; if (errors.length < 5) errors.push(e.message); }
      counts[k] = (counts[k] || 0) + 1;
    }
  });
  return { counts, errors, async stop() { running = false; await Promise.all(loops); return counts; } };
}
const total = (c) => Object.values(c).reduce((a, b) => a + b, 0);

// ---- FastCGI straight to one replica (host -> container address) ------------
function fcgi(host, port, method, uri, { remote = '127.0.0.1', timeoutMs = 5000 } = {}) {
  const rec = (type, content = Buffer.alloc(0)) => {
    const h = Buffer.alloc(8); h.writeUInt8(1, 0); h.writeUInt8(type, 1); h.writeUInt16BE(1, 2); h.writeUInt16BE(content.length, 4);
    return Buffer.concat([h, content]);
  };
  const len = (n) => (n < 128 ? Buffer.from([n]) : (() => { const b = Buffer.alloc(4); b.writeUInt32BE((n | 0x80000000) >>> 0); return b; })());
  const params = { REQUEST_METHOD: method, REQUEST_URI: uri, QUERY_STRING: '', REMOTE_ADDR: remote, SERVER_PROTOCOL: 'HTTP/1.1', CONTENT_LENGTH: '0' };
  const pb = Buffer.concat(Object.entries(params).flatMap(([k, v]) => [len(k.length), len(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)]));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('FastCGI timeout')); }, timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      const buf = Buffer.concat(chunks); const out = [];
      for (let pos = 0; pos + 8 <= buf.length;) {
        const type = buf.readUInt8(pos + 1); const l = buf.readUInt16BE(pos + 4); const pad = buf.readUInt8(pos + 6);
        if (type === 6) out.push(buf.subarray(pos + 8, pos + 8 + l));
        pos += 8 + l + pad;
      }
      const text = Buffer.concat(out).toString();
      const i = text.indexOf('\r\n\r\n');
      const status = Number((/^status:\s*(\d+)/im.exec(text.slice(0, i)) || [, 200])[1]);
      resolve({ status, body: text.slice(i + 4) });
    });
    const begin = Buffer.alloc(8); begin.writeUInt16BE(1, 0);
    sock.write(Buffer.concat([rec(1, begin), rec(4, pb), rec(4), rec(5)]));
  });
}
async function requestsServed(ip) {
  const r = await fcgi(ip, 9000, 'GET', '/metrics');
  assert.equal(r.status, 200);
  let n = 0;
  for (const m of r.body.matchAll(/^keyfin_requests_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

async function waitReady(ms = 120_000) {
  await until('nginx /health/ready 200', async () => (await http('GET', '/health/ready', { timeoutMs: 3000 })).status === 200, ms);
}
async function waitReplicasReady(n, ms = 60_000) {
  return until(`${n} keyfin replicas ready`, async () => {
    const ids = containers('keyfin');
    if (ids.length !== n) return false;
    for (const id of ids) if ((await fcgi(ipOf(id), 9000, 'GET', '/health/ready')).status !== 200) return false;
    return ids;
  }, ms);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

function publishedPort(service, port) {
  const out = compose(['port', service, String(port)]).stdout.trim();
  return Number(out.slice(out.lastIndexOf(':') + 1));
}

function run() {
  let admin;
  const keysMade = [];

  before(async () => {
    const t0 = Date.now();
    // free loopback ports, the same for every compose call (a different
    // value would make compose recreate nginx)
    env.KEYFIN_HTTP_PORT = String(await freePort());
    env.KEYFIN_HTTPS_PORT = String(await freePort());
    compose(['up', '-d', '--no-build']);
    HTTP = `http://127.0.0.1:${publishedPort('nginx', 8096)}`;
    HTTPS_PORT = publishedPort('nginx', 8920);
    await waitReady();
    timing('compose-up', t0);
    const n = containers('keyfin').length;
    log(`compose up started ${n} keyfin replicas (deploy.replicas: 3) with ${env.COMPOSE}`);
    fs.writeFileSync(path.join(OUT, 'replicas'), `${env.COMPOSE} deploy.replicas=3 -> ${n}\n`);
    if (n !== 3) compose(['up', '-d', '--no-build', '--scale', 'keyfin=3']);
    await waitReplicasReady(3);
  });

  after(() => {
    // The run script removes everything; keep the logs of a failed run.
    const r = compose(['logs', '--no-color'], { allowFail: true });
    fs.writeFileSync(path.join(OUT, 'compose.log'), r.stdout + r.stderr);
  });

  test('image: uid 10001, read-only root, no capabilities, small over the base', () => {
    const id = containers('keyfin')[0];
    const c = inspect(id);
    assert.equal(c.Config.User, '10001:10001');
    assert.equal(c.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(c.HostConfig.CapDrop.map((x) => x.replace(/^CAP_/, '')), ['ALL']);
    const status = docker('exec', id, 'cat', '/proc/1/status');
    assert.match(status, /^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(status, /^CapPrm:\s+0+$/m);
    const w = sh(DOCKER, ['exec', id, 'sh', '-c', 'touch /x 2>&1 || true']).stdout;
    assert.match(w, /Read-only file system/);
    const size = (img) => Number(docker('image', 'inspect', '-f', '{{.Size}}', img));
    const over = size(IMAGE) - size(env.KEYFIN_TEST_BASE);
    const mb = (b) => (b / 1e6).toFixed(1);
    log(`image sizes: base ${mb(size(env.KEYFIN_TEST_BASE))} MB, keyfin ${mb(size(IMAGE))} MB, runtime layers ${mb(over)} MB over the base`);
    fs.writeFileSync(path.join(OUT, 'sizes'), `base ${mb(size(env.KEYFIN_TEST_BASE))} MB\nkeyfin ${mb(size(IMAGE))} MB\nover-base ${mb(over)} MB\n`);
    assert.ok(over <= 20e6, `runtime layers add ${mb(over)} MB (at most 20)`);
  });

  test('1. the README flow through the compose nginx: login, create, list, use, revoke, refused', async () => {
    const t0 = Date.now();
    admin = await login();
    await createKey(admin, 'Heimdall');
    const items = await listKeys(admin);
    const key = items.filter((k) => k.AppName === 'Heimdall').at(-1).AccessToken;
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.equal((await http('GET', '/System/Info', { token: key })).status, 200);
    assert.equal((await http('DELETE', `/Auth/Keys/${key}`, { token: admin })).status, 204);
    assert.equal((await http('GET', '/System/Info', { token: key })).status, 401);
    // and over HTTPS with the certificate make-secrets made
    const ca = fs.readFileSync(path.join(SECRETS, 'tls_cert.pem'));
    const status = await new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: HTTPS_PORT, path: '/System/Info/Public', ca, servername: 'localhost' },
        (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
    });
    assert.equal(status, 200);
    timing('scenario-1-readme', t0);
  });

  test('2. all 3 replicas serve requests through the compose nginx', async () => {
    const t0 = Date.now();
    const ids = containers('keyfin');
    assert.equal(ids.length, 3);
    const ips = ids.map(ipOf);
    const before0 = await Promise.all(ips.map(requestsServed));
    const N = 90;
    for (let i = 0; i < N; i++) assert.equal((await http('GET', '/System/Info/Public')).status, 200);
    const after0 = await Promise.all(ips.map(requestsServed));
    // each /metrics read counts itself once
    const served = after0.map((a, i) => a - before0[i] - 1);
    log(`${N} requests through nginx, served per replica (by its /metrics): ${served.join('/')}`);
    assert.equal(served.reduce((a, b) => a + b, 0), N);
    for (const s of served) assert.ok(s >= 5, `every replica serves (${served.join('/')})`);
    timing('scenario-2-replicas', t0);
  });

  test('7. the admin page at /web/: compose nginx, and the Kubernetes sidecar config', async () => {
    const t0 = Date.now();
    const index = fs.readFileSync(path.join(ROOT, 'web', 'index.html'), 'utf8');
    const check = async (base) => {
      const get = (p) => fetch(base + p, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
      let r = await get('/');
      assert.equal(r.status, 302); assert.equal(r.headers.get('location'), '/web/');
      r = await get('/web/');
      assert.equal(r.status, 200); assert.match(r.headers.get('content-type'), /^text\/html/);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
      assert.equal(await r.text(), index);
      r = await get('/web/app.js');
      assert.equal(r.status, 200); assert.match(r.headers.get('content-type'), /^text\/javascript/);
      r = await get('/System/Info/Public');
      assert.equal(r.status, 200, 'the API still reaches keyfin');
    };
    await check(HTTP);
    // The sidecar as in deploy/kubernetes/deployment.yaml: the nginx image as
    // uid 101, read-only root, /tmp writable, deploy/kubernetes/nginx.conf, in
    // the network namespace of a keyfin replica (127.0.0.1:9000 is keyfin),
    // the web files copied out of the keyfin image as the init container does.
    const replica = containers('keyfin')[0];
    const vol = `keyfinctest-web-${process.pid}`;
    docker('volume', 'create', '--label', 'org.keyfin.test=run', vol);
    docker('run', '--rm', '--label', 'org.keyfin.test=run', '--user', '0:0', '-v', `${vol}:/web`, '--entrypoint', '/bin/sh', IMAGE,
      '-ec', 'cp -R /usr/share/keyfin/web/. /web/');
    const side = docker('run', '-d', '--label', 'org.keyfin.test=run', '--network', `container:${replica}`,
      '--user', '101:101', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true',
      '--tmpfs', '/tmp', '-v', `${path.join(ROOT, 'deploy', 'kubernetes', 'nginx.conf')}:/etc/nginx/nginx.conf:ro`,
      '-v', `${vol}:/usr/share/keyfin/web:ro`, env.KEYFIN_TEST_NGINX_IMAGE);
    try {
      const base = `http://${ipOf(replica)}:8096`;
      await until('the sidecar nginx', async () => (await fetch(`${base}/nginx-live`)).status === 200, 20_000);
      await check(base);
      for (const p of ['/health/live', '/health/ready']) assert.equal((await fetch(base + p)).status, 200, `sidecar ${p} (the probes)`);
    } finally {
      sh(DOCKER, ['rm', '-f', side], { allowFail: true });
      sh(DOCKER, ['volume', 'rm', '-f', vol], { allowFail: true });
    }
    timing('scenario-7-web', t0);
  });

  test('8. faults at start: a missing secret file; a wrong database password', async () => {
    const t0 = Date.now();
    const base = ['run', '--label', 'org.keyfin.test=run', '--network', NETWORK, '--read-only', '--cap-drop', 'ALL'];
    // a) the secret file is not there: exit at once, naming it
    let t = Date.now();
    let r = sh(DOCKER, [...base, '--rm', '-e', 'KEYFIN_SECRET_FILE=/run/secrets/keyfin_secret_missing',
      '-e', 'KEYFIN_DATABASE_URL=postgresql://keyfin@postgres:5432/keyfin', IMAGE, 'serve'], { allowFail: true, timeout: 30_000 });
    const secretExit = { status: r.status, seconds: (Date.now() - t) / 1000, message: (r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | ') };
    log(`missing secret file: exit ${secretExit.status} after ${secretExit.seconds.toFixed(1)} s: ${secretExit.message}`);
    assert.notEqual(r.status, 0);
    assert.equal(r.signal, null);
    assert.ok(secretExit.seconds < 10, 'exits at once');
    assert.match(r.stderr + r.stdout, /keyfin_secret_missing/);
    // b) a wrong database password: migrate exits non-zero and says why ...
    const secret = fs.readFileSync(path.join(SECRETS, 'keyfin_secret'), 'utf8').trim();
    const wrong = ['-e', 'KEYFIN_DATABASE_URL=postgresql://keyfin@postgres:5432/keyfin?sslmode=disable',
      '-e', 'PGPASSWORD=not-the-password', '-e', `KEYFIN_SECRET=${secret}`];
    t = Date.now();
    r = sh(DOCKER, [...base, '--rm', ...wrong, IMAGE, 'migrate'], { allowFail: true, timeout: 60_000 });
    const migrateOut = (r.stderr + r.stdout).trim();
    log(`migrate, wrong password: exit ${r.status} after ${((Date.now() - t) / 1000).toFixed(1)} s: ${migrateOut.split('\n').slice(-2).join(' | ')}`);
    assert.notEqual(r.status, 0);
    assert.match(migrateOut, /password authentication failed/);
    // ... serve keeps running, answers 503 and logs why
    const id = docker(...base, '-d', ...wrong, '-e', 'KEYFIN_WORKERS=2', IMAGE, 'serve');
    try {
      const ip = ipOf(id);
      const ready = await until('serve answering', async () => (await fcgi(ip, 9000, 'GET', '/health/ready')), 20_000);
      assert.equal(ready.status, 503);
      const api = await fcgi(ip, 9000, 'GET', '/System/Info/Public');
      await sleep(3000);
      const c = inspect(id);
      assert.equal(c.State.Running, true, 'still running: no crash loop');
      assert.equal(c.RestartCount, 0);
      const logs = sh(DOCKER, ['logs', id]).stderr + sh(DOCKER, ['logs', id]).stdout;
      const why = logs.split('\n').filter((l) => /password authentication failed/.test(l));
      log(`serve, wrong password: /health/ready ${ready.status}, /System/Info/Public ${api.status}, running after 3 s, ${why.length} log lines saying why, e.g. ${why[0]}`);
      assert.ok(why.length >= 1, `a log line says why:\n${logs.slice(-2000)}`);
    } finally {
      sh(DOCKER, ['rm', '-f', id], { allowFail: true });
    }
    timing('scenario-8-faults', t0);
  });

  test('3. one replica killed under load: no GET fails', async () => {
    const t0 = Date.now();
    const key = await newKey('kill');
    const l = load(() => http('GET', '/System/Info', { token: key }));
    await sleep(1500);
    const victim = containers('keyfin')[1];
    docker('kill', victim);
    await sleep(8000);   // beyond nginx's DNS cache (valid=5s)
    const c = await l.stop();
    log(`kill -9 one replica under load: ${JSON.stringify(c)} (${total(c)} GETs) ${l.errors.join('; ')}`);
    assert.deepEqual(Object.keys(c), ['200'], `every GET 200: ${JSON.stringify(c)} ${l.errors}`);
    const restarted = inspect(victim).State.Running;
    log(`the killed replica was ${restarted ? 'restarted by docker' : 'not restarted (docker kill is a manual stop); started again'}`);
    if (!restarted) docker('start', victim);
    await waitReplicasReady(3);
    timing('scenario-3-kill-replica', t0);
  });

  async function newKey(app) {
    await createKey(admin, app);
    const key = (await listKeys(admin)).filter((k) => k.AppName === app).at(-1).AccessToken;
    keysMade.push(key);
    return key;
  }

  test('4. postgres restarted under load: 503 while down, recovery without restarting keyfin, no key lost', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await newKey(`pg-${i}`);
    const before0 = new Set((await listKeys(admin)).map((k) => k.AccessToken));
    const replicas = containers('keyfin').map((id) => ({ id, started: inspect(id).State.StartedAt }));
    const key = keysMade.at(-1);
    const l = load(() => http('GET', '/System/Info', { token: key }));
    await sleep(1500);
    const pg = containers('postgres')[0];
    const tDown = Date.now();
    docker('stop', '-t', '10', pg);
    await sleep(3000);
    docker('start', pg);
    await until('postgres healthy', () => inspect(pg).State.Health?.Status === 'healthy', 60_000, 500);
    const recovered = await until('a 200 through nginx', async () => (await http('GET', '/System/Info', { token: key })).status === 200, 30_000, 100);
    const tRecovered = ((Date.now() - tDown) / 1000).toFixed(1);
    await sleep(2000);
    const c = await l.stop();
    log(`postgres stopped 3 s and started under load: ${JSON.stringify(c)}; answering 200 again ${tRecovered} s after the stop`);
    assert.ok(recovered);
    assert.ok(c['503'] > 0, 'some 503 while PostgreSQL was down');
    for (const k of Object.keys(c)) assert.ok(k === '200' || k === '503', `only 200 and 503: ${JSON.stringify(c)} ${l.errors}`);
    for (const r of replicas) {
      const now = inspect(r.id);
      assert.equal(now.State.StartedAt, r.started, 'keyfin replica not restarted');
      assert.equal(now.RestartCount, 0);
    }
    await waitReplicasReady(3);
    const after0 = new Set((await listKeys(admin)).map((k) => k.AccessToken));
    const lost = [...before0].filter((k) => !after0.has(k));
    log(`keys before ${before0.size}, after ${after0.size}, lost ${lost.length}`);
    assert.equal(lost.length, 0);
    timing('scenario-4-postgres-restart', t0);
  });

  test('6. rolling replacement of the replicas with a new image: no request fails', async () => {
    const t0 = Date.now();
    const since = new Date().toISOString();
    const v2 = `${IMAGE}-v2`;
    sh(DOCKER, ['build', '-q', '--label', 'org.keyfin.test=run', '-t', v2, '-'],
      { input: `FROM ${IMAGE}\nLABEL org.keyfin.test.version=2\n`, extraEnv: { DOCKER_BUILDKIT: '1' } });
    const key = await newKey('rolling');
    const old = containers('keyfin');
    const l = load(() => http('GET', '/System/Info', { token: key }));
    const lp = load(() => http('GET', '/Auth/Keys', { token: admin }), 1);
    await sleep(1000);
    // three new replicas on the new image next to the old ones ...
    compose(['up', '-d', '--no-build', '--no-deps', '--no-recreate', '--scale', 'keyfin=6', 'keyfin'], { extraEnv: { KEYFIN_IMAGE: v2 } });
    await waitReplicasReady(6);
    await sleep(6000);   // nginx's cached DNS answer (valid=5s) now has them
    // ... then the old ones stopped one at a time (SIGTERM: drain, exit 0),
    // each after nginx's DNS answer without the previous one (valid=5s):
    // at most one address nginx still knows is gone at any time.
    for (const id of old) {
      docker('stop', '-t', '35', id);
      const s = inspect(id).State;
      assert.equal(s.ExitCode, 0, 'an old replica drains and exits 0');
      docker('rm', id);
      await sleep(6000);
    }
    const c = await l.stop();
    const cp = await lp.stop();
    const now = containers('keyfin');
    const nginxLog = sh(DOCKER, ['logs', '--since', since, containers('nginx')[0]]).stdout.split('\n').filter((x) => /"status":5/.test(x));
    fs.writeFileSync(path.join(OUT, 'rolling-5xx.log'), nginxLog.join('\n'));
    log(`rolling replacement under load: GET /System/Info ${JSON.stringify(c)}, GET /Auth/Keys ${JSON.stringify(cp)} ${l.errors.join('; ')}`);
    assert.equal(now.length, 3);
    for (const id of now) assert.equal(inspect(id).Config.Image, v2);
    assert.deepEqual(Object.keys(c), ['200'], JSON.stringify(c));
    assert.deepEqual(Object.keys(cp), ['200'], JSON.stringify(cp));
    timing('scenario-6-rolling', t0);
  });

  test('5. down, then up: every key still there (named volume), the secret unchanged', async () => {
    const t0 = Date.now();
    const keys = (await listKeys(admin)).map((k) => k.AccessToken).sort();
    const secret = fs.readFileSync(path.join(SECRETS, 'keyfin_secret'), 'utf8');
    compose(['down']);
    assert.equal(containers('keyfin', true).length, 0);
    sh(path.join(ROOT, 'deploy', 'compose', 'make-secrets'), []);   // run again: changes nothing
    assert.equal(fs.readFileSync(path.join(SECRETS, 'keyfin_secret'), 'utf8'), secret, 'make-secrets keeps the secret');
    compose(['up', '-d', '--no-build', '--scale', 'keyfin=3']);
    await waitReady();
    await waitReplicasReady(3);
    admin = await login();
    const again = (await listKeys(admin)).map((k) => k.AccessToken).sort();
    assert.deepEqual(again, keys);
    // a key made before works after: the same server secret
    let ok = 0;
    for (const k of keysMade.slice(-5)) if ((await http('GET', '/System/Info', { token: k })).status === 200) ok++;
    log(`down/up: ${again.length} of ${keys.length} keys listed, ${ok} of 5 older keys accepted`);
    assert.equal(ok, 5);
    timing('scenario-5-down-up', t0);
  });
}
