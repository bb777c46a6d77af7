// API keys: /Auth/Keys create, list, delete, names, bodies, dates, camelCase.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEX32, DATE_RE, NEVER, ZERO_ID, unique, randomHex, pollUntil,
  assertNoCredentials, assertNoContent, assertClientError, assertNot5xx,
} from '../harness.mjs';

const ITEM_FIELDS = ['Id', 'AccessToken', 'DeviceId', 'AppName', 'AppVersion', 'DeviceName',
  'UserId', 'IsActive', 'DateCreated', 'DateLastActivity'];

function parseDate(s) {
  // JavaScript dates hold milliseconds: cut 1-7 fractional digits to 3.
  const m = s.match(/^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/);
  assert.ok(m, `date ${s}`);
  const ms = ((m[2] || '') + '000').slice(0, 3);
  return Date.parse(`${m[1]}.${ms}Z`);
}

// The keys of `obj` that are among `wanted`, in the object's own order.
function orderOf(obj, wanted) {
  return Object.keys(obj).filter((k) => wanted.includes(k));
}

export default function keysSuite(S) {
  const heimdall = (key) => ({ Authorization: `MediaBrowser Token="${encodeURIComponent(key)}", Client="Heimdall"` });

  describe('API key flow', () => {
    test('create (204, empty), list (newest last, exact item shape), use, delete, refused', async () => {
      const admin = await S.adminToken();
      const beforeKeys = await S.listKeys();

      const created = await S.req('POST', '/Auth/Keys?app=Heimdall', { token: admin });
      assertNoContent(created, 'POST /Auth/Keys?app=Heimdall');
      assert.match(created.headers['x-response-time-ms'] || '', /^\d+$/);

      const list = await S.req('GET', '/Auth/Keys', { token: admin });
      assert.equal(list.status, 200);
      assert.equal(list.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(orderOf(list.json, ['Items', 'TotalRecordCount', 'StartIndex']),
        ['Items', 'TotalRecordCount', 'StartIndex'], 'top-level fields and order');
      assert.equal(list.json.StartIndex, 0);
      assert.equal(list.json.TotalRecordCount, list.json.Items.length);
      assert.equal(list.json.Items.length, beforeKeys.length + 1);

      const item = list.json.Items[list.json.Items.length - 1];
      assert.deepEqual(orderOf(item, ITEM_FIELDS), ITEM_FIELDS, `item fields in order: ${Object.keys(item)}`);
      assert.equal(item.Id, 0);
      assert.match(item.AccessToken, HEX32);
      assert.ok(!beforeKeys.some((k) => k.AccessToken === item.AccessToken), 'a new key');
      assert.equal(item.DeviceId, '');
      assert.equal(item.AppName, 'Heimdall');
      assert.equal(item.AppVersion, '');
      assert.equal(item.DeviceName, '');
      assert.equal(item.UserId, ZERO_ID);
      assert.equal(item.IsActive, false);
      assert.match(item.DateCreated, DATE_RE);
      assert.equal(item.DateLastActivity, NEVER, 'never-used key');
      assert.ok(!('DateRevoked' in item) || item.DateRevoked === null);
      const created_ms = parseDate(item.DateCreated);
      assert.ok(Math.abs(Date.now() - created_ms) < 10 * 60 * 1000, `DateCreated ${item.DateCreated} is about now (UTC)`);
      const key = item.AccessToken;

      // Heimdall's check.
      const pub = await S.req('GET', '/System/Info/Public');
      // Usable at once, whichever worker answers.
      for (let i = 0; i < 6; i++) {
        const r = await S.req('GET', '/System/Info', { headers: heimdall(key) });
        assert.equal(r.status, 200, `new key, request ${i}: ${r.status}`);
      }
      const info = await S.req('GET', '/System/Info', { headers: heimdall(key) });
      assert.equal(info.status, 200, info.body);
      assert.match(info.headers['content-type'] || '', /^application\/json/);
      assert.equal(info.json.Id, pub.json.Id);

      // DateLastActivity becomes a real date (writes may be coalesced: poll).
      const used = await pollUntil(async () => {
        const it = (await S.listKeys()).find((k) => k.AccessToken === key);
        return it && it.DateLastActivity !== NEVER ? it : null;
      }, { attempts: 40, intervalMs: 250 });
      assert.ok(used, 'DateLastActivity was updated after use');
      assert.match(used.DateLastActivity, DATE_RE);
      const last_ms = parseDate(used.DateLastActivity);
      assert.ok(last_ms >= created_ms - 1000, 'last activity is not before creation');
      assert.ok(Math.abs(Date.now() - last_ms) < 10 * 60 * 1000, 'last activity is recent');
      assert.equal(used.DateCreated, item.DateCreated, 'DateCreated does not move');

      // Delete it.
      const del = await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin });
      assertNoContent(del, 'DELETE /Auth/Keys/<key>');
      for (let i = 0; i < 6; i++) {
        assertNoCredentials(await S.req('GET', '/System/Info', { headers: heimdall(key) }), `deleted key, request ${i}`);
      }
      assertNoCredentials(await S.req('GET', `/System/Info?ApiKey=${key}`), 'deleted key via ApiKey');
      const afterKeys = await S.listKeys();
      assert.ok(!afterKeys.some((k) => k.AccessToken === key), 'deleted key not listed');
      assert.equal(afterKeys.length, beforeKeys.length);

      // Again, and an unknown key: still 204.
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin }), 'second delete');
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${randomHex(16)}`, { token: admin }), 'unknown key');
    });

    test('keys are listed in creation order, newest last', async () => {
      const names = [unique('order-a'), unique('order-b'), unique('order-c')];
      for (const n of names) await S.createKey(n);
      const items = await S.listKeys();
      assert.deepEqual(items.slice(-3).map((k) => k.AppName), names);
      for (let i = 1; i < items.length; i++) {
        assert.ok(parseDate(items[i - 1].DateCreated) <= parseDate(items[i].DateCreated),
          `DateCreated non-decreasing at ${i}`);
      }
    });

    test('delete matches exactly: an upper-case or truncated key deletes nothing', async () => {
      const admin = await S.adminToken();
      const key = await S.createKey(unique('exact'));
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${key.toUpperCase()}`, { token: admin }), 'upper-case');
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${key.slice(0, 31)}`, { token: admin }), 'truncated');
      assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200, 'key still works');
      assert.ok((await S.listKeys()).some((k) => k.AccessToken === key));
      assertNoCredentials(await S.req('GET', '/System/Info', { token: key.toUpperCase() }), 'lookup is case-sensitive');
    });

    test('DELETE /Auth/Keys/<session token> does not end that session', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      const admin = await S.adminToken();
      const r = await S.req('DELETE', `/Auth/Keys/${token}`, { token: admin });
      assert.equal(r.status, 204, `delete with a session token: ${r.status}`);
      assert.equal((await S.req('GET', '/Users/Me', { token })).status, 200, 'session survives');
      // Not even the admin's own session.
      assert.equal((await S.req('DELETE', `/Auth/Keys/${admin}`, { token: admin })).status, 204);
      assert.equal((await S.req('GET', '/Auth/Keys', { token: admin })).status, 200, 'admin session survives');
    });

    test('a key can delete itself (it acts as admin), and is then refused', async () => {
      const key = await S.createKey(unique('selfdel'));
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: key }), 'self delete');
      assertNoCredentials(await S.req('GET', '/Auth/Keys', { token: key }), 'after self delete');
    });

    test('an API key can create, list and delete keys (acts as administrator)', async () => {
      const key = await S.createKey(unique('manager'));
      const app = unique('by-key');
      assertNoContent(await S.req('POST', `/Auth/Keys?app=${app}`, { token: key }), 'create with a key');
      const list = await S.req('GET', '/Auth/Keys', { token: key });
      assert.equal(list.status, 200);
      const made = list.json.Items[list.json.Items.length - 1];
      assert.equal(made.AppName, app);
      assertNoContent(await S.req('DELETE', `/Auth/Keys/${made.AccessToken}`, { token: key }), 'delete with a key');
      assertNoCredentials(await S.req('GET', '/System/Info', { token: made.AccessToken }), 'deleted');
    });

    test('unauthenticated calls → 401, before validation, and change nothing', async () => {
      const key = await S.createKey(unique('keep'));
      const before = (await S.listKeys()).length;
      assertNoCredentials(await S.req('POST', '/Auth/Keys'), 'POST without app, no credentials');
      assertNoCredentials(await S.req('POST', '/Auth/Keys?app='), 'POST empty app, no credentials');
      assertNoCredentials(await S.req('POST', `/Auth/Keys?app=${unique('anon')}`), 'POST with app, no credentials');
      assertNoCredentials(await S.req('POST', `/Auth/Keys?app=${unique('bad')}`, { token: randomHex(16) }), 'unknown token');
      assertNoCredentials(await S.req('GET', '/Auth/Keys'), 'GET no credentials');
      assertNoCredentials(await S.req('DELETE', `/Auth/Keys/${key}`), 'DELETE no credentials');
      assert.equal((await S.listKeys()).length, before, 'nothing created or deleted');
      assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200, 'key survived');
    });
  });

  describe('Prefer: return=representation (beyond Jellyfin)', () => {
    test('POST /Auth/Keys answers 200 with the new key; without the header, 204 as before', async () => {
      const admin = await S.adminToken();
      const app = unique('prefer');
      const r = await S.req('POST', `/Auth/Keys?app=${app}`, {
        token: admin, headers: { Prefer: 'return=representation' },
      });
      assert.equal(r.status, 200, r.body);
      assert.match(r.headers['content-type'], /^application\/json/);
      assert.deepEqual(Object.keys(r.json), ['Id', 'AccessToken', 'DeviceId', 'AppName', 'AppVersion',
        'DeviceName', 'UserId', 'IsActive', 'DateCreated', 'DateLastActivity']);
      assert.match(r.json.AccessToken, HEX32);
      S.remember(r.json.AccessToken);
      assert.equal(r.json.AppName, app);
      const listed = (await S.listKeys()).at(-1);
      assert.equal(listed.AccessToken, r.json.AccessToken, 'the same key is listed last');
      assert.equal(listed.DateCreated, r.json.DateCreated);
      assert.equal((await S.req('GET', '/System/Info', { token: r.json.AccessToken })).status, 200);
      const plain = await S.req('POST', `/Auth/Keys?app=${unique('no-prefer')}`, {
        token: admin, headers: { Prefer: 'respond-async' },
      });
      assertNoContent(plain, 'another preference changes nothing');
    });
  });

  describe('API key names', () => {
    async function createAndLast(query, headers = {}) {
      const admin = await S.adminToken();
      const r = await S.req('POST', `/Auth/Keys?${query}`, { token: admin, headers });
      return r;
    }

    test('App= (case-insensitive query name), + as a space, %xx decoded', async () => {
      for (const [query, want] of [
        ['App=Jellyseerr', 'Jellyseerr'],
        ['APP=Upper', 'Upper'],
        ['app=My+Dashboard', 'My Dashboard'],
        ['app=My%20App%2B1', 'My App+1'],
        ['app=H%C3%B6rb%C3%BCcher', 'Hörbücher'],
        ['x=1&app=WithOther&y=2', 'WithOther'],
        ['app=%22q%5C%2F%F0%9F%94%91%3C%2Fscript%3E', '"q\\/🔑</script>'],
        ['app=a%26b%3Dc', 'a&b=c'],
      ]) {
        const r = await createAndLast(query);
        assertNoContent(r, query);
        const items = await S.listKeys();
        assert.equal(items[items.length - 1].AppName, want, query);
      }
    });

    test('Seerr flow: App=<name>, then the newest key with that name works', async () => {
      const admin = await S.adminToken();
      const name = unique('Jellyseerr');
      assertNoContent(await S.req('POST', `/Auth/Keys?App=${name}`, {
        token: admin, headers: { 'Content-Type': 'application/json' }, body: '',
      }), 'Seerr create');
      const mine = (await S.listKeys()).filter((k) => k.AppName === name);
      assert.equal(mine.length, 1);
      const key = mine[mine.length - 1].AccessToken;
      assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
    });

    test('names need not be unique', async () => {
      const name = unique('dup');
      const k1 = await S.createKey(name);
      const k2 = await S.createKey(name);
      assert.notEqual(k1, k2);
      const same = (await S.listKeys()).filter((k) => k.AppName === name);
      assert.deepEqual(same.map((k) => k.AccessToken), [k1, k2]);
      assert.equal((await S.req('GET', '/System/Info', { token: k1 })).status, 200);
      assert.equal((await S.req('GET', '/System/Info', { token: k2 })).status, 200);
    });

    test('missing, empty or whitespace-only name → 400, nothing stored', async () => {
      const before = (await S.listKeys()).length;
      for (const q of ['', '?', '?app', '?app=', '?app=+', '?app=%20%20', '?app=%09', '?App=&x=1', '?application=x']) {
        const admin = await S.adminToken();
        const r = await S.req('POST', `/Auth/Keys${q}`, { token: admin });
        assert.equal(r.status, 400, `POST /Auth/Keys${q}: ${r.status} ${r.body}`);
      }
      assert.equal((await S.listKeys()).length, before);
    });

    test('a 100-character name is accepted and stored as at most 64 characters', async () => {
      const name = `L${'n'.repeat(99)}`;
      assertNoContent(await createAndLast(`app=${name}`), '100 chars');
      const items = await S.listKeys();
      const stored = items[items.length - 1].AppName;
      assert.ok(stored.length >= 1 && stored.length <= 64, `stored ${stored.length} chars`);
      assert.ok(name.startsWith(stored), 'stored name is the start of the sent one');
    });

    test('a long multi-byte name is cut on a character boundary', async () => {
      const name = 'é'.repeat(70);
      assertNoContent(await createAndLast(`app=${encodeURIComponent(name)}`), '70 é');
      const items = await S.listKeys();
      const stored = items[items.length - 1].AppName;
      assert.ok([...stored].length <= 64, `stored ${[...stored].length} characters`);
      assert.ok(!stored.includes('\ufffd'), 'no broken character');
      assert.ok(name.startsWith(stored));
    });

    test('a 10 KB name → clear 4xx, never 5xx, nothing stored', async () => {
      const before = (await S.listKeys()).length;
      const r = await createAndLast(`app=${'h'.repeat(10 * 1024)}`);
      assertClientError(r, '10 KB name');
      assert.equal((await S.listKeys()).length, before);
    });

    test('%00 and invalid UTF-8 in the name → 4xx, nothing stored', async () => {
      const before = (await S.listKeys()).length;
      for (const q of ['app=a%00b', 'app=%00', 'app=%FF', 'app=ab%FFcd', 'app=%C3%28', 'app=%ED%A0%80', 'app=%C0%AF']) {
        const r = await createAndLast(q);
        assertClientError(r, q);
      }
      assert.equal((await S.listKeys()).length, before);
    });

    test('control characters and a malformed % in the name never cause a 5xx', async () => {
      for (const q of ['app=100%', 'app=%zz', 'app=a%0Ab', 'app=%1B%5B31m', 'app=%22%3E%3Cscript%3E']) {
        const r = await createAndLast(q);
        assertNot5xx(r, q);
        if (r.status === 204) {
          const list = await S.req('GET', '/Auth/Keys', { token: await S.adminToken() });
          assert.ok(list.json, 'the list is still valid JSON');
        }
      }
      const list = await S.req('GET', '/Auth/Keys', { token: await S.adminToken() });
      assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(list.raw));
    });
  });

  describe('POST /Auth/Keys request bodies are ignored', () => {
    const variants = [
      ['no body (Content-Length: 0)', {}, undefined],
      ['form-urlencoded, empty (SDK)', { 'Content-Type': 'application/x-www-form-urlencoded' }, ''],
      ['form-urlencoded with fields', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'app=Other&x=1'],
      ['application/json, empty body (Seerr)', { 'Content-Type': 'application/json' }, ''],
      ['application/json; charset=utf-8, empty', { 'Content-Type': 'application/json; charset=utf-8' }, ''],
      ['application/json {}', { 'Content-Type': 'application/json' }, '{}'],
      ['Accept: text/html (SDK 1.0.0)', { Accept: 'text/html' }, undefined],
      ['Accept: text/html + form', { Accept: 'text/html, */*', 'Content-Type': 'application/x-www-form-urlencoded' }, ''],
    ];
    for (const [label, headers, body] of variants) {
      test(label, async () => {
        const name = unique('body');
        const r = await S.req('POST', `/Auth/Keys?app=${name}`, { token: await S.adminToken(), headers, body });
        assertNoContent(r, label);
        const items = await S.listKeys();
        assert.equal(items[items.length - 1].AppName, name);
      });
    }

    test('no Content-Length at all (raw request)', async () => {
      const name = unique('raw');
      const admin = await S.adminToken();
      const r = await S.raw(S.rawRequest('POST', `/Auth/Keys?app=${name}`,
        [['Authorization', `MediaBrowser Token="${admin}"`]]));
      assertNoContent(r, 'raw POST without Content-Length');
      const items = await S.listKeys();
      assert.equal(items[items.length - 1].AppName, name);
    });

    test('chunked body', async () => {
      const name = unique('chunk');
      const admin = await S.adminToken();
      const r = await S.raw(S.rawRequest('POST', `/Auth/Keys?app=${name}`, [
        ['Authorization', `MediaBrowser Token="${admin}"`],
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['Transfer-Encoding', 'chunked'],
      ], '3\r\na=b\r\n0\r\n\r\n'));
      assertNoContent(r, 'chunked POST');
      const items = await S.listKeys();
      assert.equal(items[items.length - 1].AppName, name);
    });
  });

  describe('camelCase', () => {
    test('profile="CamelCase" on /Auth/Keys', async () => {
      await S.createKey(unique('camel'));
      const r = await S.req('GET', '/Auth/Keys', {
        token: await S.adminToken(), headers: { Accept: 'application/json; profile="CamelCase"' },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(orderOf(r.json, ['items', 'totalRecordCount', 'startIndex']), ['items', 'totalRecordCount', 'startIndex']);
      assert.ok(!('Items' in r.json));
      const item = r.json.items[r.json.items.length - 1];
      const camel = ITEM_FIELDS.map((f) => f[0].toLowerCase() + f.slice(1));
      assert.deepEqual(orderOf(item, camel), camel);
      assert.match(item.accessToken, HEX32);
      assert.equal(item.userId, ZERO_ID);
    });

    test('profile="PascalCase" and plain application/json → PascalCase', async () => {
      for (const accept of ['application/json; profile="PascalCase"', 'application/json', '*/*']) {
        const r = await S.req('GET', '/Auth/Keys', { token: await S.adminToken(), headers: { Accept: accept } });
        assert.equal(r.status, 200);
        assert.ok('Items' in r.json && 'TotalRecordCount' in r.json, accept);
      }
    });

    test('camelCase login response and /System/Info/Public', async () => {
      const deviceId = unique('camel');
      const r = await S.req('POST', '/Users/AuthenticateByName', {
        headers: {
          Authorization: `MediaBrowser Client="c", Device="d", DeviceId="${deviceId}", Version="1"`,
          Accept: 'application/json; profile="CamelCase"',
        },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(r.status, 200);
      assert.match(r.json.accessToken, HEX32);
      assert.match(r.json.serverId, HEX32);
      assert.equal(r.json.user.name, 'admin');
      assert.equal(r.json.user.policy.isAdministrator, true);
      assert.equal(r.json.sessionInfo.deviceId, deviceId);
      const pub = await S.req('GET', '/System/Info/Public', { headers: { Accept: 'application/json; profile="CamelCase"' } });
      assert.match(pub.json.id, HEX32);
      assert.equal(pub.json.productName, 'Jellyfin Server');
      assert.ok(!('Id' in pub.json));
    });
  });
}
