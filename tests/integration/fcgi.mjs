// A minimal FastCGI client (responder role), enough to talk to `keyfin serve`
// directly, without nginx: to test its TCP listener, several instances, and
// a request that is still arriving while the pool is told to stop.

import net from 'node:net';

const VERSION = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const RESPONDER = 1;
const KEEP_CONN = 1;
const REQUEST_ID = 1;

function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.alloc(8);
  head.writeUInt8(VERSION, 0);
  head.writeUInt8(type, 1);
  head.writeUInt16BE(REQUEST_ID, 2);
  head.writeUInt16BE(content.length, 4);
  return Buffer.concat([head, content]);
}

function lengthBytes(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

function encodeParams(params) {
  const parts = [];
  for (const [name, value] of Object.entries(params)) {
    const n = Buffer.from(name);
    const v = Buffer.from(String(value));
    parts.push(lengthBytes(n.length), lengthBytes(v.length), n, v);
  }
  return Buffer.concat(parts);
}

// CGI parameters as nginx sends them for `method path` with `headers`.
export function cgiParams(method, uri, headers = {}, body = Buffer.alloc(0)) {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const params = {
    REQUEST_METHOD: method,
    REQUEST_URI: uri,
    QUERY_STRING: query,
    REMOTE_ADDR: '127.0.0.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    CONTENT_LENGTH: String(body.length),
  };
  for (const [k, v] of Object.entries(headers)) {
    params[`HTTP_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  }
  return params;
}

// One request on its own connection.  `send(part)` writes STDIN bytes;
// `end()` closes STDIN; `response` resolves to {status, headers, body}.
export function openRequest(port, params, { timeoutMs = 15_000 } = {}) {
  const sock = net.connect({ host: '127.0.0.1', port });
  const chunks = [];
  const response = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`FastCGI request timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      try { resolve(parseResponse(Buffer.concat(chunks))); } catch (e) { reject(e); }
    });
  });
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(RESPONDER, 0);
  sock.write(record(BEGIN_REQUEST, begin));
  sock.write(record(PARAMS, encodeParams(params)));
  sock.write(record(PARAMS));
  const connected = new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  connected.catch(() => {});    // `response` reports the error to those who wait on it
  return {
    response,
    connected,
    send(part) { if (part.length > 0) sock.write(record(STDIN, part)); },
    end() { sock.write(record(STDIN)); },
  };
}

export async function request(port, method, uri, { headers = {}, body = '' } = {}) {
  const buf = Buffer.from(body);
  const r = openRequest(port, cgiParams(method, uri, headers, buf));
  r.send(buf);
  r.end();
  return r.response;
}

// A connection kept open between requests, as nginx's `fastcgi_keep_conn
// on` keeps it: `request()` sends one with FCGI_KEEP_CONN set and resolves
// at its FCGI_END_REQUEST; the next may follow on the same socket.
export async function keptConnection(port, { timeoutMs = 15_000 } = {}) {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let chunks = [];
  let waiting = null;
  let closed = false;
  const settle = (fn) => { const w = waiting; waiting = null; if (w) fn(w); };
  sock.on('data', (d) => {
    chunks.push(d);
    const buf = Buffer.concat(chunks);
    if (!recordsEnd(buf)) return;
    chunks = [];
    settle((w) => { clearTimeout(w.timer); try { w.resolve(parseResponse(buf)); } catch (e) { w.reject(e); } });
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    closed = true;
    settle((w) => { clearTimeout(w.timer); w.reject(new Error('the connection closed')); });
  });
  return {
    get closed() { return closed; },
    request(method, uri, { headers = {}, body = '' } = {}) {
      if (waiting) throw new Error('one request at a time on a connection');
      const buf = Buffer.from(body);
      const begin = Buffer.alloc(8);
      begin.writeUInt16BE(RESPONDER, 0);
      begin.writeUInt8(KEEP_CONN, 2);
      return new Promise((resolve, reject) => {
        waiting = {
          resolve,
          reject,
          timer: setTimeout(() => settle((w) => w.reject(
            new Error(`FastCGI request timed out after ${timeoutMs} ms`))), timeoutMs),
        };
        sock.write(Buffer.concat([record(BEGIN_REQUEST, begin),
          record(PARAMS, encodeParams(cgiParams(method, uri, headers, buf))), record(PARAMS),
          ...(buf.length > 0 ? [record(STDIN, buf)] : []), record(STDIN)]));
      });
    },
    close() { sock.destroy(); },
  };
}

// Whether `buf` holds whole records up to an FCGI_END_REQUEST.
function recordsEnd(buf) {
  for (let pos = 0; pos + 8 <= buf.length;) {
    const len = buf.readUInt16BE(pos + 4);
    const next = pos + 8 + len + buf.readUInt8(pos + 6);
    if (next > buf.length) return false;
    if (buf.readUInt8(pos + 1) === END_REQUEST) return true;
    pos = next;
  }
  return false;
}

function parseResponse(buf) {
  const out = [];
  let ended = false;
  for (let pos = 0; pos + 8 <= buf.length;) {
    const type = buf.readUInt8(pos + 1);
    const len = buf.readUInt16BE(pos + 4);
    const pad = buf.readUInt8(pos + 6);
    if (type === STDOUT) out.push(buf.subarray(pos + 8, pos + 8 + len));
    if (type === END_REQUEST) ended = true;
    pos += 8 + len + pad;
  }
  if (!ended) throw new Error('the connection closed without FCGI_END_REQUEST');
  const text = Buffer.concat(out).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const headers = {};
  for (const line of text.slice(0, split).split('\r\n')) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = text.slice(split + 4);
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status: Number.parseInt(headers.status, 10), headers, body, json };
}
