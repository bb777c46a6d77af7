// Hostile HTTP through nginx: a catalogue of requests a client should never
// send, each with the one answer it must get (a clear 4xx or what Jellyfin
// answers), never a 5xx, never a hang, and never a changed row.  Then token
// hygiene: ?api_key= / ?ApiKey= never reach nginx's logs, even while the
// worker pool is down, and keyfin's processes cannot dump core.
//
// What is already covered elsewhere is not repeated here: odd Authorization
// values (suites/credentials.mjs), odd app names (suites/keys.mjs), odd JSON
// bodies (suites/users.mjs), strange request lines (suites/system.mjs).
// This file pins exact answers and checks the database after each.
//
// The catalogue with what each request got is written to
// build/hostile-catalogue.md on every run; docs/security.md shows it.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import {
  useStack, logsCleanTest, unique, randomHex, pollUntil, ROOT,
  assertNoContent, assertNoCredentials, psql,
} from './harness.mjs';

const S = useStack('hostile');

// A raw exchange that also reports a connection closed without an answer
// (nginx resets a timed-out client: reset_timedout_connection on).
// Resolves {closed:true, status:undefined} or {status, head, body}; bounded.
function exchange(bytes, { timeout = 15_000, slow } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.connect({ host: '127.0.0.1', port: S.httpPort });
    let timer;
    let drip;
    const done = (extra = {}) => {
      clearTimeout(timer);
      clearInterval(drip);
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      const head = (sep < 0 ? all : all.subarray(0, sep)).toString('latin1');
      const m = head.match(/^HTTP\/\d\.\d (\d{3})/);
      resolve({
        status: m ? Number(m[1]) : undefined,
        head,
        body: sep < 0 ? all.toString('latin1') : all.subarray(sep + 4).toString('latin1'),
        raw: all,
        ...extra,
      });
    };
    timer = setTimeout(() => { sock.destroy(); done({ hung: true }); }, timeout);
    sock.on('connect', () => {
      if (!slow) { sock.write(bytes); return; }
      // A slow client: the request line, then one header line every 2 s.
      sock.write(bytes);
      drip = setInterval(() => { if (!sock.destroyed) sock.write(`X-Slow-${randomHex(2)}: a\r\n`); }, 2_000);
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => done({ closed: true }));
  });
}

const H = 'Host: 127.0.0.1\r\nConnection: close\r\n';
const line = (m, p, v = 'HTTP/1.1') => `${m} ${p} ${v}\r\n`;
// A body gets a Content-Length unless the headers frame it already.
const req = (m, p, headers = '', body = '') => {
  const framed = /^(content-length|transfer-encoding):/im.test(headers);
  const cl = body.length > 0 && !framed ? `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n` : '';
  return Buffer.from(`${line(m, p)}${H}${headers}${cl}\r\n${body}`, 'latin1');
};


// What must not change: every key (value, name, creation date), every user
// (id, name, policy flags), and the row counts of those tables.
async function snapshot() {
  const admin = await S.adminToken();
  const keys = await S.req('GET', '/Auth/Keys', { token: admin });
  assert.equal(keys.status, 200);
  const users = await S.req('GET', '/Users', { token: admin });
  assert.equal(users.status, 200);
  const counts = await psql(await S.databaseUrl(),
    'SELECT (SELECT count(*) FROM api_keys) || \',\' || (SELECT count(*) FROM users)');
  assert.equal(counts.code, 0, `psql: ${counts.stderr}`);
  return {
    keys: keys.json.Items.map((k) => [k.AccessToken, k.AppName, k.DateCreated]),
    users: users.json.map((u) => [u.Id, u.Name, u.Policy?.IsAdministrator, u.Policy?.IsDisabled]),
    counts: counts.stdout.trim(),
  };
}

// ---- the catalogue -------------------------------------------------------
//
// expect: a status number; 'closed' (the connection is closed with no
// answer, or with 408); 'http09' (an HTTP/0.9 answer: the body alone).
// check(r, ctx): more assertions on the answer.
// stores: what a 204 must have stored (the app name of the newest key).

const big = (n, c = 'a') => c.repeat(n);

