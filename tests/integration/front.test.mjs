// Front mode (KEYFIN_UPSTREAM, docs/front.md): keyfin and nginx in front of
// a real Jellyfin.  The Jellyfin here is a Jellyfin 12 stand-in: keyfin
// itself with legacy authorization off (it answers credentials exactly as
// Jellyfin does), behind a small recording upstream that keeps what reached
// it (method, target, headers, body size) and serves a few media-like paths
// itself (a WebSocket on /socket, Range on a file, a large upload, a slow
// stream).  Then:
//
//   client ──> front (scripts/stack with KEYFIN_UPSTREAM) ──> recorder ──> stand-in (legacy off)
//
// The upstream key is a key of the stand-in, made there as a Jellyfin admin
// makes one in the dashboard, in a file of mode 0600.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import {
  Stack, ROOT, STACK, HEX32, unique, randomHex, assertNoContent, pollUntil, freePort,
} from './harness.mjs';
import { Topology, BIN } from './topology.mjs';

const J = new Stack('front-jellyfin', { KEYFIN_LEGACY_AUTHORIZATION: 'off' });
let F;                  // the front: a stack with KEYFIN_UPSTREAM
let FK;                 // F's own API, under /keyfin/
let recorder;
let upstreamKey;        // the stand-in's key in KEYFIN_UPSTREAM_KEY_FILE
let keyFile;
let T;                  // a topology of two more instances, for revocation
const seen = [];        // what reached the recorder

// ---- the recording upstream ------------------------------------------------

const MEDIA = crypto.randomBytes(1 << 20);      // a 1 MiB "video"
const slow = { release: null };                   // the slow stream's second half
const uploads = new Map();                        // id -> {bytes, sha256, firstChunkAt}
let uploadStarted = null;                         // resolves when an upload's first bytes arrive

function record(req, extra = {}) {
  const r = {
    method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, ...extra,
  };
  seen.push(r);
  return r;
}

function websocketAccept(key) {
  return crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC11B85`).digest('base64');
}

// One unmasked text frame (server to client).
function wsFrame(text) {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

function startRecorder(jPort) {
  const server = http.createServer((req, res) => {
    const rec = record(req);
    const { pathname } = new URL(req.url, 'http://x');
    if (/^\/Videos\/[^/]+\/stream$/.test(pathname)) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
      if (!m) {
        res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': MEDIA.length, 'Accept-Ranges': 'bytes' });
        res.end(MEDIA);
        return;
      }
      const [from, to] = [Number(m[1]), Number(m[2])];
      res.writeHead(206, {
        'Content-Type': 'video/mp4', 'Accept-Ranges': 'bytes',
        'Content-Range': `bytes ${from}-${to}/${MEDIA.length}`, 'Content-Length': to - from + 1,
      });
      res.end(MEDIA.subarray(from, to + 1));
      return;
    }
    if (pathname === '/Slow/stream') {
      // the first half now, the second once the client has the first: a
      // front that buffered the answer would never show the first half
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(MEDIA.subarray(0, 4096));
      slow.release = () => res.end(MEDIA.subarray(4096, 8192));
      return;
    }
    if (pathname === '/Upload') {
      const hash = crypto.createHash('sha256');
      const u = { bytes: 0, firstChunkAt: null };
      req.on('data', (c) => {
        if (u.bytes === 0) {
          u.firstChunkAt = Date.now();
          uploadStarted?.();
        }
        u.bytes += c.length;
        hash.update(c);
      });
      req.on('end', () => {
        u.sha256 = hash.digest('hex');
        rec.bodyBytes = u.bytes;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(u));
      });
      return;
    }
    // everything else: the stand-in answers
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      rec.bodyBytes = body.length;
      const headers = { ...req.headers, host: `127.0.0.1:${jPort}` };
      const out = http.request({ host: '127.0.0.1', port: jPort, method: req.method, path: req.url, headers, agent: false }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      out.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      out.end(body);
    });
  });
  server.on('upgrade', (req, socket) => {
    record(req, { upgrade: true });
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname !== '/socket' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${websocketAccept(req.headers['sec-websocket-key'])}\r\n\r\n`);
    socket.write(wsFrame('{"MessageType":"ForceKeepAlive","Data":60}'));
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- set-up -----------------------------------------------------------------

