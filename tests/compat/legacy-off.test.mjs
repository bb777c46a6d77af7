// The compatibility suite against a stack with legacy_authorization off
// (KEYFIN_LEGACY_AUTHORIZATION=off): what Jellyfin 12.x does.
import { test } from 'node:test';
import { useStack, logsCleanTest } from '../integration/harness.mjs';
import { MODES, recordResults } from './lib/compat.mjs';
import sdkSuite from './suites/sdk.mjs';
import replaySuite from './suites/replays.mjs';
import jellyfinTestsSuite from './suites/jellyfin-tests.mjs';

const MODE = 'off';
recordResults(MODE);
const S = useStack('compat-legacy-off', MODES[MODE].env);

sdkSuite(S);
replaySuite(S, { legacy: false });
jellyfinTestsSuite(S);
logsCleanTest(test, S);
