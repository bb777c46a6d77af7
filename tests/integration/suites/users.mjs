// Login, sessions, users and the outcome table (sections 1, 3 and 4 of
// jellyfin-compat.md) against a running stack.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEX32, unique, randomHex,
  assertNoCredentials, assertForbidden, assertNoContent, assertClientError, assertNot5xx,
} from '../harness.mjs';

export default function usersSuite(S) {
  describe('login (POST /Users/AuthenticateByName)', () => {
    test('dashboard login returns token, server id, user and session info', async () => {
      const pub = await S.req('GET', '/System/Info/Public');
      assert.equal(pub.status, 200);
      const device = {
        Client: 'Jellyfin Web',
        Device: 'Firefox on Linux ü',
        DeviceId: `TW96aWxsYS81LjAg${randomHex(4)}`,
        Version: '10.11.2',
      };
      const r = await S.login('admin', S.adminPassword, device);
      assert.equal(r.status, 200, r.body);
      assert.match(r.headers['content-type'] || '', /^application\/json/);
      assert.match(r.json.AccessToken, HEX32);
      assert.match(r.json.ServerId, HEX32);
      assert.equal(r.json.ServerId, pub.json.Id, 'ServerId is the server Id of /System/Info/Public');
      const u = r.json.User;
      assert.equal(u.Name, 'admin');
      assert.match(u.Id, HEX32);
      assert.equal(u.ServerId, pub.json.Id);
      assert.equal(u.Policy.IsAdministrator, true);
      assert.equal(u.Policy.IsDisabled, false);
      for (const f of ['HasPassword', 'HasConfiguredPassword', 'LastLoginDate', 'LastActivityDate']) {
        assert.ok(f in u, `UserDto has ${f}`);
      }
      assert.equal(u.HasPassword, true);
      assert.ok('IsHidden' in u.Policy, 'Policy has IsHidden');
      const si = r.json.SessionInfo;
      assert.equal(si.Client, device.Client);
      assert.equal(si.DeviceName, device.Device, 'DeviceName is URL-decoded');
      assert.equal(si.DeviceId, device.DeviceId);
      assert.equal(si.ApplicationVersion, device.Version);
      // The token works.
      const me = await S.req('GET', '/Users/Me', { token: r.json.AccessToken });
      assert.equal(me.status, 200);
      assert.equal(me.json.Id, u.Id);
    });

    test('unencoded header with + in a value decodes + as a space', async () => {
      const deviceId = unique('plus');
      const r = await S.req('POST', '/Users/AuthenticateByName', {
        headers: { Authorization: `MediaBrowser Client="Jellyfin Web", Device="My+Phone", DeviceId="${deviceId}", Version="1.0"` },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.SessionInfo.DeviceName, 'My Phone');
      assert.equal(r.json.SessionInfo.Client, 'Jellyfin Web');
    });

    test('a malformed % sequence stays as it is, %22 decodes to a quote (raw UTF-8 header)', async () => {
      const deviceId = unique('pct');
      const header = Buffer.from(
        `MediaBrowser Client="c", Device="%22%Hörbücher", DeviceId="${deviceId}", Version="1"`, 'utf8');
      const body = JSON.stringify({ Username: 'admin', Pw: S.adminPassword });
      const r = await S.raw(S.rawRequest('POST', '/Users/AuthenticateByName',
        [['Authorization', header], ['Content-Type', 'application/json']], body));
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.SessionInfo.DeviceName, '"%Hörbücher');
    });

    test('lowercase /Users/authenticatebyname works (jellyfin-apiclient)', async () => {
      const r = await S.login('admin', S.adminPassword, {}, { path: '/Users/authenticatebyname' });
      assert.equal(r.status, 200, r.body);
      assert.match(r.json.AccessToken, HEX32);
    });

    test('wrong password and unknown user → 401 with a short body', async () => {
      for (const [name, pw] of [['admin', `wrong-${randomHex(6)}`], [unique('nobody'), `any-${randomHex(6)}`], ['admin', '']]) {
        const r = await S.login(name, pw);
        assert.equal(r.status, 401, `${name}: ${r.status} ${r.body}`);
        assert.ok(r.body.length < 1024, 'short body');
        assert.equal(r.json?.AccessToken, undefined);
      }
    });

    test('user name matches case-insensitively but the password does not', async () => {
      const ok = await S.login('ADMIN', S.adminPassword);
      assert.equal(ok.status, 200, `ADMIN: ${ok.status} ${ok.body}`);
      const bad = await S.login('admin', S.adminPassword.toUpperCase());
      assert.equal(bad.status, 401);
    });

    test('each of Client, Device, DeviceId, Version is required → 400', async () => {
      const full = { Client: 'Jellyfin Web', Device: 'Firefox', DeviceId: unique('dev'), Version: '10.11.0' };
      for (const missing of Object.keys(full)) {
        const parts = Object.entries(full).filter(([k]) => k !== missing).map(([k, v]) => `${k}="${v}"`);
        const r = await S.req('POST', '/Users/AuthenticateByName', {
          headers: { Authorization: `MediaBrowser ${parts.join(', ')}` },
          body: { Username: 'admin', Pw: S.adminPassword },
        });
        assert.equal(r.status, 400, `without ${missing}: ${r.status} ${r.body}`);
      }
      const none = await S.req('POST', '/Users/AuthenticateByName', { body: { Username: 'admin', Pw: S.adminPassword } });
      assert.equal(none.status, 400, `no Authorization header: ${none.status}`);
      const empty = await S.req('POST', '/Users/AuthenticateByName', {
        headers: { Authorization: 'MediaBrowser Client="", Device="d", DeviceId="x", Version="1"' },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(empty.status, 400, `empty Client: ${empty.status}`);
    });

    test('broken or odd JSON bodies → 400/4xx, never 5xx', async () => {
      const auth = { Authorization: `MediaBrowser Client="c", Device="d", DeviceId="${unique('j')}", Version="1"` };
      const broken = await S.req('POST', '/Users/AuthenticateByName', {
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: `{"Username":"admin","Pw":"${S.adminPassword}"`,
      });
      assert.equal(broken.status, 400, `broken JSON: ${broken.status} ${broken.body}`);
      for (const body of ['', '{}', '[]', '"admin"', 'null', '{"Username":5,"Pw":true}', '{"Username":null}',
        '{"Username":"admin","Pw":"x"}garbage', '\u00ff\u00fe']) {
        const r = await S.req('POST', '/Users/AuthenticateByName', {
          headers: { ...auth, 'Content-Type': 'application/json' }, body,
        });
        assertClientError(r, `body ${JSON.stringify(body)}`);
      }
    });

    test('logging in again from the same DeviceId ends the old token', async () => {
      const u = await S.createUser();
      const deviceId = unique('same');
      const first = await S.loginToken(u.name, u.password, { DeviceId: deviceId });
      assert.equal((await S.req('GET', '/System/Info', { token: first.token })).status, 200);
      const other = await S.loginToken(u.name, u.password, { DeviceId: unique('other') });
      const second = await S.loginToken(u.name, u.password, { DeviceId: deviceId });
      assert.notEqual(first.token, second.token);
      assertNoCredentials(await S.req('GET', '/System/Info', { token: first.token }), 'old token of the device');
      assert.equal((await S.req('GET', '/System/Info', { token: second.token })).status, 200);
      assert.equal((await S.req('GET', '/System/Info', { token: other.token })).status, 200,
        'a session of another device stays');
    });

    test('two users on the same DeviceId keep their own sessions', async () => {
      const a = await S.createUser();
      const b = await S.createUser();
      const deviceId = unique('shared');
      const ta = await S.loginToken(a.name, a.password, { DeviceId: deviceId });
      const tb = await S.loginToken(b.name, b.password, { DeviceId: deviceId });
      assert.equal((await S.req('GET', '/Users/Me', { token: ta.token })).json?.Name, a.name);
      assert.equal((await S.req('GET', '/Users/Me', { token: tb.token })).json?.Name, b.name);
    });

    test('hostile header values at login never cause a 5xx and never break the JSON', async () => {
      const values = [
        Buffer.from([0xff, 0xfe, 0x41]),              // invalid UTF-8 bytes
        Buffer.from('%FF%FE'),                         // decodes to invalid UTF-8
        Buffer.from('a%00b'),                          // NUL after decoding
        Buffer.from('line%0D%0Abreak%1B[31m'),         // CR LF and an escape
        Buffer.from('"""",,,==='),
        Buffer.from('x'.repeat(3000)),
      ];
      for (const v of values) {
        const header = Buffer.concat([
          Buffer.from('MediaBrowser Client="c", Device="'), v,
          Buffer.from(`", DeviceId="${unique('h')}", Version="1"`)]);
        const r = await S.raw(S.rawRequest('POST', '/Users/AuthenticateByName',
          [['Authorization', header], ['Content-Type', 'application/json']],
          JSON.stringify({ Username: 'admin', Pw: S.adminPassword })));
        assertNot5xx(r, `Device=${JSON.stringify(v.toString('latin1').slice(0, 40))}`);
        if (r.status === 200) {
          assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(r.raw), 'body is valid UTF-8');
          assert.ok(r.json && typeof r.json.SessionInfo.DeviceName === 'string', 'body is valid JSON');
        }
      }
    });
  });

  describe('sessions and the outcome table', () => {
    test('POST /Sessions/Logout → 204 and the token is then 401', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      assert.equal((await S.req('GET', '/System/Info', { token })).status, 200);
      const r = await S.req('POST', '/Sessions/Logout', { token });
      assertNoContent(r, 'logout');
      assertNoCredentials(await S.req('GET', '/System/Info', { token }), 'logged-out session');
      assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'logged-out session /Users/Me');
      // The user can still log in again.
      await S.loginToken(u.name, u.password);
    });

    test('non-admin user: 403 on every /Auth/Keys call, 200 on /System/Info and /Users/Me', async () => {
      const u = await S.createUser();
      const { token, user } = await S.loginToken(u.name, u.password);
      assert.equal(user.Policy.IsAdministrator, false);
      const key = await S.createKey(unique('victim'));
      const before = await S.listKeys();

      assertForbidden(await S.req('GET', '/Auth/Keys', { token }), 'GET /Auth/Keys');
      assertForbidden(await S.req('POST', `/Auth/Keys?app=${unique('nope')}`, { token }), 'POST /Auth/Keys');
      assertForbidden(await S.req('DELETE', `/Auth/Keys/${key}`, { token }), 'DELETE /Auth/Keys');
      assertForbidden(await S.req('GET', '/Users', { token }), 'GET /Users');
      assertForbidden(await S.req('POST', '/Users/New', { token, body: { Name: unique('x'), Password: 'p' } }), 'POST /Users/New');

      const after = await S.listKeys();
      assert.equal(after.length, before.length, 'a non-admin created or deleted nothing');
      assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200, 'the key survived');

      const info = await S.req('GET', '/System/Info', { token });
      assert.equal(info.status, 200);
      const me = await S.req('GET', '/Users/Me', { token });
      assert.equal(me.status, 200);
      assert.equal(me.json.Name, u.name);
      assert.equal(me.json.Id, u.id);
    });

    test('non-admin cannot promote itself through /Users/{id}/Policy', async () => {
      const u = await S.createUser();
      const { token, user } = await S.loginToken(u.name, u.password);
      const r = await S.req('POST', `/Users/${u.id}/Policy`, { token, body: { ...user.Policy, IsAdministrator: true } });
      assertForbidden(r, 'self-promotion');
      assertForbidden(await S.req('GET', '/Auth/Keys', { token }), 'still not admin');
    });

    test('disabled user: token → 401; login refused', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      assert.equal((await S.req('GET', '/System/Info', { token })).status, 200);
      await S.setPolicy(u.id, { IsDisabled: true });
      assertNoCredentials(await S.req('GET', '/System/Info', { token }), 'disabled user token');
      assertNoCredentials(await S.req('GET', '/Users/Me', { token }), 'disabled user /Users/Me');
      const again = await S.login(u.name, u.password);
      assert.ok(again.status === 401 || again.status === 403, `login of a disabled user: ${again.status}`);
      assert.equal(again.json?.AccessToken, undefined);
    });

    test('an administrator cannot be disabled (403, as Jellyfin); demoted then disabled → 401', async () => {
      const u = await S.createUser({ admin: true });
      const { token } = await S.loginToken(u.name, u.password);
      const admin = await S.adminToken();
      assert.equal((await S.req('GET', '/Auth/Keys', { token })).status, 200);
      const refused = await S.req('POST', `/Users/${u.id}/Policy`, {
        token: admin, body: { IsAdministrator: true, IsDisabled: true },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.json, 'Administrators cannot be disabled.');
      assert.equal((await S.req('GET', '/Auth/Keys', { token })).status, 200, 'still an admin');
      await S.setPolicy(u.id, { IsAdministrator: false });
      await S.setPolicy(u.id, { IsDisabled: true });
      assertNoCredentials(await S.req('GET', '/Auth/Keys', { token }), 'disabled former admin');
    });

    test('token of a deleted (admin) user → 403 on admin endpoints, never 200', async () => {
      const u = await S.createUser({ admin: true });
      const { token } = await S.loginToken(u.name, u.password);
      assert.equal((await S.req('GET', '/Auth/Keys', { token })).status, 200);
      const admin = await S.adminToken();
      const del = await S.req('DELETE', `/Users/${u.id}`, { token: admin });
      assert.ok(del.status === 204 || del.status === 200, `DELETE /Users/{id}: ${del.status}`);
      assertForbidden(await S.req('GET', '/Auth/Keys', { token }), 'deleted user GET /Auth/Keys');
      assertForbidden(await S.req('POST', `/Auth/Keys?app=${unique('ghost')}`, { token }), 'deleted user POST /Auth/Keys');
      const info = await S.req('GET', '/System/Info', { token });
      assert.ok(info.status === 403 || info.status === 401, `deleted user /System/Info: ${info.status}`);
      const users = await S.req('GET', '/Users', { token: admin });
      assert.ok(!users.json.some((x) => x.Id === u.id), 'deleted user not listed');
      const login = await S.login(u.name, u.password);
      assert.equal(login.status, 401, 'a deleted user cannot log in');
    });

    test('demoted admin → 403 on admin endpoints, still 200 on /System/Info', async () => {
      const u = await S.createUser({ admin: true });
      const { token } = await S.loginToken(u.name, u.password);
      assert.equal((await S.req('GET', '/Auth/Keys', { token })).status, 200);
      await S.setPolicy(u.id, { IsAdministrator: false });
      assertForbidden(await S.req('GET', '/Auth/Keys', { token }), 'demoted admin GET /Auth/Keys');
      assertForbidden(await S.req('POST', `/Auth/Keys?app=${unique('demoted')}`, { token }), 'demoted admin POST');
      assert.equal((await S.req('GET', '/System/Info', { token })).status, 200);
      // And promoted again: the same token is admin again.
      await S.setPolicy(u.id, { IsAdministrator: true });
      assert.equal((await S.req('GET', '/Auth/Keys', { token })).status, 200, 'promoted again');
    });

    test('an API key acts as an administrator on user endpoints', async () => {
      const key = await S.createKey(unique('adminish'));
      const r = await S.req('GET', '/Users', { token: key });
      assert.equal(r.status, 200, `GET /Users with a key: ${r.status}`);
      assert.ok(Array.isArray(r.json));
    });
  });

  describe('users', () => {
    test('GET /Users lists users with UserDto fields', async () => {
      const u = await S.createUser();
      const r = await S.req('GET', '/Users', { token: await S.adminToken() });
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] || '', /^application\/json/);
      assert.ok(Array.isArray(r.json));
      const admin = r.json.find((x) => x.Name === 'admin');
      assert.ok(admin, 'admin listed');
      assert.equal(admin.Policy.IsAdministrator, true);
      const mine = r.json.find((x) => x.Id === u.id);
      assert.ok(mine, 'new user listed');
      assert.equal(mine.Name, u.name);
      assert.equal(mine.Policy.IsAdministrator, false);
      assert.equal(mine.HasPassword, true);
    });

    test('POST /Users/New: returns the UserDto; a duplicate name (any case) is refused', async () => {
      const name = unique('New');
      const admin = await S.adminToken();
      const r = await S.req('POST', '/Users/New', { token: admin, body: { Name: name, Password: 'first-pw-123' } });
      S.remember('first-pw-123');
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.Name, name);
      assert.match(r.json.Id, HEX32);
      assert.equal(r.json.Policy.IsAdministrator, false);
      const dup = await S.req('POST', '/Users/New', { token: admin, body: { Name: name.toUpperCase(), Password: 'x' } });
      assertClientError(dup, 'duplicate user name');
      const missing = await S.req('POST', '/Users/New', { token: admin, body: { Password: 'x' } });
      assertClientError(missing, 'user without a name');
      const unauth = await S.req('POST', '/Users/New', { body: { Name: unique('anon'), Password: 'x' } });
      assertNoCredentials(unauth, 'anonymous POST /Users/New');
    });

    test('POST /Users/{id}/Password: new password works, old does not; wrong current is refused', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      const newPw = `New-${randomHex(8)}`;
      S.remember(newPw);
      const wrong = await S.req('POST', `/Users/${u.id}/Password`, {
        token, body: { CurrentPw: `wrong-${randomHex(6)}`, NewPw: newPw },
      });
      assertClientError(wrong, 'wrong CurrentPw');
      assert.equal((await S.login(u.name, newPw)).status, 401, 'password not changed by a wrong CurrentPw');

      const r = await S.req('POST', `/Users/${u.id}/Password`, { token, body: { CurrentPw: u.password, NewPw: newPw } });
      assert.ok(r.status === 204 || r.status === 200, `change password: ${r.status} ${r.body}`);
      assert.equal((await S.login(u.name, u.password)).status, 401, 'old password refused');
      assert.equal((await S.login(u.name, newPw)).status, 200, 'new password accepted');
    });

    test('a user cannot change another user\'s password', async () => {
      const a = await S.createUser();
      const b = await S.createUser();
      const { token } = await S.loginToken(a.name, a.password);
      const r = await S.req('POST', `/Users/${b.id}/Password`, { token, body: { CurrentPw: b.password, NewPw: 'hijack-pw' } });
      assertClientError(r, 'changing another user\'s password');
      assert.equal((await S.login(b.name, b.password)).status, 200, 'b keeps its password');
    });

    test('DELETE /Users/{id}: the user is gone; non-admin cannot delete; unknown id is not a 5xx', async () => {
      const a = await S.createUser();
      const b = await S.createUser();
      const { token } = await S.loginToken(a.name, a.password);
      assertForbidden(await S.req('DELETE', `/Users/${b.id}`, { token }), 'non-admin deletes');
      assert.equal((await S.login(b.name, b.password)).status, 200, 'b still there');
      const admin = await S.adminToken();
      const r = await S.req('DELETE', `/Users/${b.id}`, { token: admin });
      assert.ok(r.status === 204 || r.status === 200, `delete: ${r.status}`);
      assert.equal((await S.login(b.name, b.password)).status, 401, 'deleted user cannot log in');
      const unknown = await S.req('DELETE', `/Users/${randomHex(16)}`, { token: admin });
      assertNot5xx(unknown, 'delete unknown user');
      const garbage = await S.req('DELETE', '/Users/not-a-guid', { token: admin });
      assertClientError(garbage, 'delete /Users/not-a-guid');
    });

    test('a changed password ends the user\'s other sessions but not the one that changed it', async () => {
      const u = await S.createUser();
      const phone = await S.loginToken(u.name, u.password, { DeviceId: unique('phone') });
      const laptop = await S.loginToken(u.name, u.password, { DeviceId: unique('laptop') });
      const newPw = `New-${randomHex(8)}`;
      S.remember(newPw);
      const r = await S.req('POST', `/Users/${u.id}/Password`, {
        token: laptop.token, body: { CurrentPw: u.password, NewPw: newPw },
      });
      assertNoContent(r, 'change password');
      assertNoCredentials(await S.req('GET', '/Users/Me', { token: phone.token }), 'other session');
      assert.equal((await S.req('GET', '/Users/Me', { token: laptop.token })).status, 200, 'own session');
    });

    test('an administrator changing their own password must give the current one', async () => {
      const u = await S.createUser({ admin: true });
      const { token } = await S.loginToken(u.name, u.password);
      const r = await S.req('POST', `/Users/${u.id}/Password`, { token, body: { NewPw: 'no-proof-pw' } });
      assert.equal(r.status, 403);
      assert.equal((await S.login(u.name, 'no-proof-pw')).status, 401, 'password unchanged');
    });

    test('an administrator resets another user\'s password without the old one; sessions stay', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      const admin = await S.adminToken();
      const r = await S.req('POST', `/Users/${u.id}/Password`, { token: admin, body: { ResetPassword: true } });
      assertNoContent(r, 'reset password');
      assert.equal((await S.login(u.name, '')).status, 200, 'no password after a reset');
      assert.equal((await S.req('GET', '/Users/Me', { token })).status, 200, 'a reset ends no session');
    });

    test('the last administrator cannot be demoted or deleted', async () => {
      const admin = await S.adminToken();
      const me = await S.req('GET', '/Users/Me', { token: admin });
      // other tests may have made administrators: demote them first, so
      // that the bootstrap admin is the only one (sequential within this file)
      const list = await S.req('GET', '/Users', { token: admin });
      for (const other of list.json.filter((x) => x.Policy.IsAdministrator && x.Id !== me.json.Id)) {
        await S.setPolicy(other.Id, { IsAdministrator: false });
      }
      const demote = await S.req('POST', `/Users/${me.json.Id}/Policy`, {
        token: admin, body: { ...me.json.Policy, IsAdministrator: false },
      });
      assert.equal(demote.status, 403);
      assert.equal(demote.json, 'There must be at least one user in the system with administrative access.');
      assertClientError(await S.req('DELETE', `/Users/${me.json.Id}`, { token: admin }), 'delete last admin');
      assert.equal((await S.req('GET', '/Auth/Keys', { token: admin })).status, 200, 'still an admin');
    });

    test('user names follow Jellyfin\'s rule: letters, digits, space - _ \' . @ +', async () => {
      const admin = await S.adminToken();
      for (const bad of ['a/b', 'a<b>', '  lead', 'trail  ', 'semi;colon']) {
        const r = await S.req('POST', '/Users/New', { token: admin, body: { Name: bad, Password: 'x' } });
        assert.equal(r.status, 400, `name ${JSON.stringify(bad)}`);
      }
      const ok = await S.req('POST', '/Users/New', {
        token: admin, body: { Name: `O'Brien.${randomHex(3)}+x@home-1 \u00e9`, Password: 'x' },
      });
      assert.equal(ok.status, 200, ok.body);
    });

    test('GET /Users/Me without credentials → 401', async () => {
      assertNoCredentials(await S.req('GET', '/Users/Me'), '/Users/Me anonymous');
    });
  });
}