before(async () => {
  await J.start();
  // the upstream key, made in "Jellyfin's dashboard"
  upstreamKey = await J.createKey('keyfin front');
  recorder = await startRecorder(J.httpPort);
  keyFile = path.join(J.dir, 'upstream-key');
  fs.writeFileSync(keyFile, `${upstreamKey}\n`, { mode: 0o600 });
  F = new Stack('front', {
    KEYFIN_UPSTREAM: `http://127.0.0.1:${recorder.address().port}`,
    KEYFIN_UPSTREAM_KEY_FILE: keyFile,
  });
  F.remember(upstreamKey);
  J.remember(upstreamKey);
  await F.start();
  // F's own API is under /keyfin/: the harness's helpers through a view
  // whose requests go there (same secrets, same admin)
  FK = Object.create(F, {
    req: { value: (method, p, opts) => F.req(method, `/keyfin${p}`, opts) },
  });
}, { timeout: 300_000 });

after(async () => {
  await T?.stop();
  await F?.stop();
  await new Promise((resolve) => (recorder ? recorder.close(resolve) : resolve()));
  await J.stop();
});

// ---- helpers ---------------------------------------------------------------

const last = () => seen[seen.length - 1];

// A request through the front; returns it with what reached the recorder
// for it (null when nothing did).
async function via(method, p, opts = {}) {
  const before = seen.length;
  const r = await F.req(method, p, opts);
  const reached = seen.slice(before);
  assert.ok(reached.length <= 1, `one request upstream at most, got ${reached.length}`);
  return { r, up: reached[0] ?? null };
}

// Nothing of a keyfin key upstream, and no carrier but Authorization.
function assertClean(up, key, what) {
  const all = JSON.stringify(up);
  assert.ok(!all.includes(key), `${what}: the keyfin key reached the upstream: ${all}`);
  for (const h of ['x-emby-authorization', 'x-emby-token', 'x-mediabrowser-token']) {
    assert.equal(up.headers[h], undefined, `${what}: ${h} reached the upstream`);
  }
  assert.doesNotMatch(up.url, /[?&](api_key|apikey)=/i, `${what}: a key parameter in ${up.url}`);
  const auths = up.rawHeaders.filter((v, i) => i % 2 === 0 && v.toLowerCase() === 'authorization');
  assert.ok(auths.length <= 1, `${what}: one Authorization header at most`);
}

function upstreamAuthorization(fields = '') {
  return `MediaBrowser Token="${upstreamKey}"${fields}`;
}

async function extKey(body) {
  const r = await F.req('POST', '/keyfin/v1/keys', { token: await FK.adminToken(), body: { app: unique('front'), ...body } });
  assert.equal(r.status, 201, r.body);
  F.remember(r.json.key);
  return r.json;
}

// ---- (1) what reaches Jellyfin ---------------------------------------------

