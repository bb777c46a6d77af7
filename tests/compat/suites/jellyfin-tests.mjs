// Jellyfin's own integration tests, replayed over HTTP against keyfin where
// they touch what keyfin serves.  Source: jellyfin/jellyfin@c3ed140
// tests/Jellyfin.Server.Integration.Tests/.  (The parser theory data of
// tests/Jellyfin.Api.Tests/Auth/DefaultAuthorizationPolicy/
// DefaultAuthorizationHandlerTests.cs is in tests/unit/test_authhdr.c.)

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { HEX32, unique } from '../../integration/harness.mjs';
import { clientTest, hostHeader, rawExact } from '../lib/compat.mjs';

// AuthHelper.cs:19-20
//   public const string DummyAuthHeader = "MediaBrowser Client=\"Jellyfin.Server%20Integration%20Tests\", DeviceId=\"69420\", Device=\"Apple%20II\", Version=\"10.8.0\"";
const DUMMY_AUTH_HEADER = 'MediaBrowser Client="Jellyfin.Server%20Integration%20Tests", DeviceId="69420", Device="Apple%20II", Version="10.8.0"';

export default function jellyfinTestsSuite(S) {
  // AuthHelper.cs:73-76 AddAuthHeader: DummyAuthHeader + $", Token={accessToken}" (unquoted)
  const auth = (token) => `${DUMMY_AUTH_HEADER}, Token=${token}`;
  // System.Net.Http.Json PostAsJsonAsync: application/json; charset=utf-8
  const send = (method, p, token, body) => {
    const b = body === undefined ? '' : JSON.stringify(body);
    const lines = [`Host: ${hostHeader(S)}`, `Authorization: ${token === undefined ? DUMMY_AUTH_HEADER : auth(token)}`];
    if (body !== undefined) lines.push('Content-Type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(b)}`);
    else if (method !== 'GET') lines.push('Content-Length: 0');
    lines.push('Connection: close');
    return rawExact(S, `${method} ${p} HTTP/1.1`, lines, b);
  };

  async function accessToken() {
    // AuthHelper.cs:31-46 CompleteStartupAsync (minus the startup wizard,
    // which keyfin does not have): POST /Users/AuthenticateByName with
    // DummyAuthHeader and JsonContent {Username, Pw}.
    const r = await send('POST', '/Users/AuthenticateByName', undefined, { Username: 'admin', Pw: S.adminPassword });
    assert.equal(r.status, 200, r.body);
    assert.match(r.json.AccessToken, HEX32);
    S.remember(r.json.AccessToken);
    return r.json;
  }

  describe("Jellyfin's integration tests", () => {
    clientTest('jellyfinTests', 'AuthHelper: login with DummyAuthHeader (%20 in Client and Device), then Token=<unquoted>', async () => {
      const login = await accessToken();
      assert.equal(login.SessionInfo.Client, 'Jellyfin.Server Integration Tests');
      assert.equal(login.SessionInfo.DeviceName, 'Apple II');
      assert.equal(login.SessionInfo.DeviceId, '69420');
      assert.equal(login.SessionInfo.ApplicationVersion, '10.8.0');
      // AuthHelper.cs:49-56 GetUserDtoAsync: Users/Me → 200 with a UserDto
      const me = await send('GET', '/Users/Me', login.AccessToken);
      assert.equal(me.status, 200);
      assert.equal(me.json.Id, login.User.Id);
    });

    clientTest('jellyfinTests', 'UserControllerTests.GetPublicUsers_Valid_Success: anonymous GET Users/Public is 200 []', async () => {
      // UserControllerTests.cs:37-49: client.GetAsync("Users/Public") with no
      // header → 200, and an empty array: "User are hidden by default"
      // (every user keyfin makes is hidden too: Policy.IsHidden true).
      const r = await rawExact(S, 'GET /Users/Public HTTP/1.1', [`Host: ${hostHeader(S)}`, 'Connection: close']);
      assert.equal(r.status, 200, `${r.status} ${r.body.slice(0, 100)}`);
      assert.deepEqual(r.json, []);
    });

    clientTest('jellyfinTests', 'UserControllerTests.GetUsers_Valid_Success / Me_Valid_Success', async () => {
      const { AccessToken: token } = await accessToken();
      const users = await send('GET', '/Users', token);
      assert.equal(users.status, 200);
      assert.ok(Array.isArray(users.json) && users.json.length >= 1);
      assert.equal((await send('GET', '/Users/Me', token)).status, 200);
    });

    clientTest('jellyfinTests', 'UserControllerTests.New_Valid_Success: a user with only a Name', async () => {
      const { AccessToken: token } = await accessToken();
      const name = unique('testUser');
      const r = await send('POST', '/Users/New', token, { Name: name });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.Name, name);
      assert.match(r.json.Id, HEX32);
    });

    // UserControllerTests.cs:99-119 New_Invalid_Fail
    //   [InlineData(null)] [InlineData("")] [InlineData("   ")] [InlineData("‼️")] → BadRequest
    for (const [label, name] of [['null', null], ['""', ''], ['"   "', '   '], ['"‼️"', '‼️']]) {
      clientTest('jellyfinTests', `UserControllerTests.New_Invalid_Fail(${label}): 400`, async () => {
        const { AccessToken: token } = await accessToken();
        const r = await send('POST', '/Users/New', token, { Name: name });
        assert.equal(r.status, 400, `${label}: ${r.status} ${r.body.slice(0, 200)}`);
      });
    }

    clientTest('jellyfinTests', 'UserControllerTests.Delete_DoesntExist_NotFound: DELETE User/{guid} is 404', async () => {
      // UserControllerTests.cs:130 client.DeleteAsync($"User/{Guid.NewGuid()}") (a path no route has)
      const { AccessToken: token } = await accessToken();
      const r = await send('DELETE', `/User/${crypto.randomUUID()}`, token);
      assert.equal(r.status, 404);
      // and on the real route, an unknown id: UserController.DeleteUser → NotFound()
      const r2 = await send('DELETE', `/Users/${crypto.randomUUID().replace(/-/g, '')}`, token);
      assert.equal(r2.status, 404);
    });

    clientTest('jellyfinTests', 'UserControllerTests.UpdateUserPassword_Valid_Success / _Empty_RemoveSetPassword', async () => {
      const { AccessToken: token } = await accessToken();
      const name = unique('testUser');
      const created = await send('POST', '/Users/New', token, { Name: name });
      assert.equal(created.status, 200);
      const id = created.json.Id;
      // UserControllerTests.cs:141-147: admin sets { NewPw = "4randomPa$$word" } → 204
      const pw = '4randomPa$$word';
      S.remember(pw);
      assert.equal((await send('POST', `/Users/${id}/Password`, token, { NewPw: pw })).status, 204);
      const login = await S.login(name, pw);
      assert.equal(login.status, 200, 'the new password works');
      S.remember(login.json.AccessToken);
      // UserControllerTests.cs:158-164: { CurrentPw = "4randomPa$$word" } (no NewPw) → 204,
      // the password is removed
      assert.equal((await send('POST', `/Users/${id}/Password`, token, { CurrentPw: pw })).status, 204);
      const noPw = await S.login(name, '');
      assert.equal(noPw.status, 200, 'a user without a password logs in with an empty Pw');
      S.remember(noPw.json.AccessToken);
      assert.equal(noPw.json.User.HasPassword, false);
    });
  });
}
