// Backup and restore, as docs/operations.md ("Backup and restore") says:
// a `pg_dump` of the database and a copy of the secret file, kept apart.
//
// Keys are made (some with options), some revoked (each way there is), a
// user logs in; a backup is taken while keyfin serves; the whole cluster
// is then deleted.  The dump is restored into a fresh cluster (another
// stack's, as on a new machine: it has a secret of its own) and keyfin
// started on it with the backed-up secret: every key that was valid works
// and is listed as before, every revoked one stays refused, the session
// and the password still work, and the audit trail is the same row for
// row.  Started with the new machine's own secret instead, keyfin refuses
// to start and says why, rather than refusing every key with 401.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFile, spawn } from 'node:child_process';
import {
  Stack, logsCleanTest, unique, psql, ROOT, freePort,
} from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology } from './topology.mjs';

const BIN = process.env.KEYFIN_BIN || path.join(ROOT, 'build', 'keyfin');
const S = new Stack('backup');              // the server that is lost
const R = new Stack('restore');             // the new machine
const T = new Topology(R);
let backupDir; let secretDir;

before(async () => {
  await S.start();
  await R.start();
  await T.init();
  backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfin-backup-db-'));
  secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfin-backup-secret-'));
}, { timeout: 300_000 });
after(async () => {
  await T.stop();
  await S.stop();
  await R.stop();
  for (const d of [backupDir, secretDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});
process.on('exit', () => T.stopSync());

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, {
      env: {
        PATH: process.env.PATH,
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(ASAN|UBSAN)_OPTIONS$/.test(k))),
        ...env,
      },
      timeout: 120_000,
      maxBuffer: 64 << 20,
    }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

const keyHeader = (k) => ({ Authorization: `MediaBrowser Token="${k}", Client="Heimdall"` });
const tokenHeader = (t) => ({ Authorization: `MediaBrowser Token="${t}"` });

