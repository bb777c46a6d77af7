// Production-like topologies on loopback for the fault tests: several
// `keyfin serve` instances on TCP ports over the database of a harness stack,
// one nginx in front with an upstream block over all of them, rendered from
// nginx/keyfin.conf.in (the same limits, log format and 502/504 -> 503) with
// only the fastcgi_pass target changed.  Also a bounded load generator.
//
// Everything lives under <stack dir>/topo; logs under <stack dir>/topo/log,
// which assertTopologyLogsClean() checks for secrets like the harness does.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { ROOT, freePort, pollUntil } from './harness.mjs';
import { request } from './fcgi.mjs';

export const BIN = process.env.KEYFIN_BIN || path.join(ROOT, 'build', 'keyfin');
const EXIT_TIMEOUT_MS = 40_000;

// The fields after the command name in /proc/PID/stat; null when gone.
export function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

// Live (not zombie) children of `pid`, from /proc.
export function childrenOf(pid) {
  const kids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = procStat(name);
    if (f && Number(f[1]) === pid && f[0] !== 'Z') kids.push(Number(name));
  }
  return kids.sort((a, b) => a - b);
}

// Running (not a zombie); false for no pid.
export function alive(pid) {
  const f = pid ? procStat(pid) : null;
  return f !== null && f[0] !== 'Z';
}

// psql: the harness's, for the files that import it from here
export { psql } from './harness.mjs';

export class Topology {
  constructor(stack) {
    this.S = stack;
    this.instances = [];
    this.nginxPid = null;
  }

  get dir() { return path.join(this.S.dir, 'topo'); }

