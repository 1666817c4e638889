/**
 * Debian packages the SSO tier needs (postgresql, chromium), installed by scripts/ci/apt.sh.
 * In CI a missing package fails with a message naming it (CI provisions in .ci/run before the
 * tests); outside CI it is installed on demand when we can (root or sudo), with apt's progress.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../paths.ts';
import { inCI, type Log } from './process.ts';

export async function ensureDebianPackage(what: string, present: () => boolean, log: Log): Promise<void> {
  if (present()) return;
  const script = path.join(repoRoot, 'scripts', 'ci', 'apt.sh');
  if (inCI) {
    throw new Error(`${what} is missing (CI=true, so the SSO tier fails instead of skipping). Provision it with: bash scripts/ci/apt.sh`);
  }
  log(`${what} is missing; installing it with scripts/ci/apt.sh (apt-get, a minute or two)...`);
  const out = await $({ nothrow: true, quiet: false })`bash ${script}`;
  if (!out.ok || !present()) {
    throw new Error(`${what} is missing and scripts/ci/apt.sh could not install it (exit ${out.exitCode}). Install it yourself: apt-get install --no-install-recommends postgresql chromium`);
  }
}

export const chromiumPath = process.env.BK_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(chromiumPath);
