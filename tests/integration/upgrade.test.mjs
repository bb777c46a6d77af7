// An upgrade without downtime: the previous release (built by
// tests/integration/previous.mjs from its tagged commit) and this one on
// one database at the same time.
//
// The previous release makes the database and serves; keys are made and
// revoked through it; this release's `keyfin migrate` runs while the old
// instance serves under load (no failed request); a new instance starts;
// then a key made or revoked through either is seen by the other at once
// (revocations: by every worker of the other, 48 requests at once right
// after the 204, after they were made to remember the key).  The old
// instance restarts on the new schema (its own migrate a no-op), and
// stops; the new one serves on.
//
// Migrations are expand-only for one release (docs/architecture.md, "A
// migration"): the last test checks that those added since the previous
// release drop, rename or narrow nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { Stack, logsCleanTest, unique, psql, skipUnless, ROOT } from './harness.mjs';
import { request } from './fcgi.mjs';
import { Topology, BIN, boundedLoad } from './topology.mjs';
import { previousRelease, PREVIOUS_TAG } from './previous.mjs';

const prev = previousRelease();
const skip = skipUnless(!prev.why, prev.why);
// the harness's stack itself runs the previous release: it makes the
// database (schema of that release), the admin, and the secret
const S = new Stack('upgrade', prev.bin ? { KEYFIN_BIN: prev.bin } : {});
const T = new Topology(S);
let OLD; let NEW;

before(async () => {
  if (skip) return;
  await S.start();
  await T.init();
  OLD = await T.startInstance('old', { bin: prev.bin, workers: 4 });
  console.log(`previous release: ${prev.version} (${PREVIOUS_TAG}, ${prev.commit.slice(0, 12)}); `
    + `this one: ${execFileSync(BIN, ['--version'], { encoding: 'utf8' }).trim()}`);
}, { timeout: 900_000 });
after(async () => {
  await T.stop();
  await S.stop();
});
process.on('exit', () => T.stopSync());

