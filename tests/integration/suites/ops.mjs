// What operators and orchestrators read: health probes and metrics.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unique } from '../harness.mjs';

// The value of one sample line of Prometheus text, or 0 when absent.
function sample(text, line) {
  const row = text.split('\n').find((l) => l.startsWith(`${line} `));
  return row ? Number(row.slice(line.length + 1)) : 0;
}

export default function opsSuite(S) {
  describe('health and metrics', () => {
    test('GET /health, /health/live, /health/ready → 200 Healthy', async () => {
      for (const path of ['/health', '/health/live', '/health/ready', '/HEALTH/']) {
        const r = await S.req('GET', path);
        assert.equal(r.status, 200, path);
        assert.equal(r.body, 'Healthy', path);
      }
    });

    test('GET /metrics: Prometheus text that counts requests, refusals and logins', async () => {
      const before = (await S.req('GET', '/metrics')).body;
      const app = unique('metrics');
      await S.createKey(app);
      await S.req('GET', '/Auth/Keys');                       // 401
      await S.login('admin', 'not-the-password');             // login failure
      const r = await S.req('GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
      const after = r.body;
      for (const [line, at_least] of [
        ['keyfin_requests_total{route="POST /Auth/Keys",status="204"}', 1],
        ['keyfin_requests_total{route="GET /Auth/Keys",status="401"}', 1],
        ['keyfin_auth_failures_total{status="401"}', 1],
        ['keyfin_login_failures_total', 1],
        ['keyfin_request_duration_seconds_count', 4],
      ]) {
        assert.ok(sample(after, line) - sample(before, line) >= at_least, `${line} grew by ${at_least}`);
      }
      assert.equal(sample(after, 'keyfin_workers_alive'), 2, 'KEYFIN_WORKERS=2 alive');
      // a histogram's buckets are cumulative and end with the count
      const inf = sample(after, 'keyfin_request_duration_seconds_bucket{le="+Inf"}');
      assert.equal(inf, sample(after, 'keyfin_request_duration_seconds_count'));
      // no token or name of a key in the metrics
      assert.ok(!after.includes(app));
    });

    test('every spelling of /metrics reaches the same guarded handler', async () => {
      for (const path of ['/metrics', '/METRICS/', '/emby/Metrics', '/mediabrowser/metrics']) {
        const r = await S.req('GET', path);
        assert.equal(r.status, 200, path);
        assert.match(r.body, /^# HELP keyfin_requests_total/m, path);
      }
    });
  });
}
