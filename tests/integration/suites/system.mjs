// System endpoints, path handling, response headers, HTTPS.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEX32, unique, randomHex, assertNoCredentials, assertNoContent, assertNot5xx,
} from '../harness.mjs';

export default function systemSuite(S) {
  describe('system endpoints', () => {
    test('GET /System/Ping → 200, anonymous', async () => {
      const r = await S.req('GET', '/System/Ping');
      assert.equal(r.status, 200);
      assert.match(r.headers['x-response-time-ms'] || '', /^\d+$/);
    });

    test('GET /System/Info/Public → 200, anonymous, documented fields', async () => {
      const r = await S.req('GET', '/System/Info/Public');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] || '', /^application\/json/);
      const j = r.json;
      assert.match(j.Id, HEX32);
      assert.equal(typeof j.ServerName, 'string');
      assert.ok(j.ServerName.length > 0);
      assert.equal(typeof j.Version, 'string');
      assert.match(j.Version, /^\d+\.\d+\.\d+/);
      assert.equal(j.ProductName, 'Jellyfin Server');
      assert.equal(typeof j.LocalAddress, 'string');
      assert.equal(typeof j.OperatingSystem, 'string');
      assert.equal(typeof j.StartupWizardCompleted, 'boolean');
      // The Id is the same whichever worker answers.
      for (let i = 0; i < 6; i++) {
        const again = await S.req('GET', '/System/Info/Public');
        assert.equal(again.json.Id, j.Id);
      }
    });

    test('GET /System/Info without credentials → 401; with a key or a session → 200 with the public fields', async () => {
      assertNoCredentials(await S.req('GET', '/System/Info'), 'anonymous /System/Info');
      const pub = (await S.req('GET', '/System/Info/Public')).json;
      const key = await S.createKey(unique('sysinfo'));
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      for (const t of [key, token]) {
        const r = await S.req('GET', '/System/Info', { token: t });
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'] || '', /^application\/json/);
        for (const f of ['Id', 'ServerName', 'Version', 'ProductName', 'OperatingSystem', 'StartupWizardCompleted']) {
          assert.deepEqual(r.json[f], pub[f], `/System/Info ${f}`);
        }
      }
    });

    test('GET /System/Ping and /System/Info/Public ignore bad credentials', async () => {
      const bad = 'ffffffffffffffffffffffffffffffff';
      for (const p of ['/System/Ping', '/System/Info/Public']) {
        const r = await S.req('GET', p, { headers: { Authorization: `MediaBrowser Token="${bad}"` } });
        assert.equal(r.status, 200, `${p} with an unknown token`);
      }
    });
  });

  describe('paths', () => {
    test('paths are case-insensitive and accept a trailing slash', async () => {
      const admin = await S.adminToken();
      for (const p of ['/auth/keys', '/AUTH/KEYS', '/Auth/Keys/', '/auth/Keys/']) {
        const r = await S.req('GET', p, { token: admin });
        assert.equal(r.status, 200, `GET ${p}: ${r.status}`);
        assert.ok(Array.isArray(r.json?.Items), p);
      }
      for (const p of ['/system/ping', '/SYSTEM/PING/', '/system/info/public', '/System/Info/Public/']) {
        assert.equal((await S.req('GET', p)).status, 200, p);
      }
      const name = unique('lower');
      assertNoContent(await S.req('POST', `/auth/keys/?app=${name}`, { token: admin }), 'POST /auth/keys/');
      const items = await S.listKeys();
      const key = items[items.length - 1];
      assert.equal(key.AppName, name);
      assertNoContent(await S.req('DELETE', `/AUTH/keys/${key.AccessToken}/`, { token: admin }), 'DELETE with trailing slash');
      assertNoCredentials(await S.req('GET', '/System/Info', { token: key.AccessToken }), 'deleted via trailing-slash path');
    });

    test('/emby and /mediabrowser prefixes are stripped', async () => {
      const key = await S.createKey(unique('prefix'));
      assert.equal((await S.req('GET', `/emby/System/Info?api_key=${key}`)).status, 200, '/emby/System/Info?api_key=');
      assert.equal((await S.req('GET', '/emby/System/Info', { token: key })).status, 200);
      assert.equal((await S.req('GET', '/Emby/system/info', { token: key })).status, 200);
      assert.equal((await S.req('GET', '/mediabrowser/System/Info', { token: key })).status, 200);
      assert.equal((await S.req('GET', '/MediaBrowser/System/Info/Public')).status, 200);
      assert.equal((await S.req('GET', '/emby/System/Ping')).status, 200);
      assert.equal((await S.req('GET', '/emby/Auth/Keys', { token: key })).status, 200);
      assertNoCredentials(await S.req('GET', '/emby/System/Info'), '/emby without credentials');
      const login = await S.login('admin', S.adminPassword, {}, { path: '/emby/Users/AuthenticateByName' });
      assert.equal(login.status, 200, '/emby login');
      // Only a whole leading segment is a prefix.
      assert.equal((await S.req('GET', '/embyx/System/Ping')).status, 404);
      assert.equal((await S.req('GET', '/System/emby/Ping')).status, 404);
    });

    test('unknown paths → 404, unknown methods → 405 or 404, never 5xx', async () => {
      const admin = await S.adminToken();
      for (const [m, p] of [['GET', '/Nope'], ['GET', '/System/Nope'], ['GET', '/Auth'], ['GET', '/Auth/Keys/x/y'],
        ['GET', '/Items'], ['GET', '/System/Info/Public/extra']]) {
        for (const token of [undefined, admin]) {
          const r = await S.req(m, p, token ? { token } : {});
          assert.equal(r.status, 404, `${m} ${p} (${token ? 'admin' : 'anonymous'}): ${r.status}`);
        }
      }
      for (const [m, p] of [['PUT', '/Auth/Keys'], ['PATCH', '/Auth/Keys'], ['GET', '/Auth/Keys/abc'],
        ['PUT', '/System/Info'], ['DELETE', '/System/Ping'], ['DELETE', '/System/Info/Public'],
        ['GET', '/Users/AuthenticateByName'], ['GET', '/Sessions/Logout'], ['PUT', '/Users/New']]) {
        const r = await S.req(m, p, { token: admin });
        assert.ok(r.status === 405 || r.status === 404, `${m} ${p}: ${r.status}`);
      }
    });

    test('strange request lines and headers never cause a 5xx', async () => {
      const admin = await S.adminToken();
      const reqs = [
        S.rawRequest('GET', '/..%2f..%2fetc%2fpasswd', []),
        S.rawRequest('GET', '/../../etc/passwd', []),
        S.rawRequest('GET', '/System/Info?ApiKey=%', []),
        S.rawRequest('GET', '/System/Info?ApiKey=%zz&&&==&', []),
        S.rawRequest('GET', '/System/Info?%00=%00', []),
        S.rawRequest('GET', '/System//Info', [['Authorization', `MediaBrowser Token="${admin}"`]]),
        S.rawRequest('GET', '/System/Info/%FF', []),
        S.rawRequest('GET', '/Auth/Keys/%00', [['Authorization', `MediaBrowser Token="${admin}"`]]),
        S.rawRequest('DELETE', '/Auth/Keys/%FF%FE', [['Authorization', `MediaBrowser Token="${admin}"`]]),
        S.rawRequest('DELETE', `/Auth/Keys/${'a'.repeat(3000)}`, [['Authorization', `MediaBrowser Token="${admin}"`]]),
        S.rawRequest('POST', '/Users/AuthenticateByName', [['Content-Type', 'application/json'], ['Content-Length', '5']], '{"a":'),
        S.rawRequest('POST', '/Users/AuthenticateByName', [
          ['Authorization', 'MediaBrowser Client="c", Device="d", DeviceId="big", Version="1"'],
          ['Content-Type', 'application/json']], `{"Username":"admin","Pw":"${'x'.repeat(200 * 1024)}"}`),
        S.rawRequest('GET', '/System/Ping', [['Accept', 'application/json; profile="CamelCase'], ['X-Emby-Token', '']]),
      ];
      for (const bytes of reqs) {
        const r = await S.raw(bytes);
        assertNot5xx(r, bytes.toString('latin1').split('\r\n')[0].slice(0, 80));
      }
    });

    test('every keyfin response carries X-Response-Time-ms: <integer>', async () => {
      const admin = await S.adminToken();
      const u = await S.createUser();
      const { token: userToken } = await S.loginToken(u.name, u.password);
      const responses = {
        '200 ping': await S.req('GET', '/System/Ping'),
        '200 public': await S.req('GET', '/System/Info/Public'),
        '200 keys': await S.req('GET', '/Auth/Keys', { token: admin }),
        '204 create': await S.req('POST', `/Auth/Keys?app=${unique('hdr')}`, { token: admin }),
        '204 delete': await S.req('DELETE', '/Auth/Keys/00000000000000000000000000000000', { token: admin }),
        '400 no app': await S.req('POST', '/Auth/Keys', { token: admin }),
        '401 anonymous': await S.req('GET', '/System/Info'),
        '401 login': await S.login('admin', `wrong-${randomHex(6)}`),
        '403 non-admin': await S.req('GET', '/Auth/Keys', { token: userToken }),
        '404 unknown': await S.req('GET', '/Nope'),
      };
      for (const [label, r] of Object.entries(responses)) {
        assert.ok(r.status === Number(label.slice(0, 3)), `${label}: got ${r.status}`);
        assert.match(r.headers['x-response-time-ms'] || '', /^\d+$/, `${label}: X-Response-Time-ms`);
      }
    });
  });

  describe('HTTPS', () => {
    test('the HTTPS port answers the same', async () => {
      const http = await S.req('GET', '/System/Info/Public');
      const r = await S.req('GET', '/System/Info/Public', { https: true });
      assert.equal(r.status, 200);
      assert.equal(r.json.Id, http.json.Id);
      const admin = await S.adminToken();
      const name = unique('tls');
      assertNoContent(await S.req('POST', `/Auth/Keys?app=${name}`, { token: admin, https: true }), 'POST over HTTPS');
      const list = await S.req('GET', '/Auth/Keys', { token: admin, https: true });
      assert.equal(list.status, 200);
      const key = list.json.Items[list.json.Items.length - 1];
      assert.equal(key.AppName, name);
      assert.equal((await S.req('GET', '/System/Info', { token: key.AccessToken, https: true })).status, 200);
      assert.equal((await S.req('GET', '/System/Info', { token: key.AccessToken })).status, 200, 'same key over HTTP');
      assertNoCredentials(await S.req('GET', '/System/Info', { https: true }), 'anonymous over HTTPS');
      const login = await S.req('POST', '/Users/AuthenticateByName', {
        https: true,
        headers: { Authorization: `MediaBrowser Client="c", Device="d", DeviceId="${unique('tls')}", Version="1"` },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(login.status, 200);
    });
  });
}
