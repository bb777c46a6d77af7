// Floods of bad tokens: an address that sends too many failed credentials
// gets 429 for the credentials this instance does not know, without a
// database lookup; valid clients, on another address or on that one, are
// never refused.  Loopback addresses stand for clients: 127.0.0.2 floods,
// 127.0.0.1 is a valid client elsewhere, 127.0.0.3 only logs in wrongly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useStack, logsCleanTest, unique, randomHex, pollUntil } from './harness.mjs';
import { boundedLoad } from './topology.mjs';

const BURST = 30;
const S = useStack('throttle', { KEYFIN_AUTH_FAIL_BURST: String(BURST), KEYFIN_AUTH_FAIL_RATE: '60' });

function metric(text, name) {
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

test('a flood of random tokens is throttled; valid clients elsewhere and on the flooding address are not', async () => {
  const admin = await S.adminToken();
  const elsewhere = await S.createKey(unique('elsewhere'));
  const sameAddress = await S.createKey(unique('same-address'));
  // the integration on the flooding address works before the flood
  assert.equal((await S.req('GET', '/System/Info', { token: sameAddress, from: '127.0.0.2' })).status, 200);
  const before = metric((await S.req('GET', '/metrics')).body, 'keyfin_auth_throttled_total');

  let flooding = true;
  const started = Date.now();
  const flood = boundedLoad(160, 8, async () => {
    const r = await S.req('GET', '/System/Info', { token: randomHex(16), from: '127.0.0.2' });
    return { status: r.status, retryAfter: r.headers['retry-after'] };
  }, { deadlineMs: 60_000 });
  const valid = boundedLoad(100_000, 2, async () =>
    (await S.req('GET', '/System/Info', { token: elsewhere })).status,
  { deadlineMs: 60_000, stop: () => !flooding });
  const fast = boundedLoad(100_000, 2, async () =>
    (await S.req('GET', '/System/Info', { token: sameAddress, from: '127.0.0.2' })).status,
  { deadlineMs: 60_000, stop: () => !flooding });
  // while the flood goes on (its 429s are held back by nginx's tarpit, 20 a
  // second): the address shows as throttled, and a key made now works at
  // once from it
  let during = '';
  await pollUntil(async () => {
    during = (await S.req('GET', '/metrics')).body;
    return metric(during, 'keyfin_auth_throttled_addresses') >= 1;
  }, { attempts: 100, intervalMs: 50 });
  const fresh = await S.createKey(unique('made-during'));
  const freshUse = await S.req('GET', '/System/Info', { token: fresh, from: '127.0.0.2' });
  const floodResults = await flood;
  const seconds = Math.ceil((Date.now() - started) / 1000);
  const after = (await S.req('GET', '/metrics')).body;
  flooding = false;
  const [validResults, fastResults] = await Promise.all([valid, fast]);

  const tally = (list) => list.reduce((o, r) => {
    const k = r.ok ? String(r.value.status ?? r.value) : 'error';
    o[k] = (o[k] || 0) + 1;
    return o;
  }, {});
  console.log(`throttle: flood ${JSON.stringify(tally(floodResults))}; valid elsewhere ` +
    `${JSON.stringify(tally(validResults))}; valid on the flooding address ${JSON.stringify(tally(fastResults))}`);
  const throttled = floodResults.filter((r) => r.ok && r.value.status === 429);
  const refused = floodResults.filter((r) => r.ok && r.value.status === 401);
  // the burst, the 8 in flight when it filled, and what the address is
  // forgiven meanwhile (KEYFIN_AUTH_FAIL_RATE 60: one a second)
  const allowed = BURST + 8 + seconds;
  assert.ok(refused.length <= allowed, `at most the burst answered 401 (${refused.length}, ${seconds} s)`);
  assert.ok(throttled.length >= floodResults.length - allowed, 'the rest 429');
  for (const r of throttled) assert.match(r.value.retryAfter || '', /^[1-9]\d*$/, '429 with Retry-After');
  assert.ok(validResults.length > 0 && validResults.every((r) => r.ok && r.value === 200),
    'the valid client on another address: only 200');
  assert.ok(fastResults.length > 0 && fastResults.every((r) => r.ok && r.value === 200),
    'the valid client on the flooding address: only 200, never 429');
  assert.equal(freshUse.status, 200, 'a key made during the flood works at once from the throttled address');
  assert.ok(metric(during, 'keyfin_auth_throttled_addresses') >= 1, 'throttled addresses in /metrics');
  assert.ok(metric(after, 'keyfin_auth_throttled_total') - before >= throttled.length,
    'every 429 counted: none of them was looked up');
  // nginx gave the 429s, from its tarpit (nginx/keyfin.conf.in), after
  // keyfin's X-Accel-Redirect: no worker waited with them
  // (the access log is written in buffered batches: polled, bounded)
  let tarpitted = 0;
  await pollUntil(() => {
    const access = fs.readFileSync(path.join(S.logDir(), 'nginx-access.log'), 'utf8');
    tarpitted = access.split('\n').filter((l) => l.includes('"path":"/keyfin-internal/throttled/') &&
      l.includes('"status":429') && l.includes('"remote_addr":"127.0.0.2"')).length;
    return tarpitted >= throttled.length;
  }, { attempts: 50, intervalMs: 100 });
  assert.ok(tarpitted >= throttled.length,
    `every 429 went through nginx's tarpit (${tarpitted} of ${throttled.length})`);
  // one audit entry for the address, not one per request
  const audit = await S.req('GET', '/System/ActivityLog/Entries?limit=200', { token: admin });
  const entries = (audit.json.Items || []).filter((e) => /127\.0\.0\.2/.test(JSON.stringify(e)) && /thrott/i.test(JSON.stringify(e)));
  assert.equal(entries.length, 1, `one audit entry for the throttled address: ${JSON.stringify(entries)}`);
});

test('wrong logins count as failed credentials of their address', async () => {
  const name = unique('nobody');
  for (let i = 0; i < BURST + 2; i++) {
    const r = await S.login(name, `wrong-${i}`, {}, { from: '127.0.0.3' });
    assert.equal(r.status, 401, `wrong login #${i}`);
  }
  const r = await S.req('GET', '/System/Info', { token: randomHex(16), from: '127.0.0.3' });
  assert.equal(r.status, 429, 'an unknown token from that address is throttled');
  const other = await S.req('GET', '/System/Info', { token: randomHex(16), from: '127.0.0.4' });
  assert.equal(other.status, 401, 'another address is not');
});

test('a token that keeps failing is refused from memory, and a key that works again is accepted at once', async () => {
  const admin = await S.adminToken();
  const made = await S.req('POST', '/keyfin/v1/keys', { token: admin, body: { app: unique('expired') } });
  assert.equal(made.status, 201);
  const { id, key } = made.json;
  S.remember(key);
  const patch = (body) => S.req('PATCH', `/keyfin/v1/keys/${id}`, { token: admin, body });
  assert.equal((await patch({ expires_at: '2020-01-01T00:00:00Z' })).status, 200);
  const metrics = async () => metric((await S.req('GET', '/metrics')).body, 'keyfin_auth_known_bad_total');
  const before = await metrics();
  // an integration that still sends its expired key, from its own address
  for (let i = 0; i < 20; i++) {
    assert.equal((await S.req('GET', '/System/Info', { token: key, from: '127.0.0.5' })).status, 401);
  }
  const after = await metrics();
  console.log(`known bad: ${after - before} of 20 refused from memory`);
  assert.ok(after - before >= 10, `most refused without a lookup (${after - before})`);
  // the key is given a future again: the very next request works
  assert.equal((await patch({ expires_at: null })).status, 200);
  for (let i = 0; i < 8; i++) {
    assert.equal((await S.req('GET', '/System/Info', { token: key, from: '127.0.0.5' })).status, 200,
      `accepted at once after it was renewed (#${i})`);
  }
});

logsCleanTest(test, S);