describe('a keyfin key', () => {
  test('in every Jellyfin credential form: forwarded with the upstream key, the client fields kept, no other carrier', async () => {
    const key = await FK.createKey('Heimdall');
    const fields = 'Client="Heimdall", Device="My Box", DeviceId="dev-1", Version="2.6.1"';
    const encoded = ', Client="Heimdall", Device="My%20Box", DeviceId="dev-1", Version="2.6.1"';
    const forms = [
      [{ headers: { Authorization: `MediaBrowser Token="${key}", ${fields}` } }, encoded],
      [{ headers: { Authorization: `Emby Token="${key}", ${fields}` } }, encoded],
      [{ headers: { 'X-Emby-Authorization': `MediaBrowser Token="${key}", ${fields}` } }, encoded],
      [{ headers: { 'X-Emby-Token': key } }, ''],
      [{ headers: { 'X-MediaBrowser-Token': key } }, ''],
      [{ headers: { Authorization: `MediaBrowser ${fields}`, 'X-Emby-Token': key } }, encoded],
      [{ query: `?api_key=${key}` }, ''],
      [{ query: `?ApiKey=${key}` }, ''],
      [{ query: `?x=1&apikey=${key}&y=2&API_KEY=${key}` }, ''],
    ];
    for (const [form, kept] of forms) {
      const what = JSON.stringify(form);
      const { r, up } = await via('GET', `/System/Info${form.query || ''}`, { headers: form.headers || {} });
      assert.equal(r.status, 200, `${what}: ${r.status} ${r.body}`);
      assert.equal(r.json.ProductName, 'Jellyfin Server', 'the stand-in (legacy off) answered');
      assert.ok(up, `${what}: it reached the upstream`);
      assert.equal(up.headers.authorization, upstreamAuthorization(kept), what);
      assertClean(up, key, what);
      assert.ok(!r.raw.toString('latin1').includes(upstreamKey), 'the upstream key is in no answer');
      assert.ok(!JSON.stringify(r.headers).includes(upstreamKey), 'nor in its headers');
      assert.equal(r.headers['x-keyfin-authorization'], undefined, "keyfin's answer to nginx stays with nginx");
    }
    assert.equal(last().url, '/System/Info?x=1&y=2', 'the other parameters pass, in order');
  });

  test('revoked: 401 at once after DELETE answered, and nothing reaches the upstream', async () => {
    const key = await FK.createKey(unique('revoke'));
    const h = { headers: { 'X-Emby-Token': key } };
    assert.equal((await via('GET', '/System/Info', h)).r.status, 200);
    assertNoContent(await FK.req('DELETE', `/Auth/Keys/${key}`, { token: await FK.adminToken() }), 'revoke');
    for (const form of [h, { headers: { Authorization: `MediaBrowser Token="${key}"` } }]) {
      const { r, up } = await via('GET', '/System/Info', form);
      assert.equal(r.status, 401);
      assert.equal(r.body, '', 'an empty 401, as Jellyfin answers');
      assert.equal(r.headers['content-type'], undefined);
      assert.equal(up, null, 'the revoked key never reaches Jellyfin');
    }
    const q = await via('GET', `/Items?api_key=${key}`);
    assert.equal(q.r.status, 401);
    assert.equal(q.up, null);
  });

  test('revoked on one instance: refused at once through a front over two others', async () => {
    // two more `keyfin serve` over the same database behind one front nginx
    T = new Topology(F);
    await T.init();
    for (const name of ['front-a', 'front-b']) {
      await T.startInstance(name, { workers: 2, env: { KEYFIN_UPSTREAM_KEY_FILE: keyFile } });
    }
    await T.startNginx(T.instances, { front: `http://127.0.0.1:${recorder.address().port}` });
    const key = await FK.createKey(unique('instances'));
    const h = { headers: { 'X-Emby-Token': key } };
    // every worker of both instances has seen (and remembers) the key
    for (let i = 0; i < 8; i++) assert.equal((await T.req('GET', '/System/Info', h)).status, 200);
    // revoked through the stack's own instance, a third one
    assertNoContent(await FK.req('DELETE', `/Auth/Keys/${key}`, { token: await FK.adminToken() }), 'revoke');
    const before = seen.length;
    for (let i = 0; i < 8; i++) {
      const r = await T.req('GET', '/System/Info', h);
      assert.equal(r.status, 401, `request ${i} after the 204`);
    }
    assert.equal(seen.length, before, 'none reached Jellyfin');
  });

  test('revoked through the extension API, or unused: the same', async () => {
    const k = await extKey({});
    assert.equal((await via('GET', '/System/Info', { headers: { 'X-Emby-Token': k.key } })).r.status, 200);
    assert.equal((await F.req('DELETE', `/keyfin/v1/keys/${k.id}`, { token: await FK.adminToken() })).status, 204);
    const { r, up } = await via('GET', '/System/Info', { headers: { 'X-Emby-Token': k.key } });
    assert.equal(r.status, 401);
    assert.equal(up, null);
  });

  test('expired: 401, nothing reaches the upstream', async () => {
    const k = await extKey({ ttl: 1 });
    const h = { headers: { 'X-Emby-Token': k.key } };
    assert.equal((await via('GET', '/System/Info', h)).r.status, 200);
    // until its second is over (polled, bounded): then refused
    const expired = await pollUntil(async () => (await via('GET', '/System/Info', h)).r.status === 401,
      { attempts: 50, intervalMs: 100 });
    assert.ok(expired, 'refused once expired');
    for (let i = 0; i < 2; i++) {   // again: from a worker's memory of it
      const { r, up } = await via('GET', '/System/Info', h);
      assert.equal(r.status, 401);
      assert.equal(up, null, 'an expired key never reaches Jellyfin');
    }
  });

  test('outside its scopes: 403, nothing reaches the upstream', async () => {
    const k = await extKey({ scopes: ['/System/Info', '/socket'] });
    const h = { headers: { 'X-Emby-Token': k.key } };
    assert.equal((await via('GET', '/System/Info', h)).r.status, 200);
    assert.equal((await via('GET', '/emby/System/Info', h)).r.status, 200, '/emby/ as Jellyfin strips it');
    // what the client says the target was changes nothing: nginx sets it
    const lying = await via('GET', '/Items', { headers: { ...h.headers, 'X-Original-URI': '/System/Info' } });
    assert.equal(lying.r.status, 403);
    assert.equal(lying.up, null);
    for (const p of ['/Items', '/System/Configuration', '/System/Info/../../Items', '/System/Info/%2e%2e/Users']) {
      const { r, up } = await via('GET', p, h);
      assert.equal(r.status, 403, p);
      assert.equal(r.body, '');
      assert.equal(up, null, `${p} reached the upstream`);
    }
    const read = await extKey({ scopes: ['read'] });
    const rh = { headers: { 'X-Emby-Token': read.key } };
    assert.equal((await via('GET', '/Items', rh)).r.status, 404, 'a read key reads (the stand-in has no /Items)');
    const post = await via('POST', '/Items/x', rh);
    assert.equal(post.r.status, 403);
    assert.equal(post.up, null);
  });

  test('scope presets: stored as their scopes; GET-only scopes refuse other methods', async () => {
    const h = await extKey({ scopes: ['preset:heimdall'] });
    assert.deepEqual(h.scopes, ['GET /System/Info', 'GET /Items/Counts']);
    const hh = { headers: { Authorization: `MediaBrowser Token="${h.key}", Client="Heimdall"` } };
    assert.equal((await via('GET', '/System/Info', hh)).r.status, 200);
    for (const [method, p] of [['POST', '/System/Info'], ['GET', '/Users'], ['DELETE', '/Items/Counts']]) {
      const { r, up } = await via(method, p, hh);
      assert.equal(r.status, 403, `${method} ${p}`);
      assert.equal(up, null);
    }
    const lib = await extKey({ scopes: ['preset:jellyfin-library-read'] });
    const lh = { headers: { 'X-Emby-Token': lib.key } };
    assert.equal((await via('GET', '/Users', lh)).r.status, 200, 'the stand-in lists its users');
    const post = await via('POST', '/Users/New', { ...lh, body: { Name: 'nope' } });
    assert.equal(post.r.status, 403);
    assert.equal(post.up, null);
    const bad = await F.req('POST', '/keyfin/v1/keys', { token: await FK.adminToken(), body: { app: 'x', scopes: ['preset:nope'] } });
    assert.equal(bad.status, 400);
  });

  test('from an address it is not allowed: 403', async () => {
    const far = await extKey({ allowed_ips: ['10.0.0.0/8'] });
    const { r, up } = await via('GET', '/System/Info', { headers: { 'X-Emby-Token': far.key } });
    assert.equal(r.status, 403);
    assert.equal(up, null);
  });

  test("Jellyfin's key list is out of reach of every keyfin key (it holds the upstream key)", async () => {
    const key = await FK.createKey(unique('admin'));
    for (const p of ['/Auth/Keys', '/auth/keys/', '/emby/Auth/Keys', '/emby/emby/Auth/Keys',
      `/Auth/Keys/${upstreamKey}`, '/Auth/Keys%2F', '/x/../Auth/Keys', '//Auth/Keys']) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const { r, up } = await via(method, p, { headers: { 'X-Emby-Token': key } });
        assert.equal(r.status, 403, `${method} ${p}`);
        assert.equal(up, null, `${method} ${p} reached the upstream`);
        assert.ok(!r.raw.toString('latin1').includes(upstreamKey));
      }
    }
  });

  test("a keyfin user's session is for /keyfin/ only: 403", async () => {
    const admin = await FK.adminToken();
    const { r, up } = await via('GET', '/System/Info', { token: admin });
    assert.equal(r.status, 403);
    assert.equal(up, null);
  });
});

