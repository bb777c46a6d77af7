// The compatibility suite through front mode (docs/front.md): keyfin and
// nginx in front of a Jellyfin 12 stand-in, i.e. keyfin itself with legacy
// authorization off (KEYFIN_LEGACY_AUTHORIZATION=off, what
// tests/compat/legacy-off.test.mjs runs directly).
//
// Sent directly to the stand-in, the integrations that use an Emby-era
// credential (X-Emby-Token, X-MediaBrowser-Token, ?api_key=,
// X-Emby-Authorization, the Emby scheme) get 401 (legacy-off.test.mjs, and
// the first test below).  Sent through the front, every replay and SDK call
// passes as it does against Jellyfin 10.11: the front moves the credential
// to Authorization, where Jellyfin 12 reads it.  The keys here are the
// stand-in's own (made through the front, as Seerr makes its key): tokens
// keyfin does not know.  keyfin's own keys through the front are
// tests/integration/front.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Stack, logsCleanTest, unique } from '../integration/harness.mjs';
import { MODES, clientTest, hostHeader, rawExact } from './lib/compat.mjs';
import sdkSuite from './suites/sdk.mjs';
import replaySuite from './suites/replays.mjs';
import jellyfinTestsSuite from './suites/jellyfin-tests.mjs';

const J = new Stack('compat-front-jellyfin', MODES.off.env);
let F;

before(async () => {
  await J.start();
  const upstreamKey = await J.createKey('keyfin front');
  const keyFile = path.join(J.dir, 'upstream-key');
  fs.writeFileSync(keyFile, `${upstreamKey}\n`, { mode: 0o600 });
  F = new Stack('compat-front', {
    KEYFIN_UPSTREAM: `http://127.0.0.1:${J.httpPort}`,
    KEYFIN_UPSTREAM_KEY_FILE: keyFile,
  });
  F.remember(upstreamKey);
  await F.start();
}, { timeout: 300_000 });

after(async () => {
  await F?.stop();
  await J.stop();
});

// The stand-in (its admin, its keys, its secrets), reached through the
// front's ports (and its TLS certificate, under the front's dir).
const S = Object.create(J, {
  httpPort: { get: () => F.httpPort },
  httpsPort: { get: () => F.httpsPort },
  dir: { get: () => F.dir },
});

clientTest('credentials', 'every Emby-era credential: 401 sent to the stand-in directly, 200 through the front', async () => {
  const key = await S.createKey(unique('direct'));
  const forms = [
    ['/System/Info', [`X-Emby-Token: ${key}`]],
    ['/System/Info', [`X-MediaBrowser-Token: ${key}`]],
    [`/System/Info?api_key=${key}`, []],
    ['/System/Info', [`X-Emby-Authorization: MediaBrowser Token="${key}"`]],
    ['/System/Info', [`Authorization: Emby Token="${key}"`]],
  ];
  for (const [p, lines] of forms) {
    const direct = await rawExact(J, `GET ${p} HTTP/1.1`, [`Host: ${hostHeader(J)}`, ...lines, 'Connection: close']);
    assert.equal(direct.status, 401, `${lines[0] ?? p} sent directly`);
    const front = await rawExact(S, `GET ${p} HTTP/1.1`, [`Host: ${hostHeader(S)}`, ...lines, 'Connection: close']);
    assert.equal(front.status, 200, `${lines[0] ?? p} through the front`);
    assert.equal(front.json.ProductName, 'Jellyfin Server');
  }
});

sdkSuite(S);
replaySuite(S, { legacy: true });
jellyfinTestsSuite(S);

test('[compat-front] the front\'s logs hold no key, token or password', async () => {
  await F.stop();
  for (const s of J.secrets) F.remember(s);
  F.assertLogsClean();
});
logsCleanTest(test, J);
