// keyfin's public HTTP API as the admin console uses it: Jellyfin's
// (sign-in, users, activity) and keyfin's own /keyfin/v1 (keys with
// options, usage, sessions: docs/keyfin-api.yaml).
//
// Only same-origin relative paths: the CSP allows connect-src 'self' and
// nothing else. The session token never goes into a URL: it travels in the
// Authorization header, as the Jellyfin SDK sends it. Keys are revoked and
// rolled by their id, so a key never travels in a URL either.

export const CLIENT = 'keyfin web';
export const VERSION = '0.2.0';

const TIMEOUT_MS = 15000;

// Front mode (keyfin in front of a real Jellyfin): this page is served at
// /keyfin/web/ and keyfin's API is under /keyfin/; every other path is
// Jellyfin's.  Otherwise at /web/, with the API at the root.
export const API_BASE = typeof location !== 'undefined' && location.pathname.startsWith('/keyfin/web/')
  ? '/keyfin' : '';
const DEVICE_ID_KEY = 'keyfin.deviceId';
const MESSAGE_MAX = 300;

// An answer the app has words for. kind: 'unauthorized' (401), 'forbidden'
// (403 without a reason: not an administrator), 'refused' (a 4xx with the
// server's reason in `reason`), 'not-found' (404), 'unavailable'
// (502/503/504), 'unreachable' (no answer at all), 'server' (anything else).
export class ApiError extends Error {
  constructor(kind, status, message, reason = '') {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.reason = reason;
  }
}

function randomHex(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// One id per browser profile, kept in localStorage (it is no secret):
// keyfin keeps one session per (user, DeviceId), so signing in again
// replaces this browser's old session instead of piling sessions up.
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

// The server's reason for a refusal: a JSON string (Jellyfin's), an
// object with a Message, or plain text; '' when there is none.
function reasonOf(text, type) {
  let reason = text.trim();
  if (/json/.test(type || '')) {
    try {
      const v = JSON.parse(text);
      reason = typeof v === 'string' ? v : String((v && (v.Message || v.message)) || '');
    } catch {
      reason = '';
    }
  }
  return reason.length > MESSAGE_MAX ? `${reason.slice(0, MESSAGE_MAX)}…` : reason;
}

function kindOf(status, reason) {
  if (status === 401) return 'unauthorized';
  if (status === 403 && !reason) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 400 && status < 500) return 'refused';
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
    const text = await res.text().catch(() => '');
    const reason = res.status < 500 ? reasonOf(text, res.headers.get('Content-Type')) : '';
    throw new ApiError(kindOf(res.status, reason), res.status, `HTTP ${res.status}`, reason);
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

// ------------------------------------------------------------- sessions --

function userOf(u) {
  const p = u.Policy || {};
  return {
    id: String(u.Id || ''),
    name: String(u.Name || ''),
    isAdmin: !!p.IsAdministrator,
    isDisabled: !!p.IsDisabled,
    isHidden: p.IsHidden !== false,
    hasPassword: !!u.HasPassword,
    failedLogins: Number(p.InvalidLoginAttemptCount || 0),
    lockoutAfter: Number(p.LoginAttemptsBeforeLockout || -1),
    lastLogin: String(u.LastLoginDate || ''),
    lastActivity: String(u.LastActivityDate || ''),
  };
}

// → {token, user}
export async function signIn(username, password) {
  const r = await call('POST', '/Users/AuthenticateByName', { json: { Username: username, Pw: password } });
  if (!r || typeof r.AccessToken !== 'string' || !r.User) {
    throw new ApiError('server', 200, 'the sign-in answer has no token');
  }
  return { token: r.AccessToken, user: userOf(r.User) };
}

export async function me(token) {
  return userOf(await call('GET', '/Users/Me', { token }));
}

export async function signOut(token) {
  await call('POST', '/Sessions/Logout', { token });
}

// ----------------------------------------------------------------- keys --

// Every key's details, newest first (never the keys themselves).
export async function listKeys(token) {
  const r = await call('GET', '/keyfin/v1/keys', { token });
  return (Array.isArray(r) ? r : []).reverse();
}

export const getKey = (token, id) => call('GET', `/keyfin/v1/keys/${Number(id)}`, { token });

// options: {app, ttl | expires_at, scopes, allowed_ips, note} → the key
// with its details (`key` is shown this once).
export const createKey = (token, options) => call('POST', '/keyfin/v1/keys', { token, json: options });

export const rollKey = (token, id, grace) =>
  call('POST', `/keyfin/v1/keys/${Number(id)}/roll`, { token, json: { grace } });

export const revokeKey = (token, id) => call('DELETE', `/keyfin/v1/keys/${Number(id)}`, { token });

export const keyUsage = (token, id) => call('GET', `/keyfin/v1/keys/${Number(id)}/usage`, { token });

// {start, hour_seconds, keys: [{id, requests, total}]}: keys used in the window.
export const allUsage = (token) => call('GET', '/keyfin/v1/usage', { token });

// ------------------------------------------------------------- activity --

// {items, total, start}; filter: {type, minDate, maxDate} (ISO dates).
export async function activity(token, { start = 0, limit = 25, type, minDate, maxDate } = {}) {
  const q = new URLSearchParams({ startIndex: String(start), limit: String(limit) });
  if (type) q.set('type', type);
  if (minDate) q.set('minDate', minDate);
  if (maxDate) q.set('maxDate', maxDate);
  const r = await call('GET', `/System/ActivityLog/Entries?${q}`, { token });
  return {
    items: Array.isArray(r && r.Items) ? r.Items : [],
    total: Number((r && r.TotalRecordCount) || 0),
    start: Number((r && r.StartIndex) || 0),
  };
}

// ---------------------------------------------------------------- users --

export async function listUsers(token) {
  const r = await call('GET', '/Users', { token });
  return (Array.isArray(r) ? r : []).map(userOf);
}

export async function createUser(token, name, password) {
  return userOf(await call('POST', '/Users/New', { token, json: { Name: name, Password: password } }));
}

// The whole policy is posted, as Jellyfin's dashboard does: what is not
// changed keeps its value. Saving a policy also lifts a lockout.
export const setPolicy = (token, user, changes) => call('POST', `/Users/${encodeURIComponent(user.id)}/Policy`, {
  token,
  json: { IsAdministrator: user.isAdmin, IsDisabled: user.isDisabled, IsHidden: user.isHidden, ...changes },
});

// An administrator setting someone's password needs no current one.
export const setPassword = (token, user, password) => call('POST', `/Users/${encodeURIComponent(user.id)}/Password`, {
  token, json: { NewPw: password },
});

export const deleteUser = (token, user) => call('DELETE', `/Users/${encodeURIComponent(user.id)}`, { token });

// ------------------------------------------------------------- sessions --

export async function listSessions(token) {
  const r = await call('GET', '/keyfin/v1/sessions', { token });
  return Array.isArray(r) ? r : [];
}

export const endSession = (token, id) => call('DELETE', `/keyfin/v1/sessions/${Number(id)}`, { token });