describe("a token keyfin does not know (Jellyfin's own)", () => {
  test('goes on with the same meaning, moved to Authorization when it came in a legacy form', async () => {
    const { token: session } = await J.loginToken('admin', J.adminPassword, { DeviceId: 'front-jf-session' });
    const jkey = await J.createKey(unique('jellyfin-own'));
    for (const token of [session, jkey, `Jf${randomHex(20)}`]) {
      F.remember(token);
      const forms = [
        [{ headers: { 'X-Emby-Token': token } }, `MediaBrowser Token="${token}"`],
        [{ headers: { 'X-MediaBrowser-Token': token } }, `MediaBrowser Token="${token}"`],
        [{ query: `?api_key=${token}` }, `MediaBrowser Token="${token}"`],
        [{ query: `?ApiKey=${token}` }, `MediaBrowser Token="${token}"`],
        [{ headers: { 'X-Emby-Authorization': `MediaBrowser Client="Jellyseerr", Token="${token}"` } },
          `MediaBrowser Token="${token}", Client="Jellyseerr"`],
        [{ headers: { Authorization: `Emby Token="${token}"` } }, `MediaBrowser Token="${token}"`],
      ];
      for (const [form, want] of forms) {
        const what = JSON.stringify(form);
        const { r, up } = await via('GET', `/System/Info${form.query || ''}`, { headers: form.headers || {} });
        assert.ok(up, `${what} reached the upstream`);
        assert.equal(up.headers.authorization, want, what);
        assertClean(up, 'never-a-key', what);
        if (token === session || token === jkey) {
          assert.equal(r.status, 200, `${what}: the legacy-off stand-in accepts it (${r.status})`);
          // sent to the stand-in directly, Jellyfin 12 refuses the legacy form
          if (!form.headers?.Authorization && !form.query?.startsWith('?ApiKey')) {
            const direct = await J.req('GET', `/System/Info${form.query || ''}`, { headers: form.headers || {} });
            assert.equal(direct.status, 401, `${what} sent directly`);
          }
        } else {
          assert.equal(r.status, 401, 'a token nobody knows: Jellyfin says 401');
        }
      }
      // already in Authorization: byte for byte
      const header = `MediaBrowser  Client="x" , Token="${token}", Version="1"`;
      const { up } = await via('GET', '/System/Info', { headers: { Authorization: header } });
      assert.equal(up.headers.authorization, header);
    }
  });
});

