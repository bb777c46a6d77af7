// Integration harness: starts a whole keyfin stack (PostgreSQL + FastCGI
// workers + nginx) with scripts/stack on free loopback ports, and gives the
// tests small request helpers that show the raw status, headers and body.
//
// One stack per test file (each file runs in its own process under
// `node --test`).  The state directory is removed after a clean run and kept
// (its path printed) when something failed.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK = path.join(ROOT, 'scripts', 'stack');

export const HEX32 = /^[0-9a-f]{32}$/;
export const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,7}Z$/;
export const NEVER = '0001-01-01T00:00:00.0000000Z';
export const ZERO_ID = '00000000000000000000000000000000';

// Bounds for everything that waits.
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 60_000;
// KEYFIN_TEST_TIMEOUT_MS: longer for slow runs (`make valgrind`).
export const REQUEST_TIMEOUT_MS = Number(process.env.KEYFIN_TEST_TIMEOUT_MS) || 15_000;

// A test's `skip` option: `why` when the machine lacks what the test needs,
// but never under CI=true: there the test runs, and fails, so that a missing
// install step shows (scripts/deps installs everything CI needs).
export function skipUnless(ok, why) {
  return !ok && process.env.CI !== 'true' ? why : false;
}

export function randomHex(bytes = 16) {
  return crypto.randomBytes(bytes).toString('hex');
}

// A unique, readable suffix for names (users, apps, devices).
let uniq = 0;
export function unique(prefix) {
  uniq += 1;
  return `${prefix}${uniq}x${randomHex(3)}`;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd, args, env, timeout) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout, maxBuffer: 16 << 20, cwd: ROOT },
      (err, stdout, stderr) => {
        resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, err });
      });
  });
}

// Anything that looks like a token anywhere in a JSON value.
function collectTokens(value, out) {
  if (Array.isArray(value)) {
    for (const v of value) collectTokens(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/^accesstoken$/i.test(k) && typeof v === 'string' && v.length > 0) out.add(v);
      else collectTokens(v, out);
    }
  }
}