function catalogue(ctx) {
  const A = `Authorization: MediaBrowser Token="${ctx.admin}"\r\n`;
  const loginHdr = (dev) => `Authorization: MediaBrowser Client="c", Device="d", DeviceId="${dev}", Version="1"\r\n`;
  const loginBody = JSON.stringify({ Username: ctx.user.name, Pw: ctx.user.password });
  const chunk = (s) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  const sqlApp = `x'); DELETE FROM api_keys; --`;
  const sqlUser = `a' OR '1'='1`;
  return [
    // -- sizes
    ['size', 'a 17 KiB header (> large_client_header_buffers 16k)', req('GET', '/System/Info', `X-Big: ${big(17_000)}\r\n`), 400],
    ['size', 'a 100 KiB Authorization header', req('GET', '/System/Info', `Authorization: MediaBrowser Token="${big(100 * 1024)}"\r\n`), 400],
    ['size', 'a 15 KiB Authorization (fits nginx, > AUTHHDR_MAX_INPUT 8 KiB)', req('GET', '/System/Info', `Authorization: MediaBrowser Token="${big(15_000)}"\r\n`), 401],
    ['size', '5 headers of 15 KiB (> 4 large buffers)', req('GET', '/System/Info', Array.from({ length: 5 }, (_, i) => `X-H${i}: ${big(15_000, 'b')}\r\n`).join('')), 400],
    ['size', 'a 20 KiB request line', req('GET', `/System/Info?x=${big(20_000)}`), 414],
    ['size', 'a 3000-byte path (> HTTP_PATH_MAX 2048)', req('GET', `/${big(3000)}`), 414],
    ['size', 'a 10 KiB api_key (> HTTP_PARAM_MAX 4096)', req('GET', `/System/Info?api_key=${big(10_000, 'f')}`), 401],
    ['size', 'a 70 000-byte body (> client_max_body_size 64k)', req('POST', '/Users/AuthenticateByName', `${loginHdr(unique('d'))}Content-Type: application/json\r\nContent-Length: 70000\r\n`, big(70_000, 'x')), 413],
    ['size', 'a 64 KiB + 1 chunked body (> client_max_body_size)', req('POST', '/Users/AuthenticateByName', `${loginHdr(unique('d'))}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n`, `${chunk(big(0x8000, 'x'))}${chunk(big(0x8001, 'x'))}0\r\n\r\n`), 413],
    ['size', 'Content-Length: 99999999999999999999', req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n'), 400],
    ['size', 'Content-Length: -1', req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nContent-Length: -1\r\n'), 400],
    ['size', 'two different Content-Length headers', req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n', '{}'), 400],
    ['size', 'Content-Length and Transfer-Encoding: chunked (smuggling)', req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400],
    ['size', 'a malformed chunk size', req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', 'zz\r\n\r\n'), 400],
    ['size', 'Transfer-Encoding: gzip', req('POST', '/Users/AuthenticateByName', 'Transfer-Encoding: gzip\r\n'), 501],
    ['size', 'a chunked login body (valid)', req('POST', '/Users/AuthenticateByName', `${loginHdr(unique('d'))}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n`, `${chunk(loginBody.slice(0, 7))}${chunk(loginBody.slice(7))}0\r\n\r\n`), 200,
      (r) => assert.match(r.body, /"AccessToken":"[0-9a-f]{32}"/)],

    // -- methods and versions
    ['method', 'FOO /System/Ping', req('FOO', '/System/Ping'), 405],
    ['method', 'TRACE /System/Ping (nginx refuses TRACE)', req('TRACE', '/System/Ping'), 405],
    ['method', 'CONNECT 127.0.0.1:22', req('CONNECT', '127.0.0.1:22'), 400],
    ['method', 'HEAD /System/Ping (Jellyfin: GET/POST only)', req('HEAD', '/System/Ping'), 405],
    ['method', 'OPTIONS /Auth/Keys', req('OPTIONS', '/Auth/Keys', A), 405],
    ['method', 'lower-case get', req('get', '/System/Ping'), 400],
    ['version', 'HTTP/1.0 GET with a session token', Buffer.from(`${line('GET', '/System/Info', 'HTTP/1.0')}${A}\r\n`, 'latin1'), 200],
    ['version', 'HTTP/1.0 POST /Auth/Keys (no body, no Content-Length)', Buffer.from(`${line('POST', `/Auth/Keys?app=${ctx.http10App}`, 'HTTP/1.0')}${A}\r\n`, 'latin1'), 204, null, ctx.http10App],
    ['version', 'HTTP/1.1 without Host', Buffer.from(`${line('GET', '/System/Ping')}Connection: close\r\n\r\n`, 'latin1'), 400],
    ['version', 'HTTP/0.9 (nginx answers the body alone)', Buffer.from('GET /System/Ping\r\n', 'latin1'), 'http09'],
    ['version', 'HTTP/3.0 in the request line', Buffer.from(`${line('GET', '/System/Ping', 'HTTP/3.0')}${H}\r\n`, 'latin1'), 505],
    ['version', 'an HTTP/2 preface on the plain port', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), 400],

    // -- paths
    ['path', '/../../etc/passwd (escapes the root)', req('GET', '/../../etc/passwd'), 400],
    ['path', '/%2e%2e/%2e%2e/etc/passwd', req('GET', '/%2e%2e/%2e%2e/etc/passwd'), 400],
    ['path', '/..%2f..%2fetc%2fpasswd', req('GET', '/..%2f..%2fetc%2fpasswd'), 400],
    ['path', '/System/../System/Ping (dot segments are not resolved by keyfin)', req('GET', '/System/../System/Ping'), 404],
    ['path', '/System/%2e%2e/System/Ping', req('GET', '/System/%2e%2e/System/Ping'), 404],
    ['path', '/System%2fPing (%2f decoded to /)', req('GET', '/System%2fPing'), 200],
    ['path', '/Auth%2FKeys with no credentials', req('GET', '/Auth%2FKeys'), 401],
    ['path', '/web/..%2f..%2f..%2fsecret (the alias of the web app)', req('GET', '/web/..%2f..%2f..%2fsecret'), 400],
    ['path', '/web/../secret (normalised to /secret: keyfin)', req('GET', '/web/../secret'), 404],
    ['path', '/System/Ping%00', req('GET', '/System/Ping%00'), 400],
    ['path', 'a raw NUL byte in the path', req('GET', '/System/Ping\0'), 400],
    ['path', 'a raw 0x01 in the path', req('GET', '/System/Ping\x01'), 400],
    ['path', 'a raw 0xFF in the path', req('GET', '/System/Ping\xff'), 404],
    ['path', 'an absolute URI http://127.0.0.1/System/Ping', req('GET', 'http://127.0.0.1/System/Ping'), 200],
    ['path', 'DELETE /Auth/Keys/%25 (a LIKE wildcard)', req('DELETE', '/Auth/Keys/%25', A), 204],
    ['path', "DELETE /Auth/Keys/' OR '1'='1", req('DELETE', `/Auth/Keys/${encodeURIComponent("' OR '1'='1")}`, A), 204],
    ['path', 'DELETE /Auth/Keys/<key>%00', req('DELETE', `/Auth/Keys/${ctx.victimKey}%00`, A), 400],

    // -- header syntax
    ['header', 'a bare CR inside a header value', req('GET', '/System/Ping', 'X-A: a\rb\r\n'), 400],
    ['header', 'a space before the colon', req('GET', '/System/Ping', 'X-A : b\r\n'), 400],
    ['header', 'an obsolete folded header line', req('GET', '/System/Ping', 'X-A: b\r\n  folded\r\n'), 400],
    ['header', 'a raw CR in the query (app=a\\rb)', req('POST', '/Auth/Keys?app=a\rb', A), 400],

    // -- duplicated query parameters: the first wins (ASP.NET's FirstValue)
    ['query', '?app=first&app=second', req('POST', `/Auth/Keys?app=${ctx.dupFirst}&app=${ctx.dupSecond}`, A), 204, null, ctx.dupFirst],
    ['query', '?App=first&app=second (any case, still the first)', req('POST', `/Auth/Keys?App=${ctx.dupFirst2}&app=${ctx.dupSecond}`, A), 204, null, ctx.dupFirst2],
    ['query', '?app=&app=second (the first is empty)', req('POST', `/Auth/Keys?app=&app=${ctx.dupSecond}`, A), 400],
    ['query', '?ApiKey=<bad>&ApiKey=<key> (the first is used)', req('GET', `/System/Info?ApiKey=${randomHex(16)}&ApiKey=${ctx.victimKey}`), 401],
    ['query', '?ApiKey=<key>&ApiKey=<bad>', req('GET', `/System/Info?ApiKey=${ctx.victimKey}&ApiKey=${randomHex(16)}`), 200],

    // -- CR/LF, NUL and invalid UTF-8 in names and tokens
    ['text', 'app name with %0D%0A', req('POST', '/Auth/Keys?app=a%0D%0Ab', A), 400],
    ['text', 'app name with %00', req('POST', '/Auth/Keys?app=a%00b', A), 400],
    ['text', 'app name with raw invalid UTF-8 bytes', req('POST', '/Auth/Keys?app=a\xff\xfeb', A), 400],
    ['text', 'user name with CR/LF (POST /Users/New)', req('POST', '/Users/New', `${A}Content-Type: application/json\r\n`, JSON.stringify({ Name: 'a\r\nb', Password: 'x' })), 400],
    ['text', 'user name with \\u0000', req('POST', '/Users/New', `${A}Content-Type: application/json\r\n`, '{"Name":"a\\u0000b","Password":"x"}'), 400],
    ['text', 'user name with invalid UTF-8 (0xFF)', req('POST', '/Users/New', `${A}Content-Type: application/json\r\n`, Buffer.from([...Buffer.from('{"Name":"a'), 0xff, ...Buffer.from('","Password":"x"}')]).toString('latin1')), 400],
    ['text', 'user name with an overlong UTF-8 sequence (C1 A9)', req('POST', '/Users/New', `${A}Content-Type: application/json\r\n`, Buffer.from([...Buffer.from('{"Name":"caf'), 0xc1, 0xa9, ...Buffer.from('","Password":"x"}')]).toString('latin1')), 400],
    ['text', 'user name with a UTF-16 surrogate in UTF-8 (ED A0 80)', req('POST', '/Users/New', `${A}Content-Type: application/json\r\n`, Buffer.from([...Buffer.from('{"Name":"a'), 0xed, 0xa0, 0x80, ...Buffer.from('","Password":"x"}')]).toString('latin1')), 400],
    ['text', 'login user name with CR/LF', req('POST', '/Users/AuthenticateByName', `${loginHdr(unique('d'))}Content-Type: application/json\r\n`, JSON.stringify({ Username: `${ctx.user.name}\r\n`, Pw: ctx.user.password })), 401],
    ['text', 'a token followed by %0D%0A', req('GET', '/System/Info', `Authorization: MediaBrowser Token="${ctx.victimKey}%0D%0A"\r\n`), 401],
    ['text', 'a token followed by %00', req('GET', `/System/Info?api_key=${ctx.victimKey}%00`), 401],
    ['text', 'X-Emby-Token with a raw 0xFF after the key', req('GET', '/System/Info', `X-Emby-Token: ${ctx.victimKey}\xff\r\n`), 401],
    ['text', 'Device with %0D%0A at login (stored? no: refused)', req('POST', '/Users/AuthenticateByName', `Authorization: MediaBrowser Client="c", Device="a%0D%0Ab", DeviceId="${unique('d')}", Version="1"\r\nContent-Type: application/json\r\n`, loginBody), 400],

    // -- SQL metacharacters: stored and listed verbatim, nothing else changes
    ['sql', `app=${sqlApp}`, req('POST', `/Auth/Keys?app=${encodeURIComponent(sqlApp)}`, A), 204, null, sqlApp],
    ['sql', `app=%' OR 1=1 --`, req('POST', `/Auth/Keys?app=${encodeURIComponent(`%' OR 1=1 --`)}`, A), 204, null, `%' OR 1=1 --`],
    ['sql', 'app=\\\'; SELECT pg_sleep(10); --', req('POST', `/Auth/Keys?app=${encodeURIComponent(`\\'; SELECT pg_sleep(10); --`)}`, A), 204, null, `\\'; SELECT pg_sleep(10); --`],
    ['sql', `login Username=${sqlUser}`, req('POST', '/Users/AuthenticateByName', `${loginHdr(unique('d'))}Content-Type: application/json\r\n`, JSON.stringify({ Username: sqlUser, Pw: `' OR '1'='1` })), 401],
    ['sql', "api_key=' OR '1'='1", req('GET', `/System/Info?api_key=${encodeURIComponent("' OR '1'='1")}`), 401],
    ['sql', 'Token="x\' OR 1=1 --"', req('GET', '/System/Info', `Authorization: MediaBrowser Token="${encodeURIComponent("x' OR 1=1 --")}"\r\n`), 401],
    ['sql', "DeviceId=' OR 1=1 -- at login (stored as text)", req('POST', '/Users/AuthenticateByName', `Authorization: MediaBrowser Client="c", Device="d", DeviceId="${encodeURIComponent(`' OR 1=1 --${randomHex(3)}`)}", Version="1"\r\nContent-Type: application/json\r\n`, loginBody), 200],
  ];
}

const results = [];

describe('hostile requests through nginx', () => {
  const ctx = {};

  test('set up: a key to attack, a user to log in as', async () => {
    ctx.admin = await S.adminToken();
    ctx.victimKey = await S.createKey(unique('victim'));
    ctx.user = await S.createUser();
    ctx.http10App = unique('http10');
    ctx.dupFirst = unique('first');
    ctx.dupFirst2 = unique('firstB');
    ctx.dupSecond = unique('second');
    ctx.secret = fs.readFileSync(path.join(S.dir, 'secret'), 'utf8').trim();
  });

  test('the catalogue: each request gets its answer, and only 204s change rows', async () => {
    assert.ok(ctx.admin, 'set up ran');
    const cases = catalogue(ctx);
    for (const [group, what, bytes, expect, check, stores] of cases) {
      const before = await snapshot();
      const r = await exchange(bytes);
      const label = `${group}: ${what}`;
      assert.ok(!r.hung, `${label}: no answer and not closed within 15 s`);
      if (expect === 'http09') {
        assert.equal(r.status, undefined, `${label}: ${r.head.slice(0, 80)}`);
        assert.equal(r.raw.toString('utf8'), '"Jellyfin Server"', `${label}: the body alone`);
      } else {
        assert.equal(r.status, expect, `${label}: got ${r.status} ${r.head.split('\r\n')[0]} ${r.body.slice(0, 120)}`);
      }
      if (check) check(r);
      // Nothing secret ever comes back in an error page.
      assert.ok(!r.raw.toString('latin1').includes(ctx.secret), `${label}: the server secret in the answer`);
      assert.ok(!r.raw.toString('latin1').includes('root:x:0:0'), `${label}: /etc/passwd in the answer`);
      const after = await snapshot();
      if (stores) {
        assert.equal(after.keys.length, before.keys.length + 1, `${label}: one key more`);
        assert.deepEqual(after.keys.slice(0, -1), before.keys, `${label}: older keys unchanged`);
        assert.equal(after.keys[after.keys.length - 1][1], stores, `${label}: stored verbatim`);
        S.remember(after.keys[after.keys.length - 1][0]);
      } else {
        assert.deepEqual(after, before, `${label}: keys, users and row counts unchanged`);
      }
      results.push([group, what, expect === 'http09' ? 'HTTP/0.9 body' : String(r.status), stores ? `stored "${stores}"` : 'none']);
    }
    // The attacked key still works, and was never deleted.
    assert.equal((await S.req('GET', '/System/Info', { token: ctx.victimKey })).status, 200);
    // The SQL-looking names are listed exactly as sent.
    const names = (await S.listKeys()).map((k) => k.AppName);
    assert.ok(names.includes(`x'); DELETE FROM api_keys; --`));
  });

  test('slow clients: headers trickled, or a body shorter than Content-Length, are cut off (≤ 15 s, in parallel)', async () => {
    const before = await snapshot();
    const [hdr, body] = await Promise.all([
      exchange(Buffer.from(`${line('GET', '/System/Ping')}Host: 127.0.0.1\r\n`, 'latin1'), { slow: true }),
      exchange(req('POST', '/Users/AuthenticateByName', 'Content-Type: application/json\r\nContent-Length: 60000\r\n', '{}')),
    ]);
    for (const [label, r] of [['slow headers (client_header_timeout 10s)', hdr], ['short body (client_body_timeout 10s)', body]]) {
      assert.ok(!r.hung, `${label}: still open after 15 s`);
      assert.ok(r.closed, `${label}: closed`);
      // reset_timedout_connection: nginx resets without an answer, or 408.
      assert.ok(r.status === undefined || r.status === 408, `${label}: ${r.status}`);
      results.push(['slow', label, r.status === undefined ? 'closed (reset), no answer' : String(r.status), 'none']);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('write the catalogue to build/hostile-catalogue.md', () => {
    const out = ['| group | request | answer | rows changed |', '|---|---|---|---|',
      ...results.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|').replace(/\r/g, '\\r').replace(/\n/g, '\\n')).join(' | ')} |`)];
    fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'build', 'hostile-catalogue.md'), `${out.join('\n')}\n`);
    assert.ok(results.length > 60);
  });
});

// ---- token hygiene --------------------------------------------------------

function keyfinPids() {
  const pid = Number(fs.readFileSync(path.join(S.dir, 'run', 'keyfin.pid'), 'utf8').trim());
  const out = [pid];
  // Workers: keyfin serve is a session leader; its workers are its children.
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

function procUid(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m);
  return Number(m[1]);
}

describe('token hygiene', () => {
  // RLIMIT_CORE is read from /proc/PID/limits.  PR_SET_DUMPABLE 0 is seen
  // from the process's own user: it may not read the process's
  // /proc/PID/environ (the ptrace check), where it may read that of any
  // dumpable process of its own.  Observable only when keyfin runs as
  // another user than root (root's CAP_SYS_PTRACE ignores the flag).
  test('keyfin processes cannot dump core and are not dumpable', async (t) => {
    const pids = keyfinPids();
    assert.ok(pids.length >= 3, `supervisor and 2 workers: ${pids}`);
    const gidOf = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Gid:\s+(\d+)/m)[1]);
    const readableBy = (uid, gid, pid) => {
      try {
        execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'head', '-c', '1',
          `/proc/${pid}/environ`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    for (const pid of pids) {
      const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
      assert.match(limits, /^Max core file size\s+0\s+0\s+bytes/m, `pid ${pid}: RLIMIT_CORE 0`);
      const uid = procUid(pid);
      if (uid === 0) {
        t.diagnostic(`pid ${pid} runs as root: PR_SET_DUMPABLE is not observable from outside`);
        continue;
      }
      const gid = gidOf(pid);
      assert.equal(readableBy(uid, gid, pid), false, `pid ${pid} (uid ${uid}): not dumpable, its own user cannot read its environ`);
      // The control: a dumpable process of the same user can be read.
      const control = spawn('sleep', ['30'], { stdio: 'ignore', uid, gid });
      try {
        await pollUntil(() => procUid(control.pid) === uid, { attempts: 50, intervalMs: 20 });
        assert.equal(readableBy(uid, gid, control.pid), true, 'a dumpable process of that user can be read');
      } finally {
        control.kill('SIGKILL');
      }
    }
  });

  test('?api_key= and ?ApiKey= never reach nginx logs, also while the worker pool is down', async () => {
    const key = await S.createKey(unique('hyg'));
    const fake = randomHex(16);
    S.remember(fake);
    const urls = [
      `/System/Info?api_key=${key}`, `/System/Info?ApiKey=${key}`, `/emby/System/Info?API_KEY=${fake}`,
      `/System/Info?x=1&apikey=${fake}`, `/Auth/Keys/${fake}?ApiKey=${key}`, `/System/Info%3Fapi_key=${fake}`,
    ];
    for (const u of urls) {
      const r = await S.req('GET', u);
      assert.ok(r.status < 500, `${u.replace(/[0-9a-f]{32}/g, '<k>')}: ${r.status}`);
    }
    // Stop the worker pool only (the stack's pid file names it); nginx stays.
    const pid = Number(fs.readFileSync(path.join(S.dir, 'run', 'keyfin.pid'), 'utf8').trim());
    const starttime = fs.readFileSync(path.join(S.dir, 'run', 'keyfin.starttime'), 'utf8').trim();
    const alive = () => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return f[0] !== 'Z' && f[19] === starttime;
      } catch { return false; }
    };
    assert.ok(alive(), 'keyfin serve runs');
    process.kill(pid, 'SIGTERM');
    assert.ok(await pollUntil(() => !alive(), { attempts: 120, intervalMs: 250 }), 'keyfin serve stopped');
    for (const u of urls) {
      const r = await S.req('GET', u, { timeout: 10_000 });
      assert.equal(r.status, 503, `pool down: ${u.replace(/[0-9a-f]{32}/g, '<k>')}: ${r.status}`);
      assert.equal(r.headers['retry-after'], '5');
    }
    // nginx writes its access log in batches (flush=1s): polled, bounded
    let logs = [];
    await pollUntil(() => {
      logs = S.logFiles().filter(([p]) => /nginx/.test(path.basename(p)));
      const accessLog = logs.find(([p]) => /access/.test(p));
      return accessLog && /"status":503/.test(accessLog[1].toString('latin1'));
    }, { attempts: 50, intervalMs: 100 });
    assert.ok(logs.some(([p]) => /access/.test(p)), 'nginx access log exists');
    const access = logs.find(([p]) => /access/.test(p))[1].toString('latin1');
    assert.match(access, /"status":503/, 'the 503s were logged');
    for (const [p, buf] of logs) {
      const text = buf.toString('latin1');
      for (const s of [key, fake]) assert.ok(!text.includes(s), `${path.basename(p)} holds a key`);
      assert.ok(!/api_?key=/i.test(text), `${path.basename(p)} holds a query with api_key/ApiKey`);
    }
  });
});

logsCleanTest(test, S);