describe('no token', () => {
  test('passes with none: public endpoints, the login, a MediaBrowser header without a token unchanged', async () => {
    const pub = await via('GET', '/System/Info/Public');
    assert.equal(pub.r.status, 200);
    assert.equal(pub.up.headers.authorization, undefined, 'no Authorization added');
    const ping = await via('GET', '/System/Ping');
    assert.equal(ping.r.status, 200);
    const info = await via('GET', '/System/Info');
    assert.equal(info.r.status, 401, 'Jellyfin decides');
    assert.equal(info.up.headers.authorization, undefined, 'never the upstream key without a keyfin key');

    // Jellyfin's own login, through the front
    const header = 'MediaBrowser Client="Jellyfin Web", Device="Firefox", DeviceId="front-web-1", Version="10.11.0"';
    J.remember(J.adminPassword);
    const login = await via('POST', '/Users/AuthenticateByName', {
      headers: { Authorization: header }, body: { Username: 'admin', Pw: J.adminPassword },
    });
    assert.equal(login.r.status, 200, login.r.body);
    assert.match(login.r.json.AccessToken, HEX32);
    F.remember(login.r.json.AccessToken);
    assert.equal(login.up.headers.authorization, header, 'the header reaches Jellyfin unchanged');
    assert.ok(login.up.bodyBytes > 0, 'the body went on');

    // X-Emby-Authorization (Jellyseerr, jellyfin-apiclient 1.10): its
    // fields moved to Authorization, which Jellyfin 12 reads
    const legacy = await via('POST', '/Users/AuthenticateByName', {
      headers: { 'X-Emby-Authorization': 'MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="c2VlcnI=", Version="2.5.0"' },
      body: { Username: 'admin', Pw: J.adminPassword },
    });
    assert.equal(legacy.r.status, 200, legacy.r.body);
    F.remember(legacy.r.json.AccessToken);
    assert.equal(legacy.up.headers.authorization,
      'MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="c2VlcnI%3D", Version="2.5.0"');
    assert.equal(legacy.up.headers['x-emby-authorization'], undefined);
    assert.equal(legacy.r.json.SessionInfo.DeviceId, 'c2VlcnI=');

    // other schemes pass as they are; an empty api_key goes
    const bearer = await via('GET', '/System/Info/Public?api_key=', { headers: { Authorization: 'Bearer abc' } });
    assert.equal(bearer.up.headers.authorization, 'Bearer abc');
    assert.equal(bearer.up.url, '/System/Info/Public');
  });
});

// ---- (2) what media needs --------------------------------------------------

