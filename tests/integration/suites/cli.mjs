// The keyfin CLI against the running stack, and what the database holds.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  unique, randomHex, assertNoCredentials, assertForbidden, psql,
} from '../harness.mjs';

const KEY_IN_TEXT = /\b[0-9a-f]{32}\b/g;


export default function cliSuite(S) {
  describe('CLI', () => {
    test('key create prints a key that works over HTTP and is listed last', async () => {
      const app = unique('cli');
      const r = await S.cli(['key', 'create', app]);
      assert.equal(r.code, 0, `keyfin key create: ${r.stderr}`);
      const keys = r.stdout.match(KEY_IN_TEXT) || [];
      assert.equal(keys.length, 1, `one 32-hex key in the output: ${JSON.stringify(r.stdout)}`);
      const key = keys[0];
      S.remember(key);
      assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
      const items = await S.listKeys();
      assert.equal(items[items.length - 1].AccessToken, key);
      assert.equal(items[items.length - 1].AppName, app);
    });

    test('key list shows CLI and API keys', async () => {
      const cliApp = unique('cli-list');
      const r = await S.cli(['key', 'create', cliApp]);
      assert.equal(r.code, 0);
      const cliKey = r.stdout.match(KEY_IN_TEXT)[0];
      S.remember(cliKey);
      const apiApp = unique('api-list');
      const apiKey = await S.createKey(apiApp);
      const list = await S.cli(['key', 'list']);
      assert.equal(list.code, 0, `keyfin key list: ${list.stderr}`);
      for (const [app, key] of [[cliApp, cliKey], [apiApp, apiKey]]) {
        assert.ok(list.stdout.includes(app), `key list names ${app}`);
        const line = list.stdout.split('\n').find((l) => l.includes(app));
        assert.ok(line.includes(key.slice(0, 4)), `the line of ${app} identifies the key: ${line}`);
      }
    });

    test('key revoke makes the key 401 at once, for a CLI or an API key', async () => {
      const r = await S.cli(['key', 'create', unique('cli-revoke')]);
      assert.equal(r.code, 0);
      const cliKey = r.stdout.match(KEY_IN_TEXT)[0];
      S.remember(cliKey);
      const apiKey = await S.createKey(unique('api-revoke'));
      for (const key of [cliKey, apiKey]) {
        assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
        const rv = await S.cli(['key', 'revoke', key]);
        assert.equal(rv.code, 0, `keyfin key revoke: ${rv.stderr}`);
        assertNoCredentials(await S.req('GET', '/System/Info', { token: key }), 'revoked by the CLI');
        assert.ok(!(await S.listKeys()).some((k) => k.AccessToken === key), 'not listed');
      }
    });

    test('user add: a user that can log in; --admin makes an administrator', async () => {
      const plain = unique('cliuser');
      const admin = unique('cliadmin');
      const pw1 = `Cli-${randomHex(8)}`;
      const pw2 = `Cli-${randomHex(8)}`;
      S.remember(pw1, pw2);
      const a = await S.cli(['user', 'add', plain], { KEYFIN_USER_PASSWORD: pw1 });
      assert.equal(a.code, 0, `user add: ${a.stderr}`);
      const b = await S.cli(['user', 'add', admin, '--admin'], { KEYFIN_USER_PASSWORD: pw2 });
      assert.equal(b.code, 0, `user add --admin: ${b.stderr}`);
      const t1 = await S.loginToken(plain, pw1);
      assert.equal(t1.user.Policy.IsAdministrator, false);
      assertForbidden(await S.req('GET', '/Auth/Keys', { token: t1.token }), 'CLI non-admin');
      const t2 = await S.loginToken(admin, pw2);
      assert.equal(t2.user.Policy.IsAdministrator, true);
      assert.equal((await S.req('GET', '/Auth/Keys', { token: t2.token })).status, 200);
      assert.ok(!a.stdout.includes(pw1) && !a.stderr.includes(pw1), 'the CLI does not echo the password');
    });
  });

  describe('keys at rest', () => {
    test('no table holds a key, session token or password in plain text', async () => {
      const app = unique('atrest');
      const key = await S.createKey(app);
      const { token } = await S.loginToken('admin', S.adminPassword, { DeviceId: unique('atrest') });
      const url = await S.databaseUrl();
      const tables = await psql(url, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
        FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`);
      assert.equal(tables.code, 0, `psql: ${tables.stderr}`);
      const names = tables.stdout.split('\n').filter(Boolean);
      assert.ok(names.length > 0, 'some tables');
      const dump = await psql(url, names.map((t) => `SELECT '${t}: ' || row_to_json(x)::text FROM ${t} x`).join(' UNION ALL '));
      assert.equal(dump.code, 0, `psql: ${dump.stderr}`);
      const text = dump.stdout.toLowerCase();
      assert.ok(text.includes(app.toLowerCase()), 'the dump covers the key table (its app name is there)');

      const forms = (secret) => {
        const out = [secret.toLowerCase(), Buffer.from(secret).toString('hex')];
        if (/^[0-9a-f]{32}$/.test(secret)) {
          const raw = Buffer.from(secret, 'hex');
          out.push(raw.toString('base64').toLowerCase().replace(/=+$/, ''));
        }
        out.push(Buffer.from(secret).toString('base64').toLowerCase().replace(/=+$/, ''));
        return out;
      };
      const secrets = [...new Set([key, token, S.adminPassword, ...S.secrets])].filter((s) => s.length >= 8);
      for (const s of secrets) {
        for (const f of forms(s)) {
          assert.ok(!text.includes(f), `a secret (${s.slice(0, 4)}…) is stored in plain (as ${f.slice(0, 8)}…)`);
        }
      }
      assert.ok(dump.stdout.includes('$argon2id$'), 'passwords are stored as Argon2id hashes');
    });
  });
}