function parseHeadersBlock(text) {
  const headers = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function dechunk(buf) {
  const parts = [];
  let pos = 0;
  for (let guard = 0; guard < 100000; guard++) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function finish(status, headers, raw) {
  const body = raw.toString('utf8');
  let json;
  if (body.length > 0) {
    try { json = JSON.parse(body); } catch { json = undefined; }
  }
  return { status, headers, raw, body, json };
}

export class Stack {
  constructor(name, extraEnv = {}) {
    this.name = name;
    this.extraEnv = extraEnv;
    this.secrets = new Set();
    this.started = false;
    this.stopped = false;
    this.adminPassword = `Adm-${randomHex(12)}`;
    this.secrets.add(this.adminPassword);
    this._adminToken = null;
  }

  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `keyfin-it-${this.name}-`));
    fs.chmodSync(this.dir, 0o755);
    this.httpPort = await freePort();
    this.httpsPort = await freePort();
    this.pgPort = await freePort();
    // Nothing from the caller's environment may point the stack elsewhere.
    const inherited = Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => k === 'KEYFIN_BIN' || !/^KEYFIN_|^DATABASE_URL$|^PG[A-Z]+$/.test(k)));
    this.env = {
      ...inherited,
      KEYFIN_VAR: this.dir,
      KEYFIN_HTTP_PORT: String(this.httpPort),
      KEYFIN_HTTPS_PORT: String(this.httpsPort),
      KEYFIN_PG_PORT: String(this.pgPort),
      KEYFIN_PG_FAST: '1',
      KEYFIN_ADMIN_PASSWORD: this.adminPassword,
      KEYFIN_WORKERS: '2',
      // the failed-credential throttle is off but where a test turns it on
      // (throttle.test.mjs): the other tests send many bad tokens from one
      // address on purpose
      KEYFIN_AUTH_FAIL_BURST: '0',
      ...this.extraEnv,
    };
    registerCleanup(this);
    const r = await run(STACK, ['start'], this.env, START_TIMEOUT_MS);
    if (r.code !== 0) {
      throw new Error(`scripts/stack start failed (${r.code}) in ${this.dir}\n` +
        `stdout:\n${r.stdout}\nstderr:\n${r.stderr}\nlogs:\n${this.logTail()}`);
    }
    this.started = true;
    return this;
  }

  async stop() {
    if (this.stopped || !this.env) return;
    this.stopped = true;
    const r = await run(STACK, ['stop'], this.env, STOP_TIMEOUT_MS);
    if (r.code !== 0) {
      console.error(`# scripts/stack stop failed (${r.code}): ${r.stderr}`);
    }
  }

  stopSync() {
    if (this.stopped || !this.env) return;
    this.stopped = true;
    try {
      execFileSync(STACK, ['stop'], { env: this.env, timeout: STOP_TIMEOUT_MS, stdio: 'ignore', cwd: ROOT });
    } catch (e) {
      console.error(`# scripts/stack stop failed: ${e.message}`);
    }
  }

  // Run a scripts/stack sub-command (cli ..., pg-stop, pg-start, env).
  async stack(args, extraEnv = {}) {
    return run(STACK, args, { ...this.env, ...extraEnv }, CLI_TIMEOUT_MS);
  }

  async cli(args, extraEnv = {}) {
    return this.stack(['cli', ...args], extraEnv);
  }

  async databaseUrl() {
    const r = await this.stack(['env']);
    assert.equal(r.code, 0, `scripts/stack env failed: ${r.stderr}`);
    for (const line of r.stdout.split('\n')) {
      const m = line.match(/^(?:export\s+)?(?:KEYFIN_)?DATABASE_URL=(.*)$/);
      // The value is printed with bash's %q: undo its backslash escapes.
      if (m) return m[1].trim().replace(/^'(.*)'$/, '$1').replace(/\\(.)/g, '$1');
    }
    throw new Error(`no DATABASE_URL in scripts/stack env output:\n${r.stdout}`);
  }

  logDir() {
    return path.join(this.dir, 'log');
  }

  // Every regular file under the log directory: [path, Buffer].
  logFiles() {
    const out = [];
    const walk = (d, depth) => {
      if (depth > 8) return;
      let entries;
      try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p, depth + 1);
        else if (e.isFile()) out.push([p, fs.readFileSync(p)]);
      }
    };
    walk(this.logDir(), 0);
    return out;
  }

  logTail(max = 4000) {
    if (!this.dir) return '';
    return this.logFiles()
      .map(([p, b]) => `== ${p}\n${b.toString('utf8').slice(-max)}`)
      .join('\n');
  }

  remember(...secrets) {
    for (const s of secrets) if (s) this.secrets.add(s);
  }

  // ---- HTTP ---------------------------------------------------------------

  // req(method, path, {headers, body, token, https, timeout, query}) →
  // {status, headers (lower-case names), raw, body, json}.
  req(method, p, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (opts.token !== undefined) {
      headers.Authorization = `MediaBrowser Token="${encodeURIComponent(opts.token)}"`;
      this.remember(opts.token);
    }
    let body = opts.body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    const useHttps = !!opts.https;
    const mod = useHttps ? https : http;
    return new Promise((resolve, reject) => {
      const r = mod.request({
        host: '127.0.0.1',
        port: useHttps ? this.httpsPort : this.httpPort,
        method,
        path: p,
        headers,
        agent: false,
        rejectUnauthorized: false,
        timeout: opts.timeout ?? REQUEST_TIMEOUT_MS,
        // another client address on loopback (e.g. 127.0.0.2)
        ...(opts.from ? { localAddress: opts.from } : {}),
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const out = finish(res.statusCode, res.headers, Buffer.concat(chunks));
          if (out.json) collectTokens(out.json, this.secrets);
          resolve(out);
        });
        res.on('error', reject);
      });
      r.on('timeout', () => r.destroy(new Error(`timeout: ${method} ${p}`)));
      r.on('error', reject);
      if (body !== undefined) r.end(body); else r.end();
    });
  }

  // Write raw bytes to the HTTP port (or HTTPS with {https:true}) and parse
  // the answer.  The request should carry `Connection: close`.
  raw(bytes, opts = {}) {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1');
    return new Promise((resolve, reject) => {
      const chunks = [];
      const sock = opts.https
        ? tls.connect({ host: '127.0.0.1', port: this.httpsPort, rejectUnauthorized: false })
        : net.connect({ host: '127.0.0.1', port: this.httpPort });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error('timeout on raw request'));
      }, opts.timeout ?? REQUEST_TIMEOUT_MS);
      sock.on(opts.https ? 'secureConnect' : 'connect', () => sock.write(buf));
      sock.on('data', (c) => chunks.push(c));
      sock.on('error', (e) => { clearTimeout(timer); reject(e); });
      sock.on('close', () => {
        clearTimeout(timer);
        const all = Buffer.concat(chunks);
        const sep = all.indexOf('\r\n\r\n');
        if (sep < 0) {
          reject(new Error(`no HTTP answer: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
          return;
        }
        const head = all.subarray(0, sep).toString('latin1');
        const statusLine = head.split('\r\n')[0];
        const status = parseInt(statusLine.split(' ')[1], 10);
        const headers = parseHeadersBlock(head.slice(statusLine.length + 2));
        let rawBody = all.subarray(sep + 4);
        if (/chunked/i.test(headers['transfer-encoding'] || '')) rawBody = dechunk(rawBody);
        const out = finish(status, headers, rawBody);
        if (out.json) collectTokens(out.json, this.secrets);
        resolve(out);
      });
    });
  }

  // Build a raw request: headers is an array of [name, value] (values may
  // be Buffers, to send bytes that are not latin1 text).
  rawRequest(method, p, headers = [], body = '') {
    const parts = [Buffer.from(`${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, 'latin1')];
    for (const [name, value] of headers) {
      parts.push(Buffer.from(`${name}: `, 'latin1'));
      parts.push(Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'));
      parts.push(Buffer.from('\r\n', 'latin1'));
    }
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const framed = headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n));
    if (b.length > 0 && !framed) parts.push(Buffer.from(`Content-Length: ${b.length}\r\n`, 'latin1'));
    parts.push(Buffer.from('\r\n', 'latin1'));
    parts.push(b);
    return Buffer.concat(parts);
  }

  // ---- Jellyfin-level helpers ---------------------------------------------

  // Log in like the dashboard.  Returns the raw response; throws nothing.
  login(username, password, device = {}, opts = {}) {
    const d = {
      Client: 'Jellyfin Web',
      Device: 'Firefox',
      DeviceId: unique('dev'),
      Version: '10.11.0',
      ...device,
    };
    const header = `MediaBrowser Client="${encodeURIComponent(d.Client)}", ` +
      `Device="${encodeURIComponent(d.Device)}", DeviceId="${encodeURIComponent(d.DeviceId)}", ` +
      `Version="${encodeURIComponent(d.Version)}"`;
    this.remember(password);
    return this.req('POST', opts.path || '/Users/AuthenticateByName', {
      headers: { Authorization: header },
      body: { Username: username, Pw: password },
      from: opts.from,
    });
  }

  async loginToken(username, password, device = {}) {
    const r = await this.login(username, password, device);
    assert.equal(r.status, 200, `login ${username}: ${r.status} ${r.body}`);
    assert.match(r.json.AccessToken, HEX32);
    this.remember(r.json.AccessToken);
    return { token: r.json.AccessToken, user: r.json.User, response: r };
  }

  // A session token of the bootstrap admin (one device, reused).
  async adminToken() {
    if (!this._adminToken) {
      const { token } = await this.loginToken('admin', this.adminPassword, { DeviceId: 'harness-admin' });
      this._adminToken = token;
    }
    return this._adminToken;
  }

  // Create a key through the API and return it (the newest listed key).
  async createKey(app) {
    const admin = await this.adminToken();
    const r = await this.req('POST', `/Auth/Keys?app=${encodeURIComponent(app)}`, { token: admin });
    assert.equal(r.status, 204, `create key ${app}: ${r.status} ${r.body}`);
    const items = await this.listKeys();
    const last = items[items.length - 1];
    assert.equal(last.AppName, app, 'the newest key is listed last');
    this.remember(last.AccessToken);
    return last.AccessToken;
  }

  async listKeys(token) {
    const r = await this.req('GET', '/Auth/Keys', { token: token ?? await this.adminToken() });
    assert.equal(r.status, 200, `list keys: ${r.status} ${r.body}`);
    return r.json.Items;
  }

  // Create a user through the API; returns {id, name, password}.
  async createUser(opts = {}) {
    const name = opts.name || unique('user');
    const password = opts.password || `Pw-${randomHex(10)}`;
    this.remember(password);
    const admin = await this.adminToken();
    const r = await this.req('POST', '/Users/New', { token: admin, body: { Name: name, Password: password } });
    assert.equal(r.status, 200, `create user ${name}: ${r.status} ${r.body}`);
    assert.match(r.json.Id, HEX32);
    const user = { id: r.json.Id, name, password, dto: r.json };
    if (opts.admin) await this.setPolicy(user.id, { IsAdministrator: true });
    return user;
  }

  // POST /Users/{id}/Policy the way the dashboard does: the user's current
  // policy with some fields changed.
  async setPolicy(id, changes) {
    const admin = await this.adminToken();
    const list = await this.req('GET', '/Users', { token: admin });
    assert.equal(list.status, 200);
    const u = list.json.find((x) => x.Id === id);
    assert.ok(u, `user ${id} listed`);
    const policy = { ...u.Policy, ...changes };
    const r = await this.req('POST', `/Users/${id}/Policy`, { token: admin, body: policy });
    assert.ok(r.status === 204 || r.status === 200, `set policy: ${r.status} ${r.body}`);
    return r;
  }

  // Assert no secret the tests used appears in any log file.  Call after
  // stop() so every log is flushed.
  // A `keyfin serve` of its own on this stack's database, with `env` on
  // top, spoken to over FastCGI (fcgi.mjs): {port, log(), stop()}.  Its
  // workers run as root (the tests read its log).
  async serveWith(env) {
    const port = await freePort();
    const child = spawn(process.env.KEYFIN_BIN || path.join(ROOT, 'build', 'keyfin'), ['serve'], {
      env: { PATH: process.env.PATH, KEYFIN_DATABASE_URL: await this.databaseUrl(),
        KEYFIN_SECRET_FILE: path.join(this.dir, 'secret'), KEYFIN_LISTEN: `127.0.0.1:${port}`,
        KEYFIN_WORKERS: '1', KEYFIN_ALLOW_ROOT: 'on', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return {
      port,
      log: () => log,
      stop: async () => { child.kill('SIGTERM'); await exited; },
    };
  }

  assertLogsClean() {
    const files = this.logFiles();
    assert.ok(files.length > 0, `no log files under ${this.logDir()}`);
    const leaks = [];
    for (const [p, buf] of files) {
      const text = buf.toString('latin1');
      for (const s of this.secrets) {
        const forms = new Set([s, encodeURIComponent(s)]);
        for (const f of forms) {
          if (f.length >= 8 && text.includes(f)) leaks.push(`${path.relative(this.dir, p)} holds ${f.slice(0, 6)}…`);
        }
      }
    }
    assert.deepEqual(leaks, [], `secrets found in logs (${this.secrets.size} secrets checked)`);
    // `make asan`: a sanitizer report anywhere is a failure even when the
    // request that caused it was retried or went unnoticed
    for (const [p, buf] of files) {
      const m = buf.toString('latin1').match(/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/);
      assert.equal(m, null, `${path.relative(this.dir, p)} holds a sanitizer report`);
    }
    console.log(`${this.name}: ${this.secrets.size} secrets checked in ${files.length} log files`);
  }
}

// Run one SQL statement with psql (unaligned, tuples only, stop on error).
export function psql(url, sql) {
  return new Promise((resolve) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      { timeout: 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

// ---- assertions shared by the files ----------------------------------------

export function assertNoCredentials(r, what = '') {
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status} ${r.body}`);
  assert.equal(r.body, '', `${what}: 401 body must be empty`);
  assert.equal(r.headers['content-type'], undefined, `${what}: 401 must have no Content-Type`);
  assert.equal(r.headers['www-authenticate'], undefined, `${what}: 401 must have no WWW-Authenticate`);
}

export function assertForbidden(r, what = '') {
  assert.equal(r.status, 403, `${what}: expected 403, got ${r.status} ${r.body}`);
  assert.equal(r.body, '', `${what}: 403 body must be empty`);
  assert.equal(r.headers['content-type'], undefined, `${what}: 403 must have no Content-Type`);
}

export function assertNoContent(r, what = '') {
  assert.equal(r.status, 204, `${what}: expected 204, got ${r.status} ${r.body}`);
  assert.equal(r.body, '', `${what}: 204 body must be empty`);
  assert.equal(r.headers['content-type'], undefined, `${what}: 204 must have no Content-Type`);
}

export function assertClientError(r, what = '') {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${r.body.slice(0, 200)}`);
}

export function assertNot5xx(r, what = '') {
  assert.ok(r.status < 500, `${what}: got ${r.status} ${r.body.slice(0, 200)}`);
}

// Poll `fn` (which returns a truthy value when the condition holds) every
// `intervalMs`, at most `attempts` times.  Returns the last value.
export async function pollUntil(fn, { attempts = 40, intervalMs = 250 } = {}) {
  let last;
  for (let i = 0; i < attempts; i++) {
    try { last = await fn(); } catch (e) { last = undefined; }
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return last;
}

// ---- lifecycle -----------------------------------------------------------

const stacks = new Set();
let exitHooked = false;

function registerCleanup(stack) {
  stacks.add(stack);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', (code) => {
    for (const s of stacks) {
      s.stopSync();
      if (!s.dir) continue;
      if (code === 0 && !process.exitCode) {
        fs.rmSync(s.dir, { recursive: true, force: true });
      } else {
        console.error(`# keyfin stack "${s.name}" state kept for inspection: ${s.dir}`);
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => process.exit(130));
  }
}

// Start a stack in before() and stop it in after(), for the calling file.
// Returns the Stack object (usable once before() ran).
export function useStack(name, extraEnv = {}) {
  const stack = new Stack(name, extraEnv);
  before(async () => { await stack.start(); }, { timeout: START_TIMEOUT_MS + 10_000 });
  after(async () => { await stack.stop(); });
  return stack;
}

// The last test of every file: stop the stack (flushing its logs) and check
// that no key, token or password the tests used was written to a log.
export function logsCleanTest(test, stack) {
  test(`[${stack.name}] logs hold no key, token or password`, async () => {
    assert.ok(stack.started, 'stack was started');
    await stack.stop();
    stack.assertLogsClean();
  });
}
