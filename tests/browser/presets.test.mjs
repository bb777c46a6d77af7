// web/presets.js without a browser: the address checks the page makes
// before asking the server, and the integrations' presets, which must be
// the paths those integrations really call (tests/compat).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../integration/harness.mjs';
import { PRESETS, addressProblem, pathProblem, lines } from '../../web/presets.js';

test('addresses: IPv4, IPv6 and blocks pass; anything else is said in words', () => {
  for (const ok of ['10.0.0.1', '10.0.0.0/8', '192.168.1.0/24', '::1', 'fd00::/8', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '::/0']) {
    assert.equal(addressProblem(ok), '', ok);
  }
  for (const [bad, words] of [['10.0.0.300/8', /not an IPv4 or IPv6 address/], ['1:2:3:4:5:6:7:8:9', /not an IPv4/],
    ['abc', /not an IPv4/], ['10.0.0.1/33', /at most \/32/], ['fe80::1/129', /at most \/128/], ['10.0.0.0/8/8', /not an address or a block/]]) {
    assert.match(addressProblem(bad), words, bad);
  }
  assert.deepEqual(lines(' 10.0.0.1 \n\n::1\n'), ['10.0.0.1', '::1']);
  assert.equal(pathProblem('/System/Info'), '');
  assert.match(pathProblem('System/Info'), /does not start with \//);
  assert.match(pathProblem('/Items?x=1'), /without a query/);
});

test('presets: Heimdall, Homepage, Seerr, Sonarr/Radarr, each path one the integration is recorded calling', () => {
  const recorded = ['suites/replays.mjs', 'known-differences.md']
    .map((f) => fs.readFileSync(path.join(ROOT, 'tests', 'compat', f), 'utf8')).join('\n');
  assert.deepEqual(PRESETS.map((p) => p.name), ['Heimdall', 'Homepage', 'Seerr / Jellyseerr', 'Sonarr / Radarr']);
  for (const p of PRESETS) {
    assert.ok(p.scopes.length > 0 && !p.scopes.includes('admin'), `${p.name}: less than everything`);
    for (const s of p.scopes) {
      if (s === 'read') continue;
      assert.equal(pathProblem(s), '', `${p.name}: ${s}`);
      assert.ok(recorded.includes(s), `${p.name}: ${s} is in tests/compat`);
    }
  }
});
