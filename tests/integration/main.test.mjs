// The main integration suite: one stack (legacy authorization on, the
// default) shared by every topic in suites/, then the log check.
//
//   node --test tests/integration/

import { test } from 'node:test';
import { useStack, logsCleanTest } from './harness.mjs';
import usersSuite from './suites/users.mjs';
import keysSuite from './suites/keys.mjs';
import credentialsSuite from './suites/credentials.mjs';
import systemSuite from './suites/system.mjs';
import cliSuite from './suites/cli.mjs';
import opsSuite from './suites/ops.mjs';

const S = useStack('main');

systemSuite(S);
keysSuite(S);
usersSuite(S);
credentialsSuite(S, { legacy: true });
cliSuite(S);
opsSuite(S);
logsCleanTest(test, S);
