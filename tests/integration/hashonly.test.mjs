// KEYFIN_HASH_ONLY=on: no recoverable copy of a key is kept anywhere; the
// key is shown once when made, and lists show its first characters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useStack, logsCleanTest, unique, HEX32, assertNoContent, assertNoCredentials, psql,
} from './harness.mjs';

const S = useStack('hashonly', { KEYFIN_HASH_ONLY: 'on' });


test('a hash-only key is shown once, listed by its first characters, and works', async () => {
  const admin = await S.adminToken();
  const app = unique('hash-only');
  const made = await S.req('POST', `/Auth/Keys?app=${app}`, {
    token: admin, headers: { Prefer: 'return=representation' },
  });
  assert.equal(made.status, 200, made.body);
  const key = made.json.AccessToken;
  assert.match(key, HEX32);
  S.remember(key);
  const listed = (await S.listKeys()).find((k) => k.AppName === app);
  assert.equal(listed.AccessToken, key.slice(0, 4), 'only the first characters are listed');
  assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
  const ext = await S.req('POST', '/keyfin/v1/keys', { token: admin, body: { app: unique('hash-ext') } });
  assert.equal(ext.status, 201);
  S.remember(ext.json.key);
  assert.equal(ext.json.prefix, ext.json.key.slice(0, 4));

  const rows = await psql(await S.databaseUrl(),
    'SELECT count(*) FILTER (WHERE key_sealed IS NOT NULL) FROM api_keys');
  assert.equal(rows.stdout.trim(), '0', 'no box of any key is stored');
  const cli = await S.cli(['key', 'list']);
  assert.ok(cli.stdout.includes(`${key.slice(0, 4)}... (hash-only)`), cli.stdout);
  assert.ok(!cli.stdout.includes(key));

  assertNoContent(await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin }), 'revoke');
  assertNoCredentials(await S.req('GET', '/System/Info', { token: key }), 'revoked');
});

logsCleanTest(test, S);