  async init() {
    for (const d of ['run', 'log', 'nginx']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    fs.chmodSync(this.dir, 0o755);
    for (const d of ['run', 'log', 'nginx']) fs.chmodSync(path.join(this.dir, d), 0o755);
    this.dbUrl = await this.S.databaseUrl();
    return this;
  }

  // A `keyfin serve` on 127.0.0.1:<port> (`bin`: another keyfin binary,
  // e.g. the previous release's).  Its stderr goes to
  // topo/log/keyfin-<name>.log and to `inst.log`.
  async startInstance(name, { workers = 2, env = {}, wait = true, port, bin = BIN } = {}) {
    port = port ?? await freePort();
    const logPath = path.join(this.dir, 'log', `keyfin-${name}.log`);
    const logFd = fs.openSync(logPath, 'a');
    const child = spawn(bin, ['serve'], {
      env: {
        PATH: process.env.PATH,
        // `make asan`: the sanitizer settings reach every instance
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(ASAN|UBSAN)_OPTIONS$/.test(k))),
        KEYFIN_DATABASE_URL: this.dbUrl,
        KEYFIN_SECRET_FILE: path.join(this.S.dir, 'secret'),
        KEYFIN_LISTEN: `127.0.0.1:${port}`,
        KEYFIN_WORKERS: String(workers),
        // as root, the workers run as the stack's unprivileged user
        ...(process.getuid() === 0 ? { KEYFIN_USER: 'keyfin' } : {}),
        KEYFIN_AUTH_FAIL_BURST: '0',    // as in the harness's stacks
        ...env,
      },
      stdio: ['ignore', logFd, 'pipe'],
      // its own process group: an instance can be lost whole (kill -9 -pgid)
      detached: true,
    });
    fs.closeSync(logFd);
    const inst = { name, port, child, pid: child.pid, log: '', exited: null };
    child.stderr.on('data', (d) => {
      inst.log += d;
      fs.appendFileSync(logPath, d);
    });
    inst.exit = new Promise((resolve) => child.on('exit', (code, signal) => {
      inst.exited = { code, signal };
      resolve(inst.exited);
    }));
    this.instances.push(inst);
    if (wait) await this.waitUp(inst);
    return inst;
  }

  async waitUp(inst) {
    const up = await pollUntil(async () => (await request(inst.port, 'GET', '/System/Ping')).status === 200,
      { attempts: 100, intervalMs: 100 });
    assert.ok(up, `keyfin serve ${inst.name} on :${inst.port} did not answer:\n${inst.log}`);
  }

  // Waits (bounded) for the instance to exit; returns {code, signal}.
  async waitExit(inst, ms = EXIT_TIMEOUT_MS) {
    const timer = new Promise((resolve) => setTimeout(resolve, ms, 'timeout').unref());
    const r = await Promise.race([inst.exit, timer]);
    assert.notEqual(r, 'timeout', `keyfin serve ${inst.name} did not exit within ${ms} ms:\n${inst.log}`);
    return r;
  }

  workers(inst) { return childrenOf(inst.pid); }

  // The instance dies at once, workers and all, as when its machine is lost.
  kill(inst) {
    try { process.kill(-inst.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  // nginx from nginx/keyfin.conf.in (scripts/render-nginx), its
  // fastcgi_pass pointed at an upstream over `instances` that fails over as
  // deploy/compose does (error timeout http_503: an instance cut from its
  // database answers 503 and idempotent requests go to another).
  //
  // `extra.http` and `extra.server` are spliced into the http {} block and
  // before `location /` (e.g. nginx/gateway.conf.example's two parts);
  // `extra.front` is a Jellyfin URL for front mode.
  async startNginx(instances = this.instances, extra = {}) {
    this.httpPort = await freePort();
    this.httpsPort = await freePort();
    this.view = null;
    const tls = path.join(this.dir, 'tls');
    fs.mkdirSync(tls, { recursive: true, mode: 0o700 });
    for (const f of ['cert.pem', 'key.pem']) fs.copyFileSync(path.join(this.S.dir, 'tls', f), path.join(tls, f));
    this.nginxConf = path.join(this.dir, 'nginx', 'nginx.conf');
    const render = ['-o', this.nginxConf, `VAR=${this.dir}`, 'BIND=127.0.0.1',
      `HTTP_PORT=${this.httpPort}`, `HTTPS_PORT=${this.httpsPort}`, '--upstream', 'keyfin_topology',
      ...instances.flatMap((i) => ['--upstream-server', `127.0.0.1:${i.port} max_fails=1 fail_timeout=2s`])];
    // not root: an empty line where scripts/stack has a comment
    if (process.getuid() !== 0) render.push('USER=');
    if (extra.http) render.push('--http', extra.http);
    if (extra.server) render.push('--server', extra.server);
    // front mode (docs/front.md): nginx/front.conf.in, before this Jellyfin
    if (extra.front) render.push('--front', extra.front);
    execFileSync(path.join(ROOT, 'scripts', 'render-nginx'), render, { stdio: ['ignore', 'ignore', 'pipe'] });
    const args = ['-p', `${path.join(this.dir, 'nginx')}/`, '-c', this.nginxConf,
      '-e', path.join(this.dir, 'log', 'nginx-error.log')];
    execFileSync('nginx', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    const pidFile = path.join(this.dir, 'run', 'nginx.pid');
    const pid = await pollUntil(() => {
      try { return Number(fs.readFileSync(pidFile, 'utf8').trim()) || null; } catch { return null; }
    }, { attempts: 50, intervalMs: 100 });
    assert.ok(pid, 'nginx wrote its pid file');
    this.nginxPid = pid;
    const up = await pollUntil(async () => (await this.req('GET', '/System/Ping')).status === 200,
      { attempts: 50, intervalMs: 100 });
    assert.ok(up, 'nginx of the topology answers');
  }

  // nginx leaves an instance out for fail_timeout (2 s, counted in whole
  // seconds) after an error or a 503, then lets one request through to it
  // and takes it back on success.  After a fault every instance had, wait
  // for that: past fail_timeout, then sequential requests (round-robin
  // gives each instance one).
  async settle() {
    const from = Date.now();
    await pollUntil(() => Date.now() - from > 3000, { attempts: 40, intervalMs: 100 });
    for (let i = 0; i < 2 * this.instances.length; i++) {
      const r = await this.req('GET', '/System/Ping');
      assert.equal(r.status, 200, 'nginx takes the instances back');
    }
  }

  // An HTTP request to the topology's nginx (the harness's Stack.req, aimed
  // at another port).
  req(method, p, opts = {}) {
    this.view ??= Object.create(this.S, {
      httpPort: { value: this.httpPort }, httpsPort: { value: this.httpsPort },
    });
    return this.view.req(method, p, opts);
  }

  async stopNginx() {
    if (!this.nginxPid) return;
    const pid = this.nginxPid;
    this.nginxPid = null;
    try { process.kill(pid, 'SIGQUIT'); } catch { return; }
    const gone = await pollUntil(() => !alive(pid), { attempts: 100, intervalMs: 100 });
    if (!gone) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (const kid of childrenOf(pid)) try { process.kill(kid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  // Stops everything this topology started: nginx, then each instance
  // (SIGTERM, then SIGKILL of the supervisor and its workers if it hangs).
  async stop() {
    await this.stopNginx();
    for (const inst of this.instances) {
      if (inst.exited) continue;
      const workers = childrenOf(inst.pid);
      inst.child.kill('SIGTERM');
      const timer = new Promise((resolve) => setTimeout(resolve, EXIT_TIMEOUT_MS, 'timeout').unref());
      if (await Promise.race([inst.exit, timer]) === 'timeout') {
        for (const w of workers) try { process.kill(w, 'SIGKILL'); } catch { /* gone */ }
        inst.child.kill('SIGKILL');
        await inst.exit;
      }
    }
  }

  stopSync() {
    if (this.nginxPid) try { process.kill(this.nginxPid, 'SIGTERM'); } catch { /* gone */ }
    for (const inst of this.instances) {
      if (inst.exited) continue;
      try { process.kill(-inst.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  // No secret the tests used in any topology log (call after stop()).
  assertLogsClean() {
    const leaks = [];
    const dir = path.join(this.dir, 'log');
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    assert.ok(files.length > 0, 'topology logs exist');
    for (const p of files) {
      const text = fs.readFileSync(p).toString('latin1');
      for (const s of this.S.secrets) {
        for (const f of new Set([s, encodeURIComponent(s)])) {
          if (f.length >= 8 && text.includes(f)) leaks.push(`${path.basename(p)} holds ${f.slice(0, 6)}…`);
        }
      }
      const m = text.match(/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/);
      assert.equal(m, null, `${p} holds a sanitizer report`);
    }
    assert.deepEqual(leaks, [], 'secrets found in topology logs');
  }
}

// Runs `total` calls of `task(i)` with at most `concurrency` in flight and
// stops early when `deadlineMs` has passed (every load loop is bounded in
// count and time).  Returns the results in call order: {ok, value|error, i}.
export async function boundedLoad(total, concurrency, task, { deadlineMs = 120_000, stop } = {}) {
  const results = new Array(total);
  const end = Date.now() + deadlineMs;
  let next = 0;
  const lane = async () => {
    while (next < total && Date.now() < end && !(stop && stop())) {
      const i = next++;
      try {
        results[i] = { i, ok: true, value: await task(i) };
      } catch (error) {
        results[i] = { i, ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results.filter(Boolean);
}
