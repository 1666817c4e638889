/**
 * `helm dependency build` of the upstream Backstage chart, and what to tell the user when it fails:
 * the repository, the version and the ways to get that exact chart.
 */
import { $, type Duration } from 'zx';

/** One entry of Chart.yaml `dependencies` (what `helm dependency build` and Chart.lock read). */
export interface Dependency {
  name: string;
  version: string;
  repository?: string;
  condition?: string;
}

/** OCI location of the same chart, published next to the Helm repository. */
export const BACKSTAGE_OCI = 'oci://ghcr.io/backstage/charts/backstage';

/** The message for a failed build of `dep`, with `why` (helm's last error line). */
export function dependencyBuildFailure(dep: Dependency, why: string): string {
  const repo = dep.repository ?? '';
  return [
    `helm dependency build could not get the upstream chart ${dep.name} ${dep.version} from ${repo}: ${why}`,
    'What to do:',
    `  - where ${repo} is reachable: helm repo add backstage ${repo} && helm dependency build`,
    `    (check that the version exists: helm search repo backstage/backstage --versions, or helm show chart ${BACKSTAGE_OCI} --version ${dep.version})`,
    `  - or fetch it elsewhere, copy it here and point at it: helm pull ${dep.name} --repo ${repo} --version ${dep.version}`,
    `    (or helm pull ${BACKSTAGE_OCI} --version ${dep.version}), then BACKSTAGE_CHART=/path/to/${dep.name}-${dep.version}.tgz, or put the .tgz in charts/`,
  ].join('\n');
}

/**
 * Runs `helm repo add` for the dependency's repository and `helm dependency build` in `chartDir`,
 * with a private repository config under `helmHome` (the user's `helm repo` list is left alone).
 */
export async function buildDependency(opts: { helm: string; chartDir: string; dep: Dependency; helmHome: string; timeout?: Duration }): Promise<{ ok: true } | { ok: false; why: string; message: string }> {
  const env = { ...process.env, HELM_REPOSITORY_CONFIG: `${opts.helmHome}/repositories.yaml`, HELM_REPOSITORY_CACHE: `${opts.helmHome}/cache` };
  const run = $({ cwd: opts.chartDir, quiet: true, nothrow: true, timeout: opts.timeout ?? '90s', env });
  let out = await run`${opts.helm} repo add backstage-upstream ${opts.dep.repository ?? ''} --force-update`;
  if (out.ok) out = await run`${opts.helm} dependency build .`;
  if (out.ok) return { ok: true };
  const why = (out.stderr || out.stdout).trim().split('\n').slice(-1)[0] || `exit ${out.exitCode}`;
  return { ok: false, why, message: dependencyBuildFailure(opts.dep, why) };
}
