// A real high-availability PostgreSQL cluster for the tests: one etcd and
// N (default 2) PostgreSQL 15 nodes managed by Patroni, with synchronous
// replication, every process on 127.0.0.1 and on free ports.
//
// The configuration is deploy/ha/ itself: etcd.env, patroni-node1.yml (the
// first node), patroni-node2.yml (every other node) and post-bootstrap.sh
// are rendered (their @PLACEHOLDERS@ filled) and run as they are, so the
// documented example cannot rot without the HA tests failing.
//
//   const C = new HaCluster({ nodes: 2 });   // ttl, loopWait, retryTimeout, fsync
//   await C.start();                         // leader + streaming sync standby + role/db keyfin
//   const url = C.url();                     // libpq multi-host, target_session_attrs=read-write
//   const { name, at } = await C.killLeader();
//   await C.waitLeader({ not: name });
//   await C.restartNode(name); await C.waitSyncStandby({ name });
//   await C.stop();
//
// Patroni and PostgreSQL run as the user postgres when we are root (node's
// spawn uid/gid: the pid we hold is Patroni's own, not a runuser wrapper);
// etcd runs as the current user.  Everything lives under one
// mkdtemp(<tmp>/keyfin-ha-XXXXXX) directory; it is removed at exit after a
// clean run and kept (its path printed) otherwise or with KEYFIN_HA_KEEP=1.
// Every wait is a bounded poll; 'exit', SIGINT and SIGTERM kill whatever is
// left, so a crashed test run leaves no etcd, Patroni or postgres behind.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import crypto from 'node:crypto';
import { spawn, execFile } from 'node:child_process';
import { ROOT, freePort, pollUntil } from './harness.mjs';
import { procStat, alive } from './topology.mjs';

export const DEPLOY_HA = path.join(ROOT, 'deploy', 'ha');

// The programs (Debian's packages); KEYFIN_HA_* override them.
export const PG_BIN = process.env.KEYFIN_HA_PG_BIN || '/usr/lib/postgresql/15/bin';
export const PATRONI = process.env.KEYFIN_HA_PATRONI || '/usr/bin/patroni';
export const PATRONICTL = process.env.KEYFIN_HA_PATRONICTL || '/usr/bin/patronictl';
export const ETCD = process.env.KEYFIN_HA_ETCD || '/usr/bin/etcd';

// Bounds (ms).  Bootstrap is initdb + first start + post-bootstrap.sh;
// a replica's first start is a pg_basebackup of the (small) cluster.
const ETCD_START_MS = 30_000;
const BOOTSTRAP_MS = 90_000;
const REPLICA_START_MS = 90_000;
const DEFAULT_WAIT_MS = 60_000;
const REST_TIMEOUT_MS = 2_000;
const PSQL_TIMEOUT_MS = 30_000;
const STOP_PATRONI_MS = 30_000;
const STOP_OTHER_MS = 10_000;
const POLL_MS = 200;

const HOST = '127.0.0.1';

// ---- small process helpers (procStat and alive are topology.mjs's) -------

// Still has a /proc entry, even as a zombie (Patroni would mistake a zombie
// postmaster whose pid is in postmaster.pid for a live one).
function exists(pid) {
  return pid ? fs.existsSync(`/proc/${pid}`) : false;
}

function allProcs() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = procStat(name);
    if (!f || f[0] === 'Z') continue;
    let cmdline = '';
    try { cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { /* gone */ }
    out.push({ pid: Number(name), ppid: Number(f[1]), cmdline });
  }
  return out;
}

// `roots` and all their live descendants.
function withDescendants(roots, procs = allProcs()) {
  const set = new Set(roots.filter((p) => p));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (!set.has(p.pid) && set.has(p.ppid)) { set.add(p.pid); grew = true; }
    }
  }
  return [...set].filter((pid) => alive(pid));
}

function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

