// keyfin's public HTTP API (Jellyfin's), as the web app uses it.
//
// Only same-origin relative paths: the CSP allows connect-src 'self' and
// nothing else. The session token never goes into a URL: it travels in the
// Authorization header, as the Jellyfin SDK sends it.

export const CLIENT = 'keyfin web';
export const VERSION = '0.1.0';

const TIMEOUT_MS = 15000;

// Front mode (keyfin in front of a real Jellyfin): this page is served at
// /keyfin/web/ and keyfin's API is under /keyfin/; every other path is
// Jellyfin's.  Otherwise at /web/, with the API at the root.
export const API_BASE = typeof location !== 'undefined' && location.pathname.startsWith('/keyfin/web/')
  ? '/keyfin' : '';
const DEVICE_ID_KEY = 'keyfin.deviceId';

// An answer the app has words for. kind: 'unauthorized' (401), 'forbidden'
// (403), 'unavailable' (502/503/504), 'unreachable' (no answer at all),
// 'bad-request' (400), 'server' (anything else).
export class ApiError extends Error {
  constructor(kind, status, message) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
  }
}

function randomHex(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// One id per browser profile, kept in localStorage: keyfin keeps one session
// per (user, DeviceId), so signing in again replaces this browser's old
// session instead of piling sessions up.
export function deviceId() {
  let id = null;
  try {
    id = localStorage.getItem(DEVICE_ID_KEY);
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = randomHex(16);
      localStorage.setItem(DEVICE_ID_KEY, id);
    }
  } catch {
    // Storage disabled: a per-page id still works.
    id = id || randomHex(16);
  }
  return id;
}

// A readable device name, like the Jellyfin web client's.
export function deviceName(ua = navigator.userAgent) {
  const brands = navigator.userAgentData?.brands?.map((b) => b.brand) || [];
  for (const name of ['Microsoft Edge', 'Opera', 'Google Chrome', 'Chromium']) {
    if (brands.includes(name)) return name === 'Google Chrome' ? 'Chrome' : name.replace('Microsoft ', '');
  }
  if (/Firefox\//.test(ua)) return 'Firefox';
  if (/Edg\//.test(ua)) return 'Edge';
  if (/OPR\//.test(ua)) return 'Opera';
  if (/Chrom(e|ium)\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua)) return 'Safari';
  return 'Web browser';
}

// The MediaBrowser Authorization header, values encodeURIComponent-ed as
// @jellyfin/sdk does (keyfin URL-decodes them).
export function authorization(token) {
  const parts = [];
  if (token) parts.push(['Token', token]);
  parts.push(['Client', CLIENT], ['Device', deviceName()], ['DeviceId', deviceId()], ['Version', VERSION]);
  return 'MediaBrowser ' + parts.map(([k, v]) => `${k}="${encodeURIComponent(v)}"`).join(', ');
}

function kindOf(status) {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 400) return 'bad-request';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'server';
}

async function call(method, path, { token, json } = {}) {
  const headers = { Accept: 'application/json', Authorization: authorization(token) };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(API_BASE + path, {
      method,
      headers,
      body,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new ApiError('unreachable', 0, `no answer from the server (${e.name})`);
  }
  if (!res.ok) {
    // Drain the body so the connection can be reused; its text is not shown.
    await res.text().catch(() => '');
    throw new ApiError(kindOf(res.status), res.status, `HTTP ${res.status}`);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('server', res.status, 'the server sent something that is not JSON');
  }
}

// → {token, user: {id, name, isAdmin}}
export async function signIn(username, password) {
  const r = await call('POST', '/Users/AuthenticateByName', { json: { Username: username, Pw: password } });
  if (!r || typeof r.AccessToken !== 'string' || !r.User) {
    throw new ApiError('server', 200, 'the sign-in answer has no token');
  }
  return { token: r.AccessToken, user: userOf(r.User) };
}

function userOf(u) {
  return { id: String(u.Id || ''), name: String(u.Name || ''), isAdmin: !!(u.Policy && u.Policy.IsAdministrator) };
}

export async function me(token) {
  return userOf(await call('GET', '/Users/Me', { token }));
}

export async function signOut(token) {
  await call('POST', '/Sessions/Logout', { token });
}

// Every key, in the server's order (creation order, newest last).
export async function listKeys(token) {
  const r = await call('GET', '/Auth/Keys', { token });
  const items = r && Array.isArray(r.Items) ? r.Items : [];
  return items.map((k) => ({
    key: String(k.AccessToken || ''),
    app: String(k.AppName ?? ''),
    created: String(k.DateCreated || ''),
    lastActivity: String(k.DateLastActivity || ''),
  }));
}

// POST /Auth/Keys answers 204 without the key (as Jellyfin does). Then, as
// Seerr does: list, and take the newest key with that name.
export async function createKey(token, app) {
  await call('POST', `/Auth/Keys?app=${encodeURIComponent(app)}`, { token });
  const keys = await listKeys(token);
  let created = null;
  for (const k of keys) if (k.app === app) created = k;
  if (!created) throw new ApiError('server', 204, 'the new key is not in the list');
  return { created, keys };
}

export async function revokeKey(token, key) {
  await call('DELETE', `/Auth/Keys/${encodeURIComponent(key)}`, { token });
}
