// Shared pieces of the compatibility suite: the clients under test (with the
// source each replay was taken from), a test wrapper that records every
// outcome for docs/compatibility.md, and small helpers around the SDKs.
//
// The stack itself comes from tests/integration/harness.mjs (PostgreSQL +
// workers + nginx on free loopback ports, in a temp dir).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../integration/harness.mjs';

export { ROOT };

// Jellyfin answers these per mode: `on` is 10.11 (EnableLegacyAuthorization
// true, the default), `off` is 12.x.
export const MODES = {
  on: { name: 'legacy on (Jellyfin 10.11)', env: {} },
  off: { name: 'legacy off (Jellyfin 12.x)', env: { KEYFIN_LEGACY_AUTHORIZATION: 'off' } },
};

// Every client the suite exercises.  `source` names the file(s) and lines a
// replay copies, at the commit of the snapshot that was read.
export const CLIENTS = {
  sdk100: {
    order: 10, name: '@jellyfin/sdk', version: '1.0.0 (axios 1.13.3)',
    how: 'the npm package, unchanged',
    source: 'npm @jellyfin/sdk@1.0.0: lib/utils/authentication.js, lib/generated-client/api/authentication-api.js, user-api.js',
  },
  sdk013: {
    order: 11, name: '@jellyfin/sdk', version: '0.13.0 (axios 1.13.3)',
    how: 'the npm package, unchanged',
    source: 'npm @jellyfin/sdk@0.13.0: lib/utils/authentication.js, lib/generated-client/api/api-key-api.js, user-api.js',
  },
  heimdall: {
    order: 20, name: 'Heimdall, Jellyfin app', version: 'Heimdall-Apps 29a8865 (2026-08), Guzzle 7 (Debian php-guzzlehttp-guzzle)',
    how: 'PHP + Guzzle, the same Client options and headers',
    source: 'linuxserver/Heimdall-Apps@29a8865 Jellyfin/Jellyfin.php:13-20, 42-52; linuxserver/Heimdall@c16a484 app/SupportedApps.php:73-94',
  },
  heimdallOld: {
    order: 21, name: 'Heimdall, Jellyfin app (before 2024-02)', version: 'Heimdall-Apps 9f17db3 (2024-01)',
    how: 'PHP + Guzzle',
    source: 'linuxserver/Heimdall-Apps@9f17db3 Jellyfin/Jellyfin.php:42-48 (X-MediaBrowser-Token)',
  },
  heimdallEmby: {
    order: 22, name: 'Heimdall, Emby app (pointed at Jellyfin)', version: 'Heimdall-Apps 29a8865',
    how: 'PHP + Guzzle',
    source: 'linuxserver/Heimdall-Apps@29a8865 Emby/Emby.php:15, 42-49 (X-Emby-Token)',
  },
  homepage: {
    order: 30, name: 'Homepage, jellyfin widget', version: 'gethomepage/homepage b2a52ff (2026-04)',
    how: 'raw socket, header bytes as built by the proxy',
    source: 'gethomepage/homepage@b2a52ff src/widgets/jellyfin/proxy.js:27-35; src/widgets/jellyfin/widget.js (V1 endpoints emby/…?api_key=)',
  },
  homepageOld: {
    order: 31, name: 'Homepage, jellyfin widget (before 2026-01)', version: 'gethomepage/homepage 025024a',
    how: 'raw socket',
    source: 'gethomepage/homepage@025024a src/widgets/jellyfin/proxy.js:27-32 (Token unquoted + X-Emby-Token + X-MediaBrowser-Token)',
  },
  homepageEmby: {
    order: 32, name: 'Homepage, emby widget (pointed at Jellyfin)', version: 'gethomepage/homepage b2a52ff',
    how: 'raw socket',
    source: 'gethomepage/homepage@b2a52ff src/widgets/emby/widget.js:3-4 ({url}/emby/{endpoint}?api_key={key}, generic proxy: no auth header)',
  },
  seerr: {
    order: 40, name: 'Seerr', version: 'seerr-team/seerr f74306e (2026-02), axios 1.13.3',
    how: 'axios with the same instance options',
    source: 'seerr-team/seerr@f74306e server/api/jellyfin.ts:135-157, 453-459; server/api/externalapi.ts:33-42',
  },
  jellyseerr: {
    order: 41, name: 'Jellyseerr 2.x', version: 'Fallenbagel/jellyseerr 3b4d6bf (2025-02), Node fetch',
    how: "Node 20's fetch with the same headers",
    source: 'Fallenbagel/jellyseerr@3b4d6bf server/api/jellyfin.ts:103-118, 410-416; server/api/externalapi.ts:41-53, 107-131',
  },
  sonarr: {
    order: 50, name: 'Sonarr / Radarr, Emby/Jellyfin connection', version: 'Sonarr 49df353 (2026-06)',
    how: 'raw socket',
    source: 'Sonarr/Sonarr@49df353 src/NzbDrone.Core/Notifications/MediaBrowser/MediaBrowserProxy.cs:22-30, 141-177',
  },
  organizr: {
    order: 60, name: 'Organizr, Jellyfin homepage item', version: 'causefx/Organizr 3c37516 (2023-11)',
    how: 'raw socket',
    source: 'causefx/Organizr@3c37516 api/homepage/jellyfin.php:68-72 (/Users?api_key=)',
  },
  pyclient: {
    order: 70, name: 'jellyfin-apiclient-python', version: 'b2ec0a9 (2026-06, after v1.9.2)',
    how: 'raw socket, requests-style header order',
    source: 'jellyfin/jellyfin-apiclient-python@b2ec0a9 jellyfin_apiclient_python/http.py:248-272; api.py:841-876, 975-981',
  },
  jsclient110: {
    order: 80, name: 'jellyfin-apiclient (JavaScript)', version: '1.10.0',
    how: 'raw socket',
    source: 'npm jellyfin-apiclient@1.10.0 dist/jellyfin-apiclient.js (setRequestHeaders: X-Emby-Authorization; authenticateUserByName: Users/authenticatebyname); jellyfin/jellyfin-apiclient-javascript@9d10c99 src/apiClient.js:148-179, 504-518',
  },
  jsclient111: {
    order: 81, name: 'jellyfin-apiclient (JavaScript)', version: '1.11.0',
    how: 'raw socket',
    source: 'npm jellyfin-apiclient@1.11.0 dist/jellyfin-apiclient.js (setRequestHeaders: Authorization, values not encoded)',
  },
  jellyfinTests: {
    order: 90, name: "Jellyfin's own integration tests", version: 'jellyfin/jellyfin c3ed140 (v12.0-rc5+104)',
    how: 'the same requests over HTTP',
    source: 'jellyfin/jellyfin@c3ed140 tests/Jellyfin.Server.Integration.Tests/AuthHelper.cs:19-76; Controllers/UserControllerTests.cs:37-165',
  },
  credentials: {
    order: 95, name: 'Every credential source (API key)', version: '—',
    how: 'raw socket',
    source: 'Jellyfin.Server.Implementations/Security/AuthorizationContext.cs (10.11 / master)',
  },
};

