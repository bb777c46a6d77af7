// The official TypeScript SDK, two versions, used exactly as an application
// uses it: Jellyfin → createApi → authenticateUserByName → key and user APIs.
//
// 1.0.0 has the keys on getAuthenticationApi; 0.13.0 on getApiKeyApi.  Both
// build `Authorization: MediaBrowser Client="…", Device="…", DeviceId="…",
// Version="…", Token="…"` with encodeURIComponent (lib/utils/authentication.js
// of each package), so they work the same with legacy on and off.

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import axios from 'axios';
import { Jellyfin as Jellyfin100 } from '@jellyfin/sdk';
import { getAuthenticationApi } from '@jellyfin/sdk/lib/utils/api/authentication-api.js';
import { getSystemApi as getSystemApi100 } from '@jellyfin/sdk/lib/utils/api/system-api.js';
import { getUserApi as getUserApi100 } from '@jellyfin/sdk/lib/utils/api/user-api.js';
import { Jellyfin as Jellyfin013 } from 'jellyfin-sdk-0-13';
import { getApiKeyApi } from 'jellyfin-sdk-0-13/lib/utils/api/api-key-api.js';
import { getSystemApi as getSystemApi013 } from 'jellyfin-sdk-0-13/lib/utils/api/system-api.js';
import { getUserApi as getUserApi013 } from 'jellyfin-sdk-0-13/lib/utils/api/user-api.js';
import { HEX32, DATE_RE, ZERO_ID, unique, randomHex } from '../../integration/harness.mjs';
import { clientTest, rejectedStatus, baseUrl } from '../lib/compat.mjs';

// What differs between the two versions, behind one shape.
const FLAVOURS = [
  {
    id: 'sdk100',
    Jellyfin: Jellyfin100,
    keys: (api) => getAuthenticationApi(api),
    users: getUserApi100,
    system: getSystemApi100,
    // 1.0.0 moved authenticateUserByName to the authentication API.
    login: (api, Username, Pw) => getAuthenticationApi(api)
      .authenticateUserByName({ authenticateUserByName: { Username, Pw } }),
  },
  {
    id: 'sdk013',
    Jellyfin: Jellyfin013,
    keys: (api) => getApiKeyApi(api),
    users: getUserApi013,
    system: getSystemApi013,
    login: (api, Username, Pw) => getUserApi013(api)
      .authenticateUserByName({ authenticateUserByName: { Username, Pw } }),
  },
];

