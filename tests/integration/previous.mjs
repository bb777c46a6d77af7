// The previous release's keyfin, built from its tagged commit, for the
// upgrade test (upgrade.test.mjs): `git archive` of the commit into a
// directory under build/, then its own `make build` there.  Kept between
// runs (one directory per commit; `make clean` removes it).

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './harness.mjs';

// The release before this one, and its commit in case the clone has no
// tags (a shallow CI checkout): the tag must name this commit.
export const PREVIOUS_TAG = 'v0.1.0';
export const PREVIOUS_COMMIT = '281e958c43d7c4261a778759a465af1e14c3cb95';

function git(args) {
  return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// {commit, bin} of the previous release, built if need be; or {why} when
// this checkout cannot give it (not a git clone, or the commit absent).
export function previousRelease() {
  let commit;
  try {
    const tagged = (() => {
      try { return git(['rev-parse', '--verify', '--quiet', `${PREVIOUS_TAG}^{commit}`]); } catch { return ''; }
    })();
    if (tagged && tagged !== PREVIOUS_COMMIT) {
      return { why: `${PREVIOUS_TAG} names ${tagged}, not ${PREVIOUS_COMMIT}: update tests/integration/previous.mjs` };
    }
    commit = git(['rev-parse', '--verify', '--quiet', `${PREVIOUS_COMMIT}^{commit}`]);
  } catch (e) {
    return { why: `no commit ${PREVIOUS_COMMIT} (${PREVIOUS_TAG}) in this checkout: fetch the tags (${e.message.split('\n')[0]})` };
  }
  const dir = path.join(ROOT, 'build', 'previous', commit);
  const bin = path.join(dir, 'build', 'keyfin');
  if (!fs.existsSync(bin)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit], { maxBuffer: 256 << 20 });
    execFileSync('tar', ['-x', '-C', tmp], { input: archive });
    // its own Makefile and flags, without -Werror: a newer compiler's
    // warnings must not stop the old release from building
    execFileSync('make', ['-C', tmp, '-j4', 'build', 'CI=', 'DEVELOPER='], {
      stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000,
      env: { ...process.env, CI: '', DEVELOPER: '' },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  return { commit, bin, version };
}