function signal(pid, sig) {
  try { process.kill(pid, sig); return true; } catch { return false; }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Bounded wait: `fn` returns a truthy value when the condition holds (it may
// throw: that counts as "not yet", unless the error has `fatal` set).  Built on the harness's pollUntil, with a
// wall-clock deadline on top (fn itself may take a while).
async function waitFor(what, fn, timeoutMs, intervalMs = POLL_MS) {
  const deadline = Date.now() + timeoutMs;
  const TIMED_OUT = Symbol('timeout');
  let lastError = null;
  let fatal = null;
  const v = await pollUntil(async () => {
    if (Date.now() > deadline) return TIMED_OUT;
    try {
      return await fn();
    } catch (e) {
      lastError = e;
      if (e.fatal) { fatal = e; return TIMED_OUT; }
      return undefined;
    }
  }, { attempts: Math.ceil(timeoutMs / intervalMs) + 2, intervalMs });
  if (fatal) throw new Error(`${fatal.message} (while waiting for ${what})`);
  if (!v || v === TIMED_OUT) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
      (lastError ? ` (last error: ${lastError.message})` : ''));
  }
  return v;
}

// One HTTP request to a local Patroni REST API / etcd; never throws on a
// status, throws on connection errors and on its own timeout.
function httpJson(port, method, p, body, timeoutMs = REST_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const r = http.request({
      host: HOST, port, method, path: p, agent: false, timeout: timeoutMs,
      headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, body: text, json });
      });
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`timeout: ${method} :${port}${p}`)));
    r.on('error', reject);
    r.end(data);
  });
}

