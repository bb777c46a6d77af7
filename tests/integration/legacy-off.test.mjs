// Jellyfin 12.x credential handling: KEYFIN_LEGACY_AUTHORIZATION=off.
// Only `Authorization: MediaBrowser ...` and `?ApiKey=` carry credentials.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, logsCleanTest, unique } from './harness.mjs';
import credentialsSuite from './suites/credentials.mjs';

const S = useStack('legacy-off', { KEYFIN_LEGACY_AUTHORIZATION: 'off' });

credentialsSuite(S, { legacy: false });

describe('legacy off: what still works', () => {
  test('the dashboard flow works with the Authorization header', async () => {
    const admin = await S.adminToken();
    const app = unique('off');
    const r = await S.req('POST', `/Auth/Keys?App=${app}`, { token: admin });
    assert.equal(r.status, 204);
    const items = await S.listKeys();
    const key = items[items.length - 1];
    assert.equal(key.AppName, app);
    assert.equal((await S.req('GET', '/System/Info', {
      headers: { Authorization: `MediaBrowser Token="${key.AccessToken}", Client="Heimdall"` },
    })).status, 200);
    assert.equal((await S.req('DELETE', `/Auth/Keys/${key.AccessToken}`, { token: admin })).status, 204);
    assert.equal((await S.req('GET', '/System/Info', { token: key.AccessToken })).status, 401);
  });

  test('/emby and /mediabrowser prefixes are still stripped', async () => {
    assert.equal((await S.req('GET', '/emby/System/Ping')).status, 200);
    assert.equal((await S.req('GET', '/mediabrowser/System/Info/Public')).status, 200);
    assert.equal((await S.req('GET', '/emby/Auth/Keys', { token: await S.adminToken() })).status, 200);
  });
});

logsCleanTest(test, S);
