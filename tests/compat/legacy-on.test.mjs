// The compatibility suite against a stack with legacy_authorization on (the
// default): what Jellyfin 10.11 does.
import { test } from 'node:test';
import { useStack, logsCleanTest } from '../integration/harness.mjs';
import { MODES, recordResults } from './lib/compat.mjs';
import sdkSuite from './suites/sdk.mjs';
import replaySuite from './suites/replays.mjs';
import jellyfinTestsSuite from './suites/jellyfin-tests.mjs';

const MODE = 'on';
recordResults(MODE);
const S = useStack('compat-legacy-on', MODES[MODE].env);

sdkSuite(S);
replaySuite(S, { legacy: true });
jellyfinTestsSuite(S);
logsCleanTest(test, S);