// A WebSocket upgrade through the front; resolves with the 101's head and
// the first frame.
function websocket(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: F.httpPort });
    const key = crypto.randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('websocket: timeout')); }, 10_000);
    sock.on('connect', () => {
      sock.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n');
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (!head.startsWith('HTTP/1.1 101') || rest.length >= 2) {
        clearTimeout(timer);
        sock.destroy();
        resolve({ head, status: Number(head.split(' ')[1]), accept: websocketAccept(key), frame: rest });
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

describe('media: WebSocket, Range, streams, uploads', () => {
  test('a WebSocket on /socket with the key in api_key: upgraded, with the upstream key in Authorization', async () => {
    const key = await FK.createKey(unique('socket'));
    const before = seen.length;
    const ws = await websocket(`/socket?api_key=${key}&deviceId=TW96aWxsYQ`);
    assert.equal(ws.status, 101, ws.head);
    assert.match(ws.head, new RegExp(`Sec-WebSocket-Accept: ${ws.accept.replace(/[+/=]/g, '\\$&')}`, 'i'));
    assert.equal(ws.frame[0], 0x81, 'a text frame came through');
    assert.match(ws.frame.subarray(2).toString(), /ForceKeepAlive/);
    const up = seen.slice(before).find((x) => x.upgrade);
    assert.ok(up, 'the upgrade reached the upstream');
    assert.equal(up.url, '/socket?deviceId=TW96aWxsYQ');
    assert.equal(up.headers.authorization, upstreamAuthorization());
    assert.equal(up.headers.upgrade, 'websocket');
    assert.match(up.headers.connection, /upgrade/i);
    assertClean(up, key, 'websocket');

    // Jellyfin's web app: its own session in api_key
    const jf = randomHex(16);
    const before2 = seen.length;
    assert.equal((await websocket(`/socket?api_key=${jf}&deviceId=x`)).status, 101);
    const up2 = seen.slice(before2).find((x) => x.upgrade);
    assert.equal(up2.headers.authorization, `MediaBrowser Token="${jf}"`);
    assert.equal(up2.url, '/socket?deviceId=x');

    // a revoked key gets no socket
    assertNoContent(await FK.req('DELETE', `/Auth/Keys/${key}`, { token: await FK.adminToken() }));
    const before3 = seen.length;
    assert.equal((await websocket(`/socket?api_key=${key}`)).status, 401);
    assert.equal(seen.length, before3);
  });

  test('Range requests: 206 with the bytes asked for, the Range header passed on', async () => {
    const key = await FK.createKey(unique('range'));
    const { r, up } = await via('GET', `/Videos/abc/stream?static=true&api_key=${key}`, {
      headers: { Range: 'bytes=1000-1999' },
    });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000-1999/${MEDIA.length}`);
    assert.ok(r.raw.equals(MEDIA.subarray(1000, 2000)));
    assert.equal(up.headers.range, 'bytes=1000-1999');
    assert.equal(up.url, '/Videos/abc/stream?static=true');
    const whole = await via('GET', '/Videos/abc/stream', { headers: { 'X-Emby-Token': key } });
    assert.equal(whole.r.status, 200);
    assert.equal(whole.r.raw.length, MEDIA.length);
    assert.ok(whole.r.raw.equals(MEDIA));
  });

  test('an answer is streamed, not buffered: the first half arrives before the upstream sends the second', async () => {
    const key = await FK.createKey(unique('stream'));
    const got = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: F.httpPort, path: '/Slow/stream', headers: { 'X-Emby-Token': key }, agent: false }, (res) => {
        const chunks = [];
        let released = false;
        res.on('data', (c) => {
          chunks.push(c);
          if (!released && Buffer.concat(chunks).length >= 4096) {
            released = true;
            assert.ok(slow.release, 'the upstream is holding the second half');
            slow.release();
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('the first half never came: buffered?')));
      req.on('error', reject);
      req.end();
    });
    assert.ok(got.equals(MEDIA.subarray(0, 8192)));
  });

  test('a large upload is streamed to the upstream as it comes (64 MiB, more than any keyfin body)', async () => {
    const key = await FK.createKey(unique('upload'));
    const chunk = crypto.randomBytes(1 << 20);
    const total = 64;
    const hash = crypto.createHash('sha256');
    const started = new Promise((resolve) => { uploadStarted = resolve; });
    const answer = new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: F.httpPort, method: 'POST', path: `/Upload?ApiKey=${key}`, agent: false,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': total * chunk.length },
      }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(body || '{}') }));
      });
      req.setTimeout(60_000, () => req.destroy(new Error('upload timed out')));
      req.on('error', reject);
      (async () => {
        // the first MiB, then wait until the upstream has bytes: a front
        // that buffered the body would pass nothing before the end
        req.write(chunk);
        hash.update(chunk);
        const t = setTimeout(() => req.destroy(new Error('no bytes upstream before the body ended: buffered?')), 10_000);
        await started;
        clearTimeout(t);
        for (let i = 1; i < total; i++) {
          hash.update(chunk);
          if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
        }
        req.end();
      })().catch(reject);
    });
    const r = await answer;
    uploadStarted = null;
    assert.equal(r.status, 200);
    assert.equal(r.json.bytes, total * chunk.length);
    assert.equal(r.json.sha256, hash.digest('hex'));
    const up = seen.filter((x) => x.url.startsWith('/Upload')).pop();
    assert.equal(up.url, '/Upload');
    assert.equal(up.headers.authorization, upstreamAuthorization());
  });
});

// ---- a new upstream key without a restart ----------------------------------

describe('the upstream key, changed', () => {
  test('SIGHUP reads the file again; a file others may read is refused and the old key kept', async () => {
    const key = await FK.createKey(unique('hup'));
    const pid = Number(fs.readFileSync(path.join(F.dir, 'run', 'keyfin.pid'), 'utf8'));
    const fresh = await J.createKey('keyfin front, rolled');
    F.remember(fresh);
    fs.writeFileSync(keyFile, `${fresh}\n`);
    // started as root, keyfin serve runs as the user keyfin, and reads the
    // files again as that user (the server secret first): theirs for this
    if (process.getuid() === 0) execFileSync('chown', ['keyfin:keyfin', keyFile, path.join(F.dir, 'secret')]);
    process.kill(pid, 'SIGHUP');
    const forwardedWith = async () => (await via('GET', '/System/Info', { headers: { 'X-Emby-Token': key } })).up?.headers.authorization;
    const switched = await pollUntil(async () => (await forwardedWith()) === `MediaBrowser Token="${fresh}"`,
      { attempts: 100, intervalMs: 100 });
    assert.ok(switched, 'the new upstream key is forwarded after SIGHUP');
    const old = upstreamKey;
    upstreamKey = fresh;

    // loosened: refused, the key in force stays
    fs.writeFileSync(keyFile, `${old}\n`);
    fs.chmodSync(keyFile, 0o644);
    process.kill(pid, 'SIGHUP');
    await pollUntil(() => fs.readFileSync(path.join(F.dir, 'log', 'keyfin.log'), 'utf8')
      .includes('keeping the old secret and upstream key'), { attempts: 100, intervalMs: 100 });
    assert.equal(await forwardedWith(), `MediaBrowser Token="${fresh}"`);
    fs.chmodSync(keyFile, 0o600);
    fs.writeFileSync(keyFile, `${fresh}\n`);
  });
});

// ---- keyfin's own API under /keyfin/ -------------------------------------

describe("keyfin's own API and admin page under /keyfin/", () => {
  test('/keyfin/System/Info, /keyfin/Auth/Keys, /keyfin/v1/keys, /keyfin/web/ are keyfin, not Jellyfin', async () => {
    const before = seen.length;
    const key = await FK.createKey(unique('own'));
    const info = await F.req('GET', '/keyfin/System/Info', { headers: { 'X-Emby-Token': key } });
    assert.equal(info.status, 200);
    assert.equal(info.json.ServerName, 'keyfin');
    assert.equal((await F.req('GET', '/keyfin/v1/keys', { token: await FK.adminToken() })).status, 200);
    const web = await F.req('GET', '/keyfin/web/');
    assert.equal(web.status, 200);
    assert.match(web.body, /<script type="module" src="app.js">/);
    assert.equal((await F.req('GET', '/keyfin/')).headers.location, '/keyfin/web/');
    assert.equal(seen.length, before, 'nothing of it reached Jellyfin');
    // the gateway endpoint from outside never gives the upstream key
    const v = await F.req('GET', '/keyfin/v1/verify', {
      headers: { 'X-Emby-Token': key, 'X-Original-URI': '/System/Info', 'Keyfin-Front': '1' },
    });
    assert.equal(v.status, 204);
    assert.ok(!JSON.stringify(v.headers).includes(upstreamKey));
    assert.equal(v.headers['x-keyfin-authorization'], undefined);
    assert.equal(v.headers['x-keyfin-authorization-mode'], undefined);
    // nor does the internal location answer a client
    const internal = await F.req('GET', '/_keyfin_front', { headers: { 'X-Emby-Token': key } });
    assert.equal(internal.status, 404);
    assert.equal(seen.length, before);
  });
});

// ---- the upstream key's file -----------------------------------------------

function run(cmd, args, env) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000, cwd: ROOT }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('the upstream key file', () => {
  test('refused when group or others can read it, by keyfin serve and by scripts/stack', async () => {
    const loose = path.join(J.dir, 'loose-key');
    fs.writeFileSync(loose, `${upstreamKey}\n`, { mode: 0o600 });
    for (const mode of [0o640, 0o604, 0o644]) {
      fs.chmodSync(loose, mode);
      const serve = await run(BIN, ['serve'], {
        PATH: process.env.PATH,
        KEYFIN_SECRET_FILE: path.join(F.dir, 'secret'),
        KEYFIN_DATABASE_URL: 'postgresql:///nowhere?host=/nonexistent',
        KEYFIN_LISTEN: `127.0.0.1:${await freePort()}`,
        KEYFIN_UPSTREAM_KEY_FILE: loose,
        ...(process.getuid() === 0 ? { KEYFIN_USER: 'keyfin' } : {}),
      });
      assert.notEqual(serve.code, 0, `keyfin serve started with a key file of mode ${mode.toString(8)}`);
      assert.match(serve.stderr, /KEYFIN_UPSTREAM_KEY_FILE .*chmod 600/);
      assert.ok(!serve.stderr.includes(upstreamKey));
      const stack = await run(STACK, ['start'], {
        ...process.env, KEYFIN_VAR: path.join(J.dir, 'never'), KEYFIN_UPSTREAM: 'http://127.0.0.1:1',
        KEYFIN_UPSTREAM_KEY_FILE: loose, KEYFIN_HTTP_PORT: String(await freePort()), KEYFIN_HTTPS_PORT: String(await freePort()),
      });
      assert.notEqual(stack.code, 0);
      assert.match(stack.stderr, /group and others must not read it \(chmod 600 it\)/);
    }
    fs.writeFileSync(loose, 'not a key, two words\n', { mode: 0o600 });
    fs.chmodSync(loose, 0o600);
    const bad = await run(BIN, ['serve'], {
      PATH: process.env.PATH, KEYFIN_SECRET_FILE: path.join(F.dir, 'secret'),
      KEYFIN_DATABASE_URL: 'postgresql:///nowhere?host=/nonexistent', KEYFIN_UPSTREAM_KEY_FILE: loose,
      KEYFIN_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /must hold one Jellyfin API key/);
  });
});

describe('scripts/render-nginx --front', () => {
  test('http and https upstreams, a port or none, IPv6; nginx accepts each; other URLs refused', async () => {
    const dir = fs.mkdtempSync(path.join(J.dir, 'render-'));
    for (const d of ['tls', 'log', 'run', 'nginx']) fs.mkdirSync(path.join(dir, d));
    for (const f of ['cert.pem', 'key.pem']) fs.copyFileSync(path.join(F.dir, 'tls', f), path.join(dir, 'tls', f));
    const render = (url) => run(path.join(ROOT, 'scripts', 'render-nginx'), ['--front', url, `VAR=${dir}`,
      'BIND=127.0.0.1', 'HTTP_PORT=1', 'HTTPS_PORT=2', ...(process.getuid() === 0 ? [] : ['USER='])], process.env);
    const cases = [
      ['http://localhost', 'http', 'localhost:80'],
      ['https://127.0.0.1:8920/', 'https', '127.0.0.1:8920'],
      ['http://[::1]:8097', 'http', '[::1]:8097'],
    ];
    for (const [url, scheme, server] of cases) {
      const r = await render(url);
      assert.equal(r.code, 0, `${url}: ${r.stderr}`);
      assert.ok(r.stdout.includes(`server ${server};`), url);
      assert.ok(r.stdout.includes(`proxy_pass ${scheme}://keyfin_jellyfin$keyfin_front_uri;`), url);
      assert.doesNotMatch(r.stdout, /@[A-Z_]+@/);
      const conf = path.join(dir, 'nginx.conf');
      fs.writeFileSync(conf, r.stdout);
      const t = await run('nginx', ['-t', '-p', `${dir}/nginx/`, '-c', conf, '-e', path.join(dir, 'log', 'e.log')], process.env);
      assert.equal(t.code, 0, `nginx -t for ${url}: ${t.stderr}`);
    }
    for (const url of ['http://jf/jellyfin', 'ftp://jf', 'jf:8096', 'http://jf:99999', 'http://jf:8096?x']) {
      const r = await render(url);
      assert.notEqual(r.code, 0, url);
      assert.match(r.stderr, /--front/);
    }
  });
});

test('[front] no log holds a key, token, password or the upstream key', async () => {
  await T.stop();
  T.assertLogsClean();
  await F.stop();
  F.assertLogsClean();
  // nginx's access log of the front: Jellyfin's paths too, never a query
  const access = fs.readFileSync(path.join(F.dir, 'log', 'nginx-access.log'), 'utf8');
  assert.match(access, /"path":"\/Videos\/abc\/stream"/);
  assert.doesNotMatch(access, /api_key|ApiKey/i);
  await J.stop();
  J.assertLogsClean();
});