// `keyfin serve` on the restored database with the given secret file; its
// exit when it refuses to start.
async function serveOnce(dbUrl, secretFile) {
  const port = await freePort();
  const child = spawn(BIN, ['serve'], {
    env: {
      PATH: process.env.PATH,
      KEYFIN_DATABASE_URL: dbUrl,
      KEYFIN_SECRET_FILE: secretFile,
      KEYFIN_LISTEN: `127.0.0.1:${port}`,
      KEYFIN_WORKERS: '1',
      ...(process.getuid() === 0 ? { KEYFIN_USER: 'keyfin' } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const timer = new Promise((resolve) => setTimeout(resolve, 20_000, 'running').unref());
  const exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const r = await Promise.race([exit, timer]);
  if (r === 'running') {
    child.kill('SIGTERM');
    await exit;
  }
  return { code: r, log };
}

const AUDIT_ROWS = 'SELECT id, at, event, severity, actor, actor_user_id, remote_addr, client, target '
  + 'FROM audit_log ORDER BY id';

test('backup with pg_dump and the secret file; the cluster lost; restored on a new machine: everything as it was', async () => {
  const admin = await S.adminToken();
  // keys: plain ones, one with options; then half of them revoked, each way
  const valid = []; const revoked = [];
  for (let i = 0; i < 6; i++) valid.push(await S.createKey(unique('bk-key')));
  const ext = await S.req('POST', '/keyfin/v1/keys', {
    token: admin, body: { app: unique('bk-ext'), scopes: ['read'], ttl: 86400, note: 'survives a restore' },
  });
  assert.equal(ext.status, 201, ext.body);
  S.remember(ext.json.key);
  valid.push(ext.json.key);
  const extById = await S.req('POST', '/keyfin/v1/keys', { token: admin, body: { app: unique('bk-byid') } });
  assert.equal(extById.status, 201);
  S.remember(extById.json.key);
  for (const k of valid.splice(0, 2)) {
    assert.equal((await S.req('DELETE', `/Auth/Keys/${k}`, { token: admin })).status, 204);
    revoked.push(k);
  }
  assert.equal((await S.req('DELETE', `/keyfin/v1/keys/${extById.json.id}`, { token: admin })).status, 204);
  revoked.push(extById.json.key);
  const cliRevoked = valid.shift();
  const rv = await S.cli(['key', 'revoke', cliRevoked]);
  assert.equal(rv.code, 0, rv.stderr);
  revoked.push(cliRevoked);
  const user = await S.createUser();
  const { token: session } = await S.loginToken(user.name, user.password, { DeviceId: unique('bk-dev') });
  for (const k of valid) assert.equal((await S.req('GET', '/System/Info', { token: k })).status, 200);
  for (const k of revoked) assert.equal((await S.req('GET', '/System/Info', { token: k })).status, 401);
  const listedBefore = (await S.listKeys()).map((k) => `${k.AppName} ${k.AccessToken}`).sort();
  const extDetails = await S.req('GET', `/keyfin/v1/keys/${ext.json.id}`, { token: admin });

  // the backup, taken while keyfin serves: the database, and the secret apart
  const srcUrl = await S.databaseUrl();
  const auditBefore = (await psql(srcUrl, AUDIT_ROWS)).stdout;
  const dumpFile = path.join(backupDir, 'keyfin.dump');
  let r = await run('pg_dump', ['--format=custom', '--file', dumpFile, srcUrl]);
  assert.equal(r.code, 0, `pg_dump: ${r.stderr}`);
  const secretCopy = path.join(secretDir, 'secret');
  fs.copyFileSync(path.join(S.dir, 'secret'), secretCopy);
  fs.chmodSync(secretCopy, 0o600);
  console.log(`backup: ${fs.statSync(dumpFile).size} bytes of dump, ${auditBefore.trim().split('\n').length} audit rows, `
    + `${valid.length} valid and ${revoked.length} revoked keys`);

  // the machine is lost: keyfin, nginx and the whole PostgreSQL cluster
  await S.stop();
  fs.rmSync(path.join(S.dir, 'pg'), { recursive: true, force: true });

  // the new machine: a fresh cluster (with a keyfin of its own and its own
  // secret); an empty database for the restore, then migrate (a no-op
  // here; after a restore of an older version's backup it brings the
  // schema up to date)
  const newUrl = await R.databaseUrl();
  r = await psql(newUrl, 'CREATE DATABASE keyfin_restored');
  assert.equal(r.code, 0, r.stderr);
  const restoredUrl = newUrl.replace('/keyfin?', '/keyfin_restored?');
  assert.notEqual(restoredUrl, newUrl);
  r = await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', restoredUrl, dumpFile]);
  assert.equal(r.code, 0, `pg_restore: ${r.stderr}`);
  r = await run(BIN, ['migrate'], { KEYFIN_DATABASE_URL: restoredUrl });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /0 migration\(s\) applied/);

  // restored without the secret (the new machine's own): refused, clearly
  const wrong = path.join(R.dir, 'secret');
  const refused = await serveOnce(restoredUrl, wrong);
  console.log(`serve with the new machine's secret: exit ${refused.code}: ${refused.log.trim().split('\n')[0]}`);
  assert.equal(refused.code, 1, `serve refuses to start:\n${refused.log}`);
  assert.match(refused.log, /the server secret does not match this database/);
  assert.match(refused.log, /secret file backed up with this database/);
  r = await run(BIN, ['secret', 'check'], { KEYFIN_DATABASE_URL: restoredUrl, KEYFIN_SECRET_FILE: wrong });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not match this database/);
  r = await run(BIN, ['key', 'list'], { KEYFIN_DATABASE_URL: restoredUrl, KEYFIN_SECRET_FILE: wrong });
  assert.equal(r.code, 1, 'keyfin key list refuses too');
  assert.equal(r.stdout, '', 'and lists nothing');
  assert.match(r.stderr, /does not match this database/);
  // no secret file at all
  const missing = await serveOnce(restoredUrl, path.join(secretDir, 'not-there'));
  assert.notEqual(missing.code, 'running');
  assert.notEqual(missing.code, 0);
  assert.match(missing.log, /cannot open secret file .*not-there/);

  // with the secret: everything as it was
  r = await run(BIN, ['secret', 'check'], { KEYFIN_DATABASE_URL: restoredUrl, KEYFIN_SECRET_FILE: secretCopy });
  assert.equal(r.code, 0, r.stderr);
  const inst = await T.startInstance('restored', {
    workers: 2, env: { KEYFIN_DATABASE_URL: restoredUrl, KEYFIN_SECRET_FILE: secretCopy },
  });
  const get = async (headers) => (await request(inst.port, 'GET', '/System/Info', { headers })).status;
  const validAfter = []; const revokedAfter = [];
  for (const k of valid) validAfter.push(await get(keyHeader(k)));
  for (const k of revoked) revokedAfter.push(await get(keyHeader(k)));
  console.log(`restored: valid keys ${JSON.stringify(validAfter)}, revoked keys ${JSON.stringify(revokedAfter)}`);
  assert.deepEqual(validAfter, valid.map(() => 200), 'every key that was valid works');
  assert.deepEqual(revokedAfter, revoked.map(() => 401), 'every revoked key stays refused');
  assert.equal(await get(tokenHeader(session)), 200, "the user's session still works");
  assert.equal(await get(tokenHeader(admin)), 200, "the admin's session still works");
  const login = await request(inst.port, 'POST', '/Users/AuthenticateByName', {
    headers: { 'Content-Type': 'application/json', Authorization: 'MediaBrowser Client="t", Device="d", DeviceId="bk-restore", Version="1"' },
    body: JSON.stringify({ Username: user.name, Pw: user.password }),
  });
  assert.equal(login.status, 200, 'the password still works');
  S.remember(login.json.AccessToken);
  const list = await request(inst.port, 'GET', '/Auth/Keys', { headers: tokenHeader(admin) });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.Items.map((k) => `${k.AppName} ${k.AccessToken}`).sort(), listedBefore,
    'the key list is the same, every key readable under the backed-up secret');
  const details = await request(inst.port, 'GET', `/keyfin/v1/keys/${ext.json.id}`, { headers: tokenHeader(admin) });
  assert.deepEqual(details.json, extDetails.json, 'a key\'s options and details are the same');
  const auditAfter = (await psql(restoredUrl, AUDIT_ROWS)).stdout;
  const lastBefore = Number(auditBefore.trim().split('\n').pop().split('|')[0]);
  assert.equal(auditAfter.slice(0, auditBefore.length), auditBefore, 'the audit trail is the same, row for row');
  assert.match(auditAfter.slice(auditBefore.length), new RegExp(`^${lastBefore + 1}\\|[^\n]*\\|login\\|`),
    'and goes on where it was (the login since the restore; its sequence restored too)');
  const log = await request(inst.port, 'GET', '/System/ActivityLog/Entries?limit=100', { headers: tokenHeader(admin) });
  assert.equal(log.status, 200);
  const revokes = log.json.Items.filter((e) => /revoked/.test(e.Name)).length;
  assert.ok(revokes >= 4, `the activity log shows the revocations (${revokes})`);
  // ... and a key revoked after the restore is refused at once
  assert.equal((await request(inst.port, 'DELETE', `/Auth/Keys/${valid[0]}`, { headers: tokenHeader(admin) })).status, 204);
  assert.equal(await get(keyHeader(valid[0])), 401);
});

test('the secret recorded follows a rotation: after `secret rotate` only the new secret is the database\'s', async () => {
  const url = await R.databaseUrl();
  const env = { KEYFIN_DATABASE_URL: url };
  const file = path.join(secretDir, 'rotating');
  const secretA = fs.readFileSync(path.join(R.dir, 'secret'), 'utf8').trim();
  const gen = await run(BIN, ['secret', 'generate']);
  const secretB = gen.stdout.trim();
  fs.writeFileSync(file, `${secretB}\n${secretA}\n`, { mode: 0o600 });
  let r = await run(BIN, ['secret', 'check'], { ...env, KEYFIN_SECRET_FILE: file });
  assert.equal(r.code, 0, 'the old secret, second, still matches');
  r = await run(BIN, ['secret', 'rotate'], { ...env, KEYFIN_SECRET_FILE: file });
  assert.equal(r.code, 0, r.stderr);
  fs.writeFileSync(file, `${secretB}\n`, { mode: 0o600 });
  r = await run(BIN, ['secret', 'check'], { ...env, KEYFIN_SECRET_FILE: file });
  assert.equal(r.code, 0, `the new secret alone matches: ${r.stderr}`);
  r = await run(BIN, ['secret', 'check'], { ...env, KEYFIN_SECRET_FILE: path.join(R.dir, 'secret') });
  assert.equal(r.code, 1, 'the old one alone does not');
  // adopt: on purpose, the old secret again (what was made under B is given up)
  r = await run(BIN, ['secret', 'adopt'], { ...env, KEYFIN_SECRET_FILE: path.join(R.dir, 'secret') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no longer work/);
  r = await run(BIN, ['secret', 'check'], { ...env, KEYFIN_SECRET_FILE: path.join(R.dir, 'secret') });
  assert.equal(r.code, 0);
  const audit = await psql(url, "SELECT count(*) FROM audit_log WHERE event = 'secret.adopt'");
  assert.equal(audit.stdout.trim(), '1', 'adopting is in the audit trail');
});

test('[restore] topology logs hold no key, token or password', async () => {
  R.remember(...S.secrets);             // the restored keys were used there
  await T.stop();
  T.assertLogsClean();
});

logsCleanTest(test, S);
logsCleanTest(test, R);
