/**
 * The Docker engine the kind cluster runs on, and the facts about this host that decide how kind's
 * node containers must be started.
 *
 *   await ensureDocker()  -> starts Debian's dockerd when none answers (scripts/ci/docker.sh), then
 *                            returns the server version; idempotent.
 *   hostFacts()           -> { capSysResource, libModules, cgroupVersion }
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../lib/paths.ts';
import { stderrLog, type Log } from '../images/run.ts';

export { stderrLog, type Log } from '../images/run.ts';

export interface HostFacts {
  /**
   * CAP_SYS_RESOURCE is in this host's capability bounding set. Where it is not (some VMs), Docker
   * cannot grant it: `docker run --privileged` and `docker exec --privileged` fail with "unable to
   * apply caps: operation not permitted", so kind's node flags must be adapted (scripts/kind/docker-shim).
   */
  capSysResource: boolean;
  /** /lib/modules exists on the host (kind mounts it read-only into the node). */
  libModules: boolean;
  /** 1 on a cgroup v1 (or hybrid) host, 2 on a unified one. */
  cgroupVersion: 1 | 2;
}

const CAP_SYS_RESOURCE = 24n;

/** Reads the capability bounding set of this process (inherited from the host's init). */
export function hostFacts(statusText = readFileSync('/proc/self/status', 'utf8')): HostFacts {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  const bnd = m ? BigInt(`0x${m[1]}`) : ~0n;
  return {
    capSysResource: ((bnd >> CAP_SYS_RESOURCE) & 1n) === 1n,
    libModules: existsSync('/lib/modules'),
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1,
  };
}

/** Server version when a Docker engine answers, else undefined. */
export async function dockerVersion(): Promise<string | undefined> {
  const out = await $({ quiet: true, nothrow: true, timeout: '20s' })`docker info --format {{.ServerVersion}}`;
  return out.ok && out.stdout.trim() ? out.stdout.trim() : undefined;
}

/**
 * Makes sure a Docker engine answers, starting Debian's dockerd (cgroupfs driver) when none does.
 * Throws with the daemon log's tail when it cannot start.
 */
export async function ensureDocker(log: Log = stderrLog): Promise<string> {
  const have = await dockerVersion();
  if (have) return have;
  const t0 = Date.now();
  const script = path.join(repoRoot, 'scripts', 'ci', 'docker.sh');
  const proc = $({ quiet: true, nothrow: true })`bash ${script}`;
  proc.stdout.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) log(`    ${line}`);
  });
  const out = await proc;
  if (!out.ok) {
    throw new Error(`no Docker engine, and starting dockerd failed (scripts/ci/docker.sh, exit ${out.exitCode}):\n${out.stderr.trim()}`);
  }
  const v = await dockerVersion();
  if (!v) throw new Error('scripts/ci/docker.sh reported success but `docker info` still fails');
  log(`    docker ${v} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return v;
}