// ---- results --------------------------------------------------------------

const results = [];
let resultMode = null;

export function resultsDir() {
  return process.env.KEYFIN_COMPAT_RESULTS || path.join(ROOT, 'build', 'compat');
}

// Called once per test file: the mode's results go to results-<mode>.json
// when the process ends (each file runs in its own process).
export function recordResults(mode) {
  resultMode = mode;
  process.on('exit', () => {
    const dir = resultsDir();
    fs.mkdirSync(dir, { recursive: true });
    const out = {
      mode,
      node: process.version,
      finished: new Date().toISOString(),
      results,
    };
    fs.writeFileSync(path.join(dir, `results-${mode}.json`), `${JSON.stringify(out, null, 1)}\n`);
  });
}

// A test that belongs to a client row of docs/compatibility.md.
export function clientTest(clientId, name, fn, opts = {}) {
  assert.ok(CLIENTS[clientId], `unknown client ${clientId}`);
  test(`[${clientId}] ${name}`, opts, async (t) => {
    try {
      await fn(t);
      results.push({ client: clientId, test: name, ok: true });
    } catch (e) {
      // No key, token or random name in the results (they end up in docs).
      const error = String(e.message).split('\n')[0].replace(/[0-9a-f]{6,}/gi, '…').slice(0, 200);
      results.push({ client: clientId, test: name, ok: false, error });
      throw e;
    }
  });
}

export function currentMode() {
  return resultMode;
}

// ---- small helpers ----------------------------------------------------------

// The HTTP status of a failed axios call (the SDKs are axios underneath).
export async function rejectedStatus(promise, what) {
  try {
    const r = await promise;
    assert.fail(`${what}: expected a failure, got ${r.status}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(e.response, `${what}: no HTTP response: ${e.message}`);
    return e.response.status;
  }
}

export function baseUrl(S, https = false) {
  return https ? `https://127.0.0.1:${S.httpsPort}` : `http://127.0.0.1:${S.httpPort}`;
}

// `Host:` as a client that was given this stack's URL sends it.
export function hostHeader(S) {
  return `127.0.0.1:${S.httpPort}`;
}

// A raw request whose header lines are exactly `lines` (after the request
// line); the caller chooses Host, order, spacing and framing.
export function rawExact(S, requestLine, lines, body = '') {
  const b = Buffer.from(body, 'utf8');
  const text = `${requestLine}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
  return S.raw(Buffer.concat([Buffer.from(text, 'latin1'), b]));
}