function run(bin, args, env = {}) {
  return new Promise((resolve) => {
    execFile(bin, args, {
      env: {
        PATH: process.env.PATH,
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(ASAN|UBSAN)_OPTIONS$/.test(k))),
        KEYFIN_DATABASE_URL: T.dbUrl,
        KEYFIN_SECRET_FILE: path.join(S.dir, 'secret'),
        ...env,
      },
      timeout: 120_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

const keyHeader = (k) => ({ Authorization: `MediaBrowser Token="${k}", Client="Heimdall"` });
const adminHeader = async () => ({ Authorization: `MediaBrowser Token="${await S.adminToken()}"` });

function tally(list) {
  const out = {};
  for (const x of list) out[x] = (out[x] || 0) + 1;
  return out;
}

async function burst(inst, key, n = 48) {
  const rs = await Promise.all(Array.from({ length: n },
    () => request(inst.port, 'GET', '/System/Info', { headers: keyHeader(key) })));
  return tally(rs.map((r) => r.status));
}

// A key made through `inst` (Prefer: return=representation, as 0.1.0 has it).
async function createKey(inst, app) {
  const r = await request(inst.port, 'POST', `/Auth/Keys?app=${app}`,
    { headers: { ...await adminHeader(), Prefer: 'return=representation' } });
  assert.equal(r.status, 200, `create through ${inst.name}: ${r.status} ${r.body}`);
  S.remember(r.json.AccessToken);
  return r.json.AccessToken;
}

async function schemaVersion() {
  return Number((await psql(T.dbUrl, 'SELECT max(version) FROM keyfin_migrations')).stdout.trim());
}

test('the previous release serves the database it made', { skip }, async () => {
  assert.match(prev.version, /^keyfin 0\.1\.0 /);
  assert.equal(await schemaVersion(), 6, 'the schema of 0.1.0');
  const key = await createKey(OLD, unique('up-old'));
  assert.deepEqual(await burst(OLD, key, 8), { 200: 8 });
});

test('the new release migrates while the old one serves under load: nothing fails', { skip }, async () => {
  const keys = [];
  for (let i = 0; i < 4; i++) keys.push(await createKey(OLD, unique('up-load')));
  let stop = false;
  const load = boundedLoad(100_000, 8, async (i) => {
    const r = await request(OLD.port, 'GET', '/System/Info', { headers: keyHeader(keys[i % keys.length]) });
    return r.status;
  }, { deadlineMs: 60_000, stop: () => stop });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  const mig = await run(BIN, ['migrate']);
  const ms = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  const results = await load;
  assert.equal(mig.code, 0, mig.stderr);
  const migrations = fs.readdirSync(path.join(ROOT, 'sql')).filter((f) => /^\d{4}_.*\.sql$/.test(f));
  const previous = execFileSync('git', ['-C', ROOT, 'ls-tree', '--name-only', prev.commit, 'sql/'],
    { encoding: 'utf8' }).split('\n').filter((f) => /\.sql$/.test(f));
  assert.match(mig.stderr, new RegExp(`${migrations.length - previous.length} migration\\(s\\) applied`));
  const statuses = tally(results.map((x) => (x.ok ? x.value : 'error')));
  console.log(`migrate to schema ${await schemaVersion()} in ${ms} ms under load on the old instance: ${JSON.stringify(statuses)}`);
  assert.deepEqual(Object.keys(statuses), ['200'], 'every request of the load answered 200');
  assert.equal(await schemaVersion(), migrations.length);
  // the old release's own migrate on the new schema: nothing to do, no error
  const again = await run(prev.bin, ['migrate']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /0 migration\(s\) applied/);
});

test('old and new side by side: a key made or revoked through either is seen by the other at once', { skip }, async () => {
  NEW = await T.startInstance('new', { workers: 4 });
  const figures = [];
  for (const [from, to] of [[OLD, NEW], [NEW, OLD]]) {
    // made through one: works on the other, and is listed there, at once
    const app = unique(`up-${from.name}`);
    const key = await createKey(from, app);
    assert.deepEqual(await burst(to, key, 8), { 200: 8 }, `a key made through ${from.name} works on ${to.name}`);
    const list = await request(to.port, 'GET', '/Auth/Keys', { headers: await adminHeader() });
    assert.ok(list.json.Items.some((k) => k.AppName === app && k.AccessToken === key), `listed by ${to.name}`);
    // revoked through one, after every worker of the other remembers it
    for (let i = 0; i < 5; i++) assert.deepEqual(await burst(to, key), { 200: 48 });
    const del = await request(from.port, 'DELETE', `/Auth/Keys/${key}`, { headers: await adminHeader() });
    assert.equal(del.status, 204);
    const after = await burst(to, key);
    figures.push(`revoked through ${from.name}, ${to.name} answered ${JSON.stringify(after)}`);
    assert.deepEqual(after, { 401: 48 }, `revoked through ${from.name}: refused by every worker of ${to.name}`);
  }
  // a session made through one works on the other; a logout through the other ends it
  const login = await request(OLD.port, 'POST', '/Users/AuthenticateByName', {
    headers: { 'Content-Type': 'application/json', Authorization: 'MediaBrowser Client="t", Device="d", DeviceId="up-dev", Version="1"' },
    body: JSON.stringify({ Username: 'admin', Pw: S.adminPassword }),
  });
  assert.equal(login.status, 200);
  const session = login.json.AccessToken;
  S.remember(session);
  const sessionHeader = { Authorization: `MediaBrowser Token="${session}"` };
  assert.equal((await request(NEW.port, 'GET', '/Users/Me', { headers: sessionHeader })).status, 200);
  assert.equal((await request(NEW.port, 'POST', '/Sessions/Logout', { headers: sessionHeader })).status, 204);
  assert.equal((await request(OLD.port, 'GET', '/Users/Me', { headers: sessionHeader })).status, 401);
  console.log(`side by side: ${figures.join('; ')}`);
  // the new instance recorded its secret as the database's
  const check = await run(BIN, ['secret', 'check']);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /is this database's/);
});

test('the old instance restarts on the new schema, then stops; the new one serves on', { skip }, async () => {
  OLD.child.kill('SIGTERM');
  assert.deepEqual(await T.waitExit(OLD), { code: 0, signal: null });
  const OLD2 = await T.startInstance('old-again', { bin: prev.bin, workers: 2, env: { KEYFIN_MIGRATE_ON_START: 'on' } });
  const key = await createKey(OLD2, unique('up-restarted'));
  assert.deepEqual(await burst(NEW, key, 8), { 200: 8 });
  OLD2.child.kill('SIGTERM');
  assert.deepEqual(await T.waitExit(OLD2), { code: 0, signal: null });
  const del = await request(NEW.port, 'DELETE', `/Auth/Keys/${key}`, { headers: await adminHeader() });
  assert.equal(del.status, 204);
  assert.deepEqual(await burst(NEW, key, 8), { 401: 8 });
});

// What a migration may do while the previous release still runs on the
// database: add tables, columns (nullable or with a default), indexes,
// functions, triggers, rows.  Dropping, renaming or narrowing waits for
// the release after (expand, then contract).
test('the migrations added since the previous release are expand-only', { skip }, async () => {
  const before = new Set(execFileSync('git', ['-C', ROOT, 'ls-tree', '--name-only', prev.commit, 'sql/'],
    { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => path.basename(f)));
  const added = fs.readdirSync(path.join(ROOT, 'sql')).filter((f) => f.endsWith('.sql') && !before.has(f));
  assert.ok(added.length > 0, 'this release adds migrations');
  const contracting = /\b(DROP\s+(TABLE|COLUMN|INDEX|TRIGGER|FUNCTION|VIEW|CONSTRAINT|DEFAULT)|RENAME|ALTER\s+COLUMN\s+\S+\s+(TYPE|SET\s+NOT\s+NULL)|TRUNCATE|DELETE\s+FROM|ADD\s+COLUMN\s+\S+\s+\S+\s+NOT\s+NULL(?!\s+DEFAULT))\b/i;
  for (const f of added) {
    // Left out: function bodies ($$...$$: what a function does when called
    // is no change of the schema), and a statement right after a comment
    // line "-- expand: <why>", one the migration makes safe itself (a table
    // renamed keeps its old name as a view with every column), checked at
    // run time by the tests above, where 0.1.0 serves on the new schema.
    const sqlText = fs.readFileSync(path.join(ROOT, 'sql', f), 'utf8')
      .replace(/\$\$[\s\S]*?\$\$/g, '$$$$')
      .replace(/^-- expand: .*\n[^;]*;/gm, '').replace(/--.*$/gm, '');
    const m = sqlText.match(contracting);
    assert.equal(m, null, `${f} contracts the schema (${m && m[0]}): that waits for the release after`);
    // and nothing the previous release wrote is changed in place (it
    // still reads and writes those rows)
  }
  console.log(`expand-only since ${PREVIOUS_TAG}: ${added.join(', ')}`);
});

test('[upgrade] topology logs hold no key, token or password', { skip }, async () => {
  await T.stop();
  T.assertLogsClean();
});

if (!skip) logsCleanTest(test, S);