export default function sdkSuite(S) {
  for (const F of FLAVOURS) {
    const jellyfin = () => new F.Jellyfin({
      clientInfo: { name: `keyfin compat ${F.id}`, version: '1.0.0' },
      // A device name with a space and a non-ASCII letter: the SDK
      // encodeURIComponent()s it, the server must decode it.
      deviceInfo: { name: 'Node 20 Prüfstand', id: unique(`${F.id}-dev`) },
    });

    // Log in as the admin through the SDK; returns an Api carrying the token.
    async function adminApi() {
      const api = jellyfin().createApi(baseUrl(S));
      const r = await F.login(api, 'admin', S.adminPassword);
      assert.equal(r.status, 200);
      assert.ok('AccessToken' in r.data, `the answer must be PascalCase (the SDK's types are), got keys ${Object.keys(r.data)}`);
      assert.match(r.data.AccessToken, HEX32);
      S.remember(r.data.AccessToken);
      // 1.0.0: update(); 0.13.0: a plain field.
      if (typeof api.update === 'function') api.update({ accessToken: r.data.AccessToken });
      else api.accessToken = r.data.AccessToken;
      assert.equal(api.accessToken, r.data.AccessToken);
      return { api, login: r.data };
    }

    describe(`@jellyfin/sdk ${F.id === 'sdk100' ? '1.0.0' : '0.13.0'}`, () => {
      clientTest(F.id, 'authenticateUserByName: a session with the device the SDK sent', async () => {
        const { login } = await adminApi();
        assert.equal(login.User.Name, 'admin');
        assert.equal(login.User.Policy.IsAdministrator, true);
        assert.match(login.ServerId, HEX32);
        assert.equal(login.SessionInfo.Client, `keyfin compat ${F.id}`);
        assert.equal(login.SessionInfo.DeviceName, 'Node 20 Prüfstand', 'the URL-encoded Device is decoded');
        assert.equal(login.SessionInfo.ApplicationVersion, '1.0.0');
      });

      clientTest(F.id, 'a wrong password is a 401 the SDK surfaces', async () => {
        const api = jellyfin().createApi(baseUrl(S));
        assert.equal(await rejectedStatus(F.login(api, 'admin', `wrong-${randomHex(4)}`), 'bad login'), 401);
      });

      clientTest(F.id, 'createKey, find it in getKeys, use it, revokeKey, then 401', async () => {
        const { api } = await adminApi();
        const app = unique(`${F.id}-app `); // a space: the SDK sends it in the query string
        const created = await F.keys(api).createKey({ app });
        assert.equal(created.status, 204);
        assert.equal(created.data, '');

        const list = await F.keys(api).getKeys();
        assert.equal(list.status, 200);
        assert.equal(list.data.TotalRecordCount, list.data.Items.length);
        assert.equal(list.data.StartIndex, 0);
        const mine = list.data.Items.filter((k) => k.AppName === app);
        assert.equal(mine.length, 1, `exactly one key named ${app}`);
        const key = mine[0];
        assert.equal(list.data.Items[list.data.Items.length - 1].AccessToken, key.AccessToken, 'the newest key is last');
        assert.match(key.AccessToken, HEX32);
        assert.equal(key.UserId, ZERO_ID);
        assert.match(key.DateCreated, DATE_RE);
        S.remember(key.AccessToken);

        // A second Api built with the key as its access token.
        const keyApi = jellyfin().createApi(baseUrl(S), key.AccessToken);
        const info = await F.system(keyApi).getSystemInfo();
        assert.equal(info.status, 200);
        assert.equal(info.data.ProductName, 'Jellyfin Server');
        assert.match(info.data.Id, HEX32);
        // An API key acts as an administrator: it may list keys too.
        const viaKey = await F.keys(keyApi).getKeys();
        assert.ok(viaKey.data.Items.some((k) => k.AccessToken === key.AccessToken));

        const revoked = await F.keys(api).revokeKey({ key: key.AccessToken });
        assert.equal(revoked.status, 204);
        assert.equal(await rejectedStatus(F.system(keyApi).getSystemInfo(), 'revoked key'), 401);
        const after = await F.keys(api).getKeys();
        assert.ok(!after.data.Items.some((k) => k.AccessToken === key.AccessToken), 'revoked key is not listed');
      });

      clientTest(F.id, 'revokeKey of a key that does not exist is 204', async () => {
        const { api } = await adminApi();
        assert.equal((await F.keys(api).revokeKey({ key: randomHex(16) })).status, 204);
      });

      clientTest(F.id, 'users: create, updateUserPolicy (full policy), 403 on keys, admin, disabled, delete', async () => {
        const { api } = await adminApi();
        const name = unique(`${F.id}u`);
        const password = `Pw-${randomHex(8)}`;
        S.remember(password);
        const created = await F.users(api).createUserByName({ createUserByName: { Name: name, Password: password } });
        assert.equal(created.status, 200);
        assert.equal(created.data.Name, name);
        const userId = created.data.Id;
        assert.match(userId, HEX32);
        assert.equal(created.data.Policy.IsAdministrator, false);

        // The user logs in with the SDK: keys are forbidden, System/Info is not.
        const userApi = jellyfin().createApi(baseUrl(S));
        const ul = await F.login(userApi, name, password);
        const userKeysApi = jellyfin().createApi(baseUrl(S), ul.data.AccessToken);
        S.remember(ul.data.AccessToken);
        assert.equal(await rejectedStatus(F.keys(userKeysApi).getKeys(), 'non-admin getKeys'), 403);
        assert.equal(await rejectedStatus(F.keys(userKeysApi).createKey({ app: 'nope' }), 'non-admin createKey'), 403);
        assert.equal(await rejectedStatus(F.keys(userKeysApi).revokeKey({ key: randomHex(16) }), 'non-admin revokeKey'), 403);
        assert.equal((await F.system(userKeysApi).getSystemInfo()).status, 200);
        const me = await F.users(userKeysApi).getCurrentUser();
        assert.equal(me.data.Id, userId);

        // As the dashboard does: GET the user, send back its whole policy with
        // one field changed.
        const fetched = await F.users(api).getUserById({ userId });
        assert.equal(fetched.status, 200);
        const policy = { ...fetched.data.Policy, IsAdministrator: true };
        const up = await F.users(api).updateUserPolicy({ userId, userPolicy: policy });
        assert.equal(up.status, 204);
        assert.equal((await F.users(api).getUserById({ userId })).data.Policy.IsAdministrator, true);
        assert.equal((await F.keys(userKeysApi).getKeys()).status, 200, 'now an administrator: 200');

        // Jellyfin.Api/Controllers/UserController.cs UpdateUserPolicy (:439):
        // an administrator cannot be disabled (403); demote first.
        const current = (await F.users(api).getUserById({ userId })).data.Policy;
        assert.equal(await rejectedStatus(F.users(api).updateUserPolicy({ userId, userPolicy: { ...current, IsDisabled: true } }),
          'disable an administrator'), 403);
        assert.equal((await F.users(api).updateUserPolicy({ userId, userPolicy: { ...current, IsAdministrator: false } })).status, 204);
        assert.equal(await rejectedStatus(F.keys(userKeysApi).getKeys(), 'demoted getKeys'), 403);
        const disabled = { ...(await F.users(api).getUserById({ userId })).data.Policy, IsDisabled: true };
        assert.equal((await F.users(api).updateUserPolicy({ userId, userPolicy: disabled })).status, 204);
        assert.equal(await rejectedStatus(F.system(userKeysApi).getSystemInfo(), 'disabled user'), 401);

        const users = await F.users(api).getUsers();
        assert.ok(users.data.some((u) => u.Id === userId));
        assert.equal((await F.users(api).deleteUser({ userId })).status, 204);
        assert.equal(await rejectedStatus(F.users(api).getUserById({ userId }), 'deleted user'), 404);
        assert.ok(!(await F.users(api).getUsers()).data.some((u) => u.Id === userId));
      });

      if (F.id === 'sdk100') {
        // Every call of 1.0.0 sends (lib/generated-client/api/*.js):
        //   Accept: application/json,application/json; profile=CamelCase,application/json; profile=PascalCase,text/html
        // ASP.NET content negotiation takes the Accept entries in order (all
        // q=1) and the first, `application/json`, is served by Jellyfin's
        // PascalCase formatter (Jellyfin.Api/Formatters/PascalCaseJsonProfileFormatter.cs,
        // inserted first in AddJellyfinApi): the answer is PascalCase.
        clientTest(F.id, 'the Accept header of 1.0.0 gets PascalCase JSON', async () => {
          const accept = 'application/json,application/json; profile=CamelCase,application/json; profile=PascalCase,text/html';
          const token = await S.adminToken();
          const keys = await S.req('GET', '/Auth/Keys', { token, headers: { Accept: accept } });
          assert.equal(keys.status, 200);
          assert.ok('Items' in keys.json, `PascalCase expected, got keys ${Object.keys(keys.json)}`);
          const info = await S.req('GET', '/System/Info', { token, headers: { Accept: accept } });
          assert.ok('ProductName' in info.json, `PascalCase expected, got keys ${Object.keys(info.json).slice(0, 4)}`);
          // Only the first entry decides: a camelCase profile first gets camelCase.
          const camel = await S.req('GET', '/System/Info', { token, headers: { Accept: 'application/json; profile="CamelCase", application/json' } });
          assert.ok('productName' in camel.json);
        });

        clientTest(F.id, 'over HTTPS with the stack certificate as the only CA', async () => {
          const ca = fs.readFileSync(path.join(S.dir, 'tls', 'cert.pem'));
          const ax = axios.create({ httpsAgent: new https.Agent({ ca, servername: 'localhost' }) });
          const api = jellyfin().createApi(baseUrl(S, true), undefined, ax);
          const r = await F.login(api, 'admin', S.adminPassword);
          assert.equal(r.status, 200);
          assert.ok('AccessToken' in r.data, `the answer must be PascalCase, got keys ${Object.keys(r.data)}`);
          S.remember(r.data.AccessToken);
          api.update({ accessToken: r.data.AccessToken });
          const app = unique('https-app');
          assert.equal((await F.keys(api).createKey({ app })).status, 204);
          const key = (await F.keys(api).getKeys()).data.Items.find((k) => k.AppName === app);
          assert.ok(key);
          S.remember(key.AccessToken);
          assert.equal((await F.keys(api).revokeKey({ key: key.AccessToken })).status, 204);
        });
      }
    });
  }
}
