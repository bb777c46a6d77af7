// The local stack as an operator meets it: its workers never run as root,
// and a restart never prints or stores a password that is not the admin's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { useStack, logsCleanTest, skipUnless } from './harness.mjs';
import { childrenOf } from './topology.mjs';

const S = useStack('admin');

function uids(pid) {
  return fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(.*)$/m)[1].split(/\s+/).map(Number);
}

test('started as root, the stack runs its workers as the unprivileged user keyfin', { skip: skipUnless(process.getuid() === 0, 'not root') }, async () => {
  const pid = Number(fs.readFileSync(path.join(S.dir, 'run', 'keyfin.pid'), 'utf8').trim());
  const keyfin = Number(execFileSync('id', ['-u', 'keyfin']).toString().trim());
  assert.notEqual(keyfin, 0);
  const workers = childrenOf(pid);
  assert.ok(workers.length >= 1, 'the pool has workers');
  for (const p of [pid, ...workers]) {
    assert.deepEqual(uids(p), [keyfin, keyfin, keyfin, keyfin], `pid ${p}: real, effective, saved, fs uid`);
  }
  // ... and they still reach PostgreSQL (the socket directory's group)
  const key = await S.createKey('no-root');
  assert.equal((await S.req('GET', '/System/Info', { token: key })).status, 200);
  // nobody else does: the socket directory is postgres's and keyfin's group's
  const st = fs.statSync(path.join(S.dir, 'run', 'pg'));
  assert.equal(st.mode & 0o777, 0o750, 'socket directory mode');
});

test('a restart without KEYFIN_ADMIN_PASSWORD prints and stores no password that is not the admin\'s', async () => {
  // the admin was made with KEYFIN_ADMIN_PASSWORD; start again without it
  const stop = await S.stack(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  const start = await S.stack(['start'], { KEYFIN_ADMIN_PASSWORD: '' });
  assert.equal(start.code, 0, start.stderr);
  const said = start.stdout + start.stderr;
  assert.match(said, /user admin existed already/, 'says that the admin existed');
  assert.doesNotMatch(said, /password [A-Za-z0-9_-]{20,}/, 'prints no new password');
  assert.ok(!fs.existsSync(path.join(S.dir, 'admin-password')), 'stores no new password');
  const r = await S.login('admin', S.adminPassword);
  assert.equal(r.status, 200, 'the admin keeps the password it was made with');
});

logsCleanTest(test, S);