// The uid/gid of `postgres` when we are root (PostgreSQL refuses root).
function postgresIds() {
  if (process.getuid() !== 0) return null;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no user postgres to run PostgreSQL as');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

// Fill a deploy/ha template; every placeholder must be known.
export function render(file, values) {
  let text = fs.readFileSync(path.join(DEPLOY_HA, file), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`@${k}@`, String(v));
  const left = text.match(/@[A-Z][A-Z0-9_]*@/);
  if (left) throw new Error(`deploy/ha/${file} has a placeholder hacluster.mjs does not fill: ${left[0]}`);
  return text;
}

// KEY=VALUE lines of an env file (comments and blank lines skipped).
function parseEnvFile(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// ---- the cluster ---------------------------------------------------------

export class HaCluster {
  // nodes: PostgreSQL nodes (>= 1; 2 for a primary + sync standby).
  // ttl / loopWait / retryTimeout: Patroni's, seconds (loopWait +
  // 2 * retryTimeout <= ttl).  fsync: PostgreSQL's fsync (off by default
  // for speed; synchronous_commit stays on whatever this says).
  constructor({ nodes = 2, ttl = 10, loopWait = 1, retryTimeout = 4, fsync = false } = {}) {
    for (const [k, v] of Object.entries({ nodes, ttl, loopWait, retryTimeout })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`HaCluster: ${k} must be an integer >= 1, got ${v}`);
    }
    if (loopWait + 2 * retryTimeout > ttl) {
      throw new Error(`HaCluster: Patroni needs loop_wait + 2*retry_timeout <= ttl (${loopWait} + 2*${retryTimeout} > ${ttl})`);
    }
    this.options = { nodes, ttl, loopWait, retryTimeout, fsync: !!fsync };
    this.nodes = [];
    this.etcd = null;
    this.dir = null;
    this.scope = `keyfin-ha-${crypto.randomBytes(4).toString('hex')}`;
    this.started = false;
    this.stopped = false;
    this.startMs = null;
    this.failed = false;
  }

  node(name) {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`HaCluster: no node named ${JSON.stringify(name)} (nodes: ${this.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  // ---- start ---------------------------------------------------------------

  // Resolves once: etcd is healthy, node1 bootstrapped the cluster and is a
  // writable leader, the role and database keyfin exist, and (nodes >= 2)
  // a replica is streaming and listed as the synchronous standby, every
  // other replica streaming.  On failure everything started is stopped and
  // the directory kept; the error carries the logs.
  async start() {
    if (this.dir) throw new Error('HaCluster: start() called twice');
    const t0 = Date.now();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfin-ha-'));
    fs.chmodSync(this.dir, 0o755);
    registerCleanup(this);
    try {
      this.pgIds = postgresIds();
      fs.mkdirSync(path.join(this.dir, 'log'), { mode: 0o755 });
      fs.chmodSync(path.join(this.dir, 'log'), 0o755);
      // post-bootstrap.sh copied (not referenced in the work tree), so the
      // user postgres need not be able to reach the checkout.
      this.postBootstrap = path.join(this.dir, 'post-bootstrap.sh');
      fs.copyFileSync(path.join(DEPLOY_HA, 'post-bootstrap.sh'), this.postBootstrap);
      fs.chmodSync(this.postBootstrap, 0o755);

      await this._startEtcd();
      for (let i = 1; i <= this.options.nodes; i++) await this._prepareNode(i);

      // node1 first, alone: it bootstraps deterministically (the tests can
      // rely on node1 being the first leader); then the replicas clone it.
      const [first, ...rest] = this.nodes;
      this._spawnPatroni(first);
      await waitFor(`${first.name} to bootstrap the cluster and lead it`, async () => {
        this._assertRunning(first);
        return (await this._writableLeader()) === first.name;
      }, BOOTSTRAP_MS, 250);
      await waitFor('role and database keyfin (post-bootstrap.sh)',
        async () => (await this.psql(first.name, 'SELECT current_user || \'/\' || current_database()')).trim() === 'keyfin/keyfin',
        DEFAULT_WAIT_MS);
      for (const n of rest) this._spawnPatroni(n);
      if (rest.length > 0) {
        await waitFor('a replica to be the streaming sync standby', async () => {
          for (const n of this.nodes) this._assertRunning(n);
          return this._syncStandby();
        }, REPLICA_START_MS);
        await waitFor('every replica streaming', async () => {
          const rep = await this._replication(first);
          return rest.every((n) => rep.some((r) => r.application_name === n.name && r.state === 'streaming'));
        }, REPLICA_START_MS);
      }
      this.started = true;
      this.startMs = Date.now() - t0;
      return this;
    } catch (e) {
      this.failed = true;
      const logs = this.logs();
      await this.stop().catch((err) => console.error(`# HaCluster stop after failed start: ${err.message}`));
      throw new Error(`HaCluster start failed (state kept in ${this.dir}): ${e.message}\n${logs}`);
    }
  }

  async _startEtcd() {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const dataDir = path.join(this.dir, 'etcd');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const envText = render('etcd.env', {
      ETCD_NAME: 'etcd1',
      ETCD_DATA: dataDir,
      ETCD_HOST: HOST,
      ETCD_CLIENT_PORT: clientPort,
      ETCD_PEER_PORT: peerPort,
      ETCD_TOKEN: this.scope,
    });
    const envPath = path.join(this.dir, 'etcd.env');
    fs.writeFileSync(envPath, envText);
    const logPath = path.join(this.dir, 'log', 'etcd.log');
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: this.dir,
      ...parseEnvFile(envText),
      // etcd 3.4 refuses to start on anything but amd64/ppc64le without it.
      ...(process.arch === 'arm64' ? { ETCD_UNSUPPORTED_ARCH: 'arm64' } : {}),
    };
    const out = fs.openSync(logPath, 'a');
    const child = spawn(ETCD, [], { cwd: this.dir, env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    child.unref();
    this.etcd = { pid: child.pid, clientPort, peerPort, dataDir, logPath, envPath, exited: null };
    Object.defineProperty(this.etcd, 'child', { value: child, enumerable: false });
    child.on('exit', (code, sig) => { this.etcd.exited = { code, signal: sig }; });
    child.on('error', (e) => { this.etcd.exited = { error: e.message }; });
    await waitFor('etcd to be healthy', async () => {
      if (this.etcd.exited) throw fatal(`etcd exited: ${JSON.stringify(this.etcd.exited)}`);
      const r = await httpJson(clientPort, 'GET', '/health');
      return r.status === 200 && r.json && String(r.json.health) === 'true';
    }, ETCD_START_MS);
  }

  async _prepareNode(i) {
    const name = `node${i}`;
    const nodeDir = path.join(this.dir, name);
    const n = {
      name,
      pgPort: await freePort(),
      restPort: await freePort(),
      nodeDir,
      dataDir: path.join(nodeDir, 'data'),
      sockDir: path.join(nodeDir, 'sock'),
      confPath: path.join(nodeDir, 'patroni.yml'),
      logPath: path.join(this.dir, 'log', `patroni-${name}.log`),
      pgLogDir: path.join(this.dir, 'log', name),
      pgLogPath: path.join(this.dir, 'log', name, 'postgresql.log'),
      patroniPid: null,
      exited: null,     // {code, signal, at} once this start of Patroni exited
      starts: 0,        // how many times Patroni was started
      frozen: null,     // pids stopped by freezeNode()
    };
    // The ChildProcess: kept out of console.log(C.nodes).
    Object.defineProperty(n, 'child', { value: null, writable: true, enumerable: false });
    // A unix socket path is limited to 107 bytes.
    if (`${n.sockDir}/.s.PGSQL.65535`.length > 100) {
      throw new Error(`socket directory ${n.sockDir} is too long for a unix socket; set TMPDIR to a short directory such as /tmp`);
    }
    for (const [d, mode] of [[nodeDir, 0o755], [n.dataDir, 0o700], [n.sockDir, 0o755], [n.pgLogDir, 0o755]]) {
      fs.mkdirSync(d, { recursive: true, mode });
      fs.chmodSync(d, mode);
      if (this.pgIds) fs.chownSync(d, this.pgIds.uid, this.pgIds.gid);
    }
    const template = i === 1 ? 'patroni-node1.yml' : 'patroni-node2.yml';
    fs.writeFileSync(n.confPath, render(template, {
      SCOPE: this.scope,
      NAME: name,
      HOST,
      REST_PORT: n.restPort,
      PG_PORT: n.pgPort,
      ETCD_HOSTS: `${HOST}:${this.etcd.clientPort}`,
      DATA: n.dataDir,
      PG_BIN,
      SOCK: n.sockDir,
      PG_LOG_DIR: n.pgLogDir,
      PGPASS: path.join(nodeDir, 'pgpass'),
      POST_BOOTSTRAP: this.postBootstrap,
      TTL: this.options.ttl,
      LOOP_WAIT: this.options.loopWait,
      RETRY_TIMEOUT: this.options.retryTimeout,
      FSYNC: this.options.fsync ? 'on' : 'off',
    }), { mode: 0o644 });
    this.nodes.push(n);
    return n;
  }

  // The environment of Patroni (and so of PostgreSQL and post-bootstrap.sh):
  // nothing from ours (no PG*, PATRONI_*, pyenv), HOME in the node's dir.
  _patroniEnv(n) {
    return {
      PATH: `${PG_BIN}:/usr/bin:/bin`,
      HOME: n.nodeDir,
      USER: this.pgIds ? 'postgres' : (process.env.USER || 'root'),
      LOGNAME: this.pgIds ? 'postgres' : (process.env.USER || 'root'),
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      PYTHONUNBUFFERED: '1',
    };
  }

  _spawnPatroni(n) {
    const out = fs.openSync(n.logPath, 'a');
    fs.writeSync(out, `\n==== hacluster: starting patroni for ${n.name} at ${new Date().toISOString()}\n`);
    const child = spawn(PATRONI, [n.confPath], {
      cwd: '/',
      env: this._patroniEnv(n),
      stdio: ['ignore', out, out],
      // its own session: a Ctrl-C meant for the test does not reach
      // Patroni (which would shut down on its own); our SIGINT handler
      // cleans up instead.
      detached: true,
      ...(this.pgIds || {}),
    });
    fs.closeSync(out);
    child.unref();
    n.child = child;
    n.patroniPid = child.pid;
    n.exited = null;
    n.starts += 1;
    child.on('exit', (code, sig) => { if (n.child === child) n.exited = { code, signal: sig, at: Date.now() }; });
    child.on('error', (e) => { if (n.child === child) n.exited = { error: e.message, at: Date.now() }; });
  }

  // For waits: a Patroni (or etcd) that exited will not come back.
  _assertRunning(n) {
    if (this.etcd && this.etcd.exited) throw fatal(`etcd exited: ${JSON.stringify(this.etcd.exited)}`);
    if (n.exited) throw fatal(`patroni ${n.name} exited: ${JSON.stringify(n.exited)}`);
  }

  _patroniRunning(n) {
    return n.child !== null && n.exited === null && alive(n.patroniPid);
  }

  // The postmaster of a node, from its postmaster.pid (null if none runs).
  _postmasterPid(n) {
    try {
      const pid = Number(fs.readFileSync(path.join(n.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  // ---- cluster state (Patroni REST API) ---------------------------------------

  // GET /cluster from the first node whose Patroni answers (frozen nodes
  // are not asked: they would only time out).
  async _cluster() {
    let lastErr = new Error('no Patroni is running');
    for (const n of this.nodes) {
      if (!this._patroniRunning(n) || n.frozen) continue;
      try {
        const r = await httpJson(n.restPort, 'GET', '/cluster');
        if (r.status === 200 && r.json && Array.isArray(r.json.members)) return r.json;
        lastErr = new Error(`GET /cluster on ${n.name}: ${r.status}`);
      } catch (e) {
        lastErr = e;
      }
    }
    throw lastErr;
  }

  // The leader's name if it runs, holds the lock and accepts writes (its
  // Patroni answers 200 on GET /primary only then); else null.
  async _writableLeader(not) {
    const c = await this._cluster();
    const m = c.members.find((x) => x.role === 'leader');
    if (!m || m.name === not || m.state !== 'running') return null;
    const n = this.node(m.name);
    if (!this._patroniRunning(n) || n.frozen) return null;
    const r = await httpJson(n.restPort, 'GET', '/primary');
    return r.status === 200 ? m.name : null;
  }

  // pg_stat_replication of a node as Patroni reports it (GET /patroni).
  async _replication(n) {
    const r = await httpJson(n.restPort, 'GET', '/patroni');
    if (r.status !== 200 || !r.json) throw new Error(`GET /patroni on ${n.name}: ${r.status}`);
    return r.json.replication || [];
  }

  // The sync standby's name if GET /cluster lists it (role sync_standby,
  // state running/streaming) and the leader's pg_stat_replication shows it
  // streaming with sync_state 'sync'; else null.
  async _syncStandby(name) {
    const c = await this._cluster();
    const leader = c.members.find((x) => x.role === 'leader' && x.state === 'running');
    const sync = c.members.find((x) => x.role === 'sync_standby' && ['running', 'streaming'].includes(x.state) &&
      (!name || x.name === name));
    if (!leader || !sync) return null;
    const rep = await this._replication(this.node(leader.name));
    const r = rep.find((x) => x.application_name === sync.name);
    return r && r.state === 'streaming' && r.sync_state === 'sync' ? sync.name : null;
  }

  // Name of the current leader as the DCS says (GET /cluster), or null when
  // there is none (e.g. between a leader's loss and the election).  Right
  // after a kill this is still the dead node until its lock expires (ttl):
  // use waitLeader({ not }) to wait for the new one.  Throws if no Patroni
  // answered within timeoutMs.
  async leader({ timeoutMs = 10_000 } = {}) {
    const c = await waitFor('a Patroni REST API to answer GET /cluster', () => this._cluster(), timeoutMs);
    const m = c.members.find((x) => x.role === 'leader');
    return m ? m.name : null;
  }

  // Waits for a leader (other than `not`, if given) that runs and accepts
  // writes; returns its name.
  async waitLeader({ not, timeoutMs = DEFAULT_WAIT_MS } = {}) {
    try {
      return await waitFor(not ? `a leader other than ${not}` : 'a leader', () => this._writableLeader(not), timeoutMs);
    } catch (e) {
      throw new Error(`${e.message}\n${this.logs()}`);
    }
  }

  // Waits until a synchronous standby (`name`, if given) streams from the
  // leader: GET /cluster lists it with role sync_standby and state
  // running/streaming, and the leader's pg_stat_replication shows it
  // streaming with sync_state 'sync'.  Returns the standby's name.
  async waitSyncStandby({ name, timeoutMs = DEFAULT_WAIT_MS } = {}) {
    try {
      return await waitFor(name ? `${name} to be the streaming sync standby` : 'a streaming sync standby',
        () => this._syncStandby(name), timeoutMs);
    } catch (e) {
      throw new Error(`${e.message}\n${this.logs()}`);
    }
  }

  // ---- faults and operations --------------------------------------------------

  // The leader's machine is lost: see killNode.  Returns {name, at} where
  // `at` is Date.now() right after the kill; the dead leader's lock stays in
  // etcd until ttl, then the sync standby takes over.
  async killLeader({ timeoutMs = DEFAULT_WAIT_MS } = {}) {
    const name = await this.waitLeader({ timeoutMs });
    return this.killNode(name);
  }

  // A node's machine is lost: its Patroni, its postmaster and every process
  // of that PostgreSQL are stopped (SIGSTOP, so none reacts to the others'
  // death) and then killed with SIGKILL.  (On loopback the peers' TCP
  // connections are reset at once; a real lost machine sends no RST.)
  // Resolves {name, at} once they are dead; `at` is right after the kill.
  async killNode(name) {
    const n = this.node(name);
    const pm = this._postmasterPid(n);
    const procs = allProcs();
    const victims = withDescendants([this._patroniRunning(n) ? n.patroniPid : null, pm,
      ...procs.filter((p) => p.cmdline.includes(n.dataDir)).map((p) => p.pid)], procs);
    for (const pid of victims) signal(pid, 'SIGSTOP');
    for (const pid of victims) signal(pid, 'SIGKILL');
    const at = Date.now();
    n.frozen = null;
    await waitFor(`${name}'s processes to die`, () => victims.every((pid) => !alive(pid)), STOP_OTHER_MS, 50);
    return { name, at };
  }

  // A node's machine hangs (or is cut off without a TCP reset): its Patroni
  // and PostgreSQL processes get SIGSTOP.  Its peers notice only by
  // timeouts: its leader lock or member key expires after ttl.  thawNode()
  // resumes them (stop() does too).  Returns {name, at}.
  freezeNode(name) {
    const n = this.node(name);
    const procs = allProcs();
    n.frozen = withDescendants([this._patroniRunning(n) ? n.patroniPid : null, this._postmasterPid(n),
      ...procs.filter((p) => p.cmdline.includes(n.dataDir)).map((p) => p.pid)], procs);
    for (const pid of n.frozen) signal(pid, 'SIGSTOP');
    return { name, at: Date.now() };
  }

  thawNode(name) {
    const n = this.node(name);
    for (const pid of n.frozen || []) signal(pid, 'SIGCONT');
    n.frozen = null;
  }

  // Starts a node's Patroni again (after killLeader or stopNode).  It
  // rejoins as a replica, by pg_rewind if its timeline diverged.  Resolves
  // once its REST API answers; waitSyncStandby({ name }) waits for it to
  // stream again.
  async restartNode(name, { timeoutMs = DEFAULT_WAIT_MS } = {}) {
    const n = this.node(name);
    if (this._patroniRunning(n)) throw new Error(`HaCluster.restartNode: ${name}'s Patroni still runs`);
    // A killed postmaster is re-parented to init; until init reaps it, a
    // zombie with the pid of postmaster.pid exists and Patroni would take
    // it for a running postmaster.  Wait (bounded) for it to vanish.
    const pm = this._postmasterPid(n);
    if (pm) {
      await waitFor(`the old postmaster ${pm} of ${name} to be reaped`, () => !exists(pm), 30_000, 100)
        .catch((e) => console.error(`# HaCluster: ${e.message}; starting Patroni anyway`));
    }
    this._spawnPatroni(n);
    await waitFor(`${name}'s Patroni REST API`, async () => {
      this._assertRunning(n);
      return (await httpJson(n.restPort, 'GET', '/patroni')).status > 0;
    }, timeoutMs);
    return n;
  }

  // Stops one node's Patroni (SIGTERM: PostgreSQL is shut down cleanly, the
  // leader lock, if held, released at once), bounded, then SIGKILL.
  async stopNode(name, { timeoutMs = STOP_PATRONI_MS } = {}) {
    await this._stopPatroni(this.node(name), timeoutMs);
  }

  // A planned switchover to `to` (default: the sync standby) through the
  // leader's REST API (POST /switchover, what `patronictl switchover
  // --force` does).  In synchronous mode only the sync standby may be the
  // candidate, so it first waits for `to` to be one.  Resolves with the new
  // leader's name once it accepts writes.
  async switchover({ to, timeoutMs = DEFAULT_WAIT_MS } = {}) {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    const from = await this.waitLeader({ timeoutMs: left() });
    const candidate = await this.waitSyncStandby({ name: to, timeoutMs: left() });
    if (candidate === from) throw new Error(`HaCluster.switchover: ${from} already leads`);
    const leader = this.node(from);
    let answer = null;
    // 412/503: the state changed under us (e.g. the standby is still being
    // registered as sync); ask again within the bound.
    await waitFor(`switchover ${from} -> ${candidate}`, async () => {
      // An earlier attempt may have succeeded after its answer was lost.
      if (answer && (await this._writableLeader(from)) === candidate) return true;
      answer = await httpJson(leader.restPort, 'POST', '/switchover', { leader: from, candidate }, left());
      return answer.status === 200;
    }, left(), 500).catch((e) => {
      throw new Error(`${e.message}: ${answer ? `${answer.status} ${answer.body}` : 'no answer'}\n${this.logs()}`);
    });
    const now = await this.waitLeader({ not: from, timeoutMs: left() });
    if (now !== candidate) throw new Error(`HaCluster.switchover: ${now} leads, expected ${candidate}`);
    return now;
  }

  // patronictl with node's configuration (default the first node's):
  // resolves {code, stdout, stderr}.  e.g. C.patronictl(['list']).
  patronictl(args, { node, timeoutMs = 30_000 } = {}) {
    const n = node ? this.node(node) : this.nodes[0];
    return new Promise((resolve) => {
      execFile(PATRONICTL, ['-c', n.confPath, ...args],
        { env: { PATH: '/usr/bin:/bin', HOME: this.dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, timeout: timeoutMs, cwd: '/' },
        (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
    });
  }

  // ---- clients ----------------------------------------------------------------

  // libpq multi-host URL over the nodes (in node order, or `order` first:
  // a name or an array of names), as keyfin's KEYFIN_DATABASE_URL:
  //   postgresql://keyfin@127.0.0.1:p1,127.0.0.1:p2/keyfin?target_session_attrs=read-write&connect_timeout=2
  // `params` adds or replaces query parameters (null removes one).
  url({ order, user = 'keyfin', db = 'keyfin', params = {} } = {}) {
    const first = order === undefined ? [] : [].concat(order).map((x) => this.node(x));
    const list = [...first, ...this.nodes.filter((n) => !first.includes(n))];
    const q = { target_session_attrs: 'read-write', connect_timeout: '2', ...params };
    const query = Object.entries(q).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    return `postgresql://${encodeURIComponent(user)}@${list.map((n) => `${HOST}:${n.pgPort}`).join(',')}` +
      `/${encodeURIComponent(db)}${query ? `?${query}` : ''}`;
  }

  // One SQL text on one node through its unix socket (user keyfin, database
  // keyfin by default; the socket is trusted).  Resolves with psql's stdout
  // (unaligned, tuples only: "value\n"); rejects with psql's stderr.
  psql(name, sql, { user = 'keyfin', db = 'keyfin', timeoutMs = PSQL_TIMEOUT_MS } = {}) {
    const n = this.node(name);
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
      '-h', n.sockDir, '-p', String(n.pgPort), '-U', user, '-d', db, '-c', sql];
    return new Promise((resolve, reject) => {
      execFile(path.join(PG_BIN, 'psql'), args, {
        env: { PATH: '/usr/bin:/bin', HOME: this.dir, PGCONNECT_TIMEOUT: '5', PGAPPNAME: 'hacluster', LANG: 'C.UTF-8' },
        timeout: timeoutMs, maxBuffer: 64 << 20, cwd: '/',
      }, (err, stdout, stderr) => {
        if (err) reject(new Error(`psql on ${name} failed (${err.code ?? err.signal}): ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });
  }

  // ---- logs ---------------------------------------------------------------------

  // Every log file: [path, Buffer] (etcd, each Patroni, each PostgreSQL).
  logFiles() {
    const out = [];
    const walk = (d, depth) => {
      if (depth > 4) return;
      let entries;
      try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p, depth + 1);
        else if (e.isFile()) {
          try { out.push([p, fs.readFileSync(p)]); } catch { /* rotated away */ }
        }
      }
    };
    if (this.dir) walk(path.join(this.dir, 'log'), 0);
    return out;
  }

  // The tails of all logs, for assertion messages.
  logs(max = 3000) {
    return this.logFiles()
      .map(([p, b]) => `== ${p}\n${b.toString('utf8').slice(-max)}`)
      .join('\n');
  }

  // ---- stop -------------------------------------------------------------------------

  async _stopPatroni(n, timeoutMs) {
    if (!this._patroniRunning(n)) return;
    signal(n.patroniPid, 'SIGTERM');
    const ok = await waitFor(`patroni ${n.name} to stop`, () => !this._patroniRunning(n), timeoutMs, 100)
      .then(() => true, () => false);
    if (!ok) {
      console.error(`# HaCluster: patroni ${n.name} did not stop in ${timeoutMs} ms; SIGKILL`);
      signal(n.patroniPid, 'SIGKILL');
      await waitFor(`patroni ${n.name} to die`, () => !alive(n.patroniPid), STOP_OTHER_MS, 100).catch(() => {});
    }
  }

  // Processes of this cluster still alive: Patroni, etcd, anything whose
  // command line names our directory (postmasters, pg_basebackup, pg_rewind,
  // a single-user postgres) and all their descendants (backends).
  _leftovers() {
    if (!this.dir) return [];
    const procs = allProcs();
    const roots = procs.filter((p) => p.pid !== process.pid && p.cmdline.includes(this.dir)).map((p) => p.pid);
    for (const n of this.nodes) {
      roots.push(this._postmasterPid(n));
      if (this._patroniRunning(n)) roots.push(n.patroniPid);
    }
    if (this.etcd && this.etcd.exited === null) roots.push(this.etcd.pid);
    return withDescendants(roots.filter((pid) => pid && pid !== process.pid && alive(pid)), procs);
  }

  // Stops the Patroni nodes (replicas first, then the leader, so no replica
  // takes over a lock released at shutdown), then whatever PostgreSQL
  // process is left, then etcd: SIGTERM, SIGKILL after a bound.  Keeps the
  // directory unless { remove: true }.  Throws if a process survived.
  async stop({ remove = false } = {}) {
    if (this.stopped) return;
    this.stopped = true;
    for (const n of this.nodes) this.thawNode(n.name);
    let leader = null;
    try { leader = await this._writableLeader(); } catch { /* none */ }
    const replicas = this.nodes.filter((n) => n.name !== leader);
    await Promise.all(replicas.map((n) => this._stopPatroni(n, STOP_PATRONI_MS)));
    if (leader) await this._stopPatroni(this.node(leader), STOP_PATRONI_MS);
    // PostgreSQL left by a killed Patroni: immediate shutdown, then SIGKILL.
    for (const n of this.nodes) {
      const pm = this._postmasterPid(n);
      if (pm && alive(pm)) signal(pm, 'SIGQUIT');
    }
    const pgGone = () => this._leftovers().filter((pid) => pid !== this.etcd?.pid).length === 0;
    await waitFor('PostgreSQL processes to exit', pgGone, STOP_OTHER_MS, 100).catch(() => {});
    for (const pid of this._leftovers()) if (pid !== this.etcd?.pid) signal(pid, 'SIGKILL');
    if (this.etcd && this.etcd.exited === null) {
      signal(this.etcd.pid, 'SIGTERM');
      await waitFor('etcd to exit', () => !alive(this.etcd.pid), STOP_OTHER_MS, 100)
        .catch(() => signal(this.etcd.pid, 'SIGKILL'));
    }
    const left = await waitFor('every process to be gone', () => this._leftovers().length === 0, STOP_OTHER_MS, 100)
      .then(() => [], () => this._leftovers());
    if (remove && left.length === 0) this.remove();
    if (left.length > 0) {
      for (const pid of left) signal(pid, 'SIGKILL');
      throw new Error(`HaCluster.stop: processes survived (killed now): ${left.join(' ')}`);
    }
  }

  // Best effort, synchronous (for process 'exit'): SIGKILL Patroni, an
  // immediate shutdown of PostgreSQL, SIGKILL of anything left, etcd too.
  stopSync() {
    if (this.stopped || !this.dir) return;
    this.stopped = true;
    for (const n of this.nodes) this.thawNode(n.name);
    for (const n of this.nodes) if (this._patroniRunning(n)) signal(n.patroniPid, 'SIGKILL');
    for (const n of this.nodes) {
      const pm = this._postmasterPid(n);
      if (pm && alive(pm)) signal(pm, 'SIGQUIT');
    }
    for (let i = 0; i < 50 && this._leftovers().some((pid) => pid !== this.etcd?.pid); i++) sleepSync(100);
    for (const pid of this._leftovers()) signal(pid, 'SIGKILL');
    for (let i = 0; i < 50 && this._leftovers().length > 0; i++) sleepSync(100);
  }

  // Removes the directory (data, logs).  Only once nothing runs.
  remove() {
    if (!this.dir) return;
    if (this._leftovers().length > 0) throw new Error('HaCluster.remove: processes still run; stop() first');
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.removed = true;
  }
}

// ---- lifecycle: nothing survives the test process ------------------------------

const clusters = new Set();
let exitHooked = false;

function registerCleanup(cluster) {
  clusters.add(cluster);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', (code) => {
    for (const c of clusters) {
      try { c.stopSync(); } catch (e) { console.error(`# HaCluster cleanup: ${e.message}`); }
      if (!c.dir || c.removed || !fs.existsSync(c.dir)) continue;
      if (code === 0 && !process.exitCode && !c.failed && process.env.KEYFIN_HA_KEEP !== '1') {
        try { fs.rmSync(c.dir, { recursive: true, force: true }); } catch { /* best effort */ }
      } else {
        console.error(`# HaCluster state kept for inspection: ${c.dir}`);
      }
    }
  });
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.on(sig, () => process.exit(code));
  }
}
