/**
 * npm run up -- [--values values/kind.yaml [--values more.yaml]...] [--context <ctx> --yes] [--namespace backstage]
 *               [--subchart real|auto|standin] [--release backstage] [--cluster backstage-keycloak]
 *               [--workers 0] [--skip-build (reuse built images)] [--timeout 10m]
 *               [--from-release out/release/release.json [--key cosign.pub]]
 *
 * From nothing to a verified login on kind: checks docker (starting Debian's dockerd if needed) and
 * helm; creates (or reuses) the kind cluster from dev/kind/cluster.yaml on the offline node image
 * (scripts/kind/, built from the package registries on first use); builds every image the chart
 * runs (scripts/images.ts, from the package registries) and pushes them to the local registry
 * localhost:5001, which kind's nodes reach as bk-registry on the kind network; packages the chart
 * (repository root + the upstream Backstage chart from `helm dependency build`, BACKSTAGE_CHART or
 * charts/*.tgz) and pushes it to oci://localhost:5001/charts; `helm upgrade --install --wait` from
 * there, as a user installs a published chart; then runs verify and prints the URLs and dev
 * credentials. --subchart auto|real|standin (default real): offline, `auto` falls back to this
 * project's stand-in of the upstream chart, which it says loudly (local kind only; the stand-in
 * is never pushed anywhere but the local registry).
 * --workers N adds N worker nodes to a new cluster (the control plane then runs no workloads), e.g.
 * `--workers 2 --values values/kind.yaml --values values/production.yaml` for two replicas spread
 * over two nodes. Several --values files apply in order, as with helm.
 * --from-release installs a published release the careful way: `cosign verify` of the chart and of
 * every image it pins, and of their SBOM attestations (with --key, else the release's own public
 * key or keyless identity), then `helm upgrade --install` of the chart at its digest; nothing is
 * built, packaged or pushed, and a failed check installs nothing (npm run release makes one).
 * With --context it installs into that existing cluster instead (refused unless it is kind or
 * --yes is given); no cluster is created and no image is loaded.
 * A failed first install is rolled back, so nothing half-installed is left.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { $, parseArgv } from 'zx';
import { parse as parseYaml } from 'yaml';
import { readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { resolveBackstageChart, type SubchartMode } from './lib/chart/assemble.ts';
import { verifyRelease } from './release/verify.ts';
import { DEV_USERS } from './lib/dev-credentials.ts';
import { elapsed, guardContext, loadKubeConfig } from './lib/kube/client.ts';
import { ensureTool, parseVersion } from './lib/tools/index.ts';
import { repoRoot } from './lib/paths.ts';
import { formatChecks } from './lib/kube/verify.ts';
import { verify } from './verify.ts';
import { buildImages, CHART_IMAGES, imageRef, type ImageName } from './images/catalog.ts';
import { isLocalRegistry, pushChart, pushImages, registryUp } from './images/registry.ts';
import { inspectImage } from './images/run.ts';
import { createCluster } from './kind/cluster.ts';
import { ensureDocker } from './kind/docker.ts';

interface Step {
  name: string;
  ms: number;
}

async function main(): Promise<void> {
  const a = parseArgv(process.argv.slice(2), {
    string: ['values', 'context', 'namespace', 'release', 'cluster', 'timeout', 'kubeconfig', 'subchart', 'workers', 'from-release', 'key'],
    boolean: ['yes', 'skip-build'],
    camelCase: true,
  });
  const valuesFiles = (a.values === undefined ? [path.join(repoRoot, 'values', 'kind.yaml')] : [a.values].flat().map(String)).map((f) => path.resolve(f));
  const workers = a.workers === undefined ? undefined : Number(a.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 5)) throw new Error(`--workers ${String(a.workers)}: a whole number from 0 to 5`);
  const namespace = String(a.namespace ?? 'backstage');
  const release = String(a.release ?? 'backstage');
  const cluster = String(a.cluster ?? 'backstage-keycloak');
  const timeout = String(a.timeout ?? '10m');
  const existing = a.context !== undefined;
  const fromRelease = a.fromRelease === undefined ? undefined : path.resolve(String(a.fromRelease));
  if (fromRelease && !existsSync(fromRelease)) throw new Error(`--from-release ${fromRelease} does not exist (npm run release writes out/release/release.json)`);
  const subchart = String(a.subchart ?? process.env.BK_SUBCHART ?? 'real') as SubchartMode;
  if (!['auto', 'real', 'standin'].includes(subchart)) throw new Error(`--subchart ${subchart}: use real (default), auto or standin`);
  if (existing && subchart !== 'real') throw new Error(`--subchart ${subchart} is for the local kind cluster only: an existing cluster gets the real upstream chart (helm dependency build)`);
  const steps: Step[] = [];
  const t0 = Date.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    console.log(`\n==> ${name}`);
    const r = await fn();
    steps.push({ name, ms: Date.now() - s });
    console.log(`    done in ${elapsed(s)} (total ${elapsed(t0)})`);
    return r;
  };
  for (const f of valuesFiles) if (!existsSync(f)) throw new Error(`values file ${f} does not exist (--values)`);

  const tools = await step('check tools (docker, helm)', async () => {
    const missing: string[] = [];
    const helm = await ensureTool('helm').catch((e: Error) => {
      missing.push(`helm: ${e.message.split('\n')[0]}`);
      return '';
    });
    if (!existing) {
      // Starts Debian's dockerd when no engine answers (scripts/ci/docker.sh).
      await ensureDocker((l) => console.log(l)).catch((e: Error) => missing.push(`docker: ${e.message} Or pass --context to use an existing cluster.`));
    }
    if (missing.length) throw new Error(`missing tools:\n  - ${missing.join('\n  - ')}`);
    console.log(`    helm ${helm}`);
    return { helm };
  });

  let context = a.context as string | undefined;
  if (!existing) {
    context = `kind-${cluster}`;
    // Offline node image, pod network, registry wiring, readiness: scripts/kind/cluster.ts.
    await step(`kind cluster ${cluster}`, () => createCluster({ name: cluster, workers, log: (l) => console.log(`    ${l}`) }));
    if (!fromRelease) await step('images: build (missing or --skip-build unset) and push to localhost:5001', async () => {
      const log = (l: string) => console.log(`    ${l}`);
      const missing: ImageName[] = [];
      for (const n of CHART_IMAGES) if (!a.skipBuild || !(await inspectImage(await imageRef(n)))) missing.push(n);
      if (missing.length) await buildImages(missing, { log });
      await registryUp({ log });
      await pushImages(CHART_IMAGES, 'localhost:5001', log);
    });
  }
  const kc = loadKubeConfig({ context, kubeconfig: a.kubeconfig as string | undefined });
  guardContext(kc, Boolean(a.yes), 'install');

  // Where the chart comes from: for kind, the packaged chart in the local OCI registry (what users
  // install from a registry); for an existing cluster, this directory with the real upstream chart.
  let chart: { ref: string; version: string; flags: string[] };
  if (fromRelease) {
    chart = await step('release: cosign verify of the chart and every image (signatures, SBOM attestations)', async () => {
      const { manifest, failed } = await verifyRelease(fromRelease, a.key === undefined ? undefined : path.resolve(String(a.key)), (l) => console.log(`    ${l}`));
      if (failed.length) throw new Error(`refusing to install: ${failed.length} check(s) of ${fromRelease} failed:\n  - ${failed.join('\n  - ')}`);
      console.log(`    verified: the chart ${manifest.chart.helmRef} and ${manifest.images.length} image(s) pinned by digest`);
      return { ref: manifest.chart.helmRef, version: manifest.chart.version, flags: isLocalRegistry(manifest.registry) ? ['--plain-http'] : [] };
    });
  } else if (!existing) {
    chart = await step('chart: helm package + helm push to oci://localhost:5001/charts', async () => {
      const pushed = await pushChart('localhost:5001', { mode: subchart, log: (l) => console.log(`    ${l}`) });
      console.log(`    ${pushed.ref}:${pushed.chart.version} ${pushed.digest} (${pushed.chart.subchart})`);
      return { ref: pushed.ref, version: pushed.chart.version, flags: ['--version', pushed.chart.version, '--plain-http'] };
    });
  } else {
    chart = await step('upstream Backstage chart (helm dependency build)', async () => {
      const source = await resolveBackstageChart('real', (l) => console.log(`    ${l}`));
      console.log(`    ${source.description}`);
      return { ref: repoRoot, version: '(working tree)', flags: [] };
    });
  }

  await step(`helm upgrade --install ${release} (namespace ${namespace}, --wait ${timeout})`, async () => {
    const helmMajor = parseVersion((await $({ quiet: true })`${tools.helm} version --template {{.Version}}`).stdout)?.[0] ?? 4;
    const rollback = helmMajor >= 4 ? '--rollback-on-failure' : '--atomic';
    const args = ['upgrade', '--install', release, chart.ref, ...chart.flags, '--namespace', namespace, '--create-namespace', ...valuesFiles.flatMap((f) => ['--values', f]), '--wait', '--timeout', timeout, rollback, '--kube-context', kc.getCurrentContext()];
    console.log(`    helm ${args.join(' ')}`);
    const res = await $({ nothrow: true, stdio: ['inherit', 'inherit', 'pipe'] })`${tools.helm} ${args}`;
    if (!res.ok) {
      await diagnose(kc, namespace, release);
      throw new Error(`helm upgrade --install failed (rolled back): ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    console.log(`    installed ${chart.ref} version ${chart.version}`);
  });

  const checks = await step('verify (API objects, then the login over HTTP)', async () => {
    const c = await verify({ context: kc.getCurrentContext(), namespace, release, user: 'alice', password: DEV_USERS.alice.password, apiOnly: false, yes: true }, (l) => console.log(`    ${l}`));
    console.log(formatChecks(c).replace(/^/gm, '    '));
    return c;
  });

  type Shown = { global?: { host?: string; allowInsecureHttp?: boolean; keycloak?: { issuerUrl?: string } } };
  const docs = await Promise.all(valuesFiles.map(async (f) => (parseYaml(await readFile(f, 'utf8')) ?? {}) as Shown));
  const last = <T>(pick: (d: Shown) => T | undefined): T | undefined => docs.map(pick).filter((v) => v !== undefined).at(-1);
  const values: Shown = { global: { host: last((d) => d.global?.host), allowInsecureHttp: last((d) => d.global?.allowInsecureHttp), keycloak: { issuerUrl: last((d) => d.global?.keycloak?.issuerUrl) } } };
  const scheme = values.global?.allowInsecureHttp ? 'http' : 'https';
  console.log('\nTimes:');
  for (const s of steps) console.log(`  ${s.name.padEnd(70)} ${(s.ms / 1000).toFixed(1)}s`);
  console.log(`  ${'total'.padEnd(70)} ${elapsed(t0)}`);
  console.log(`\nBackstage:  ${scheme}://${values.global?.host ?? '?'}`);
  if (values.global?.keycloak?.issuerUrl) console.log(`Keycloak:   ${values.global.keycloak.issuerUrl}`);
  if (!existing) console.log(`Dev users (DEVELOPMENT ONLY): ${Object.values(DEV_USERS).map((u) => `${u.username} / ${u.password} (${u.groups.join(',')})`).join(';  ')}`);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    console.error(`\nup: installed, but verify FAILED: ${failed.map((c) => c.name).join('; ')}`);
    process.exitCode = 1;
  }
}

/** Prints what is wrong in the namespace: pod phases, waiting reasons, recent warning events. */
async function diagnose(kc: k8s.KubeConfig, namespace: string, release: string): Promise<void> {
  try {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${release}` })).items;
    console.error('\nPods:');
    for (const p of pods) {
      const waiting = (p.status?.containerStatuses ?? []).filter((s) => s.state?.waiting).map((s) => `${s.name}: ${s.state!.waiting!.reason} ${s.state!.waiting!.message ?? ''}`);
      console.error(`  ${p.metadata!.name} ${p.status?.phase} ${waiting.join('; ')}`);
    }
    const events = (await core.listNamespacedEvent({ namespace })).items.filter((e) => e.type === 'Warning').slice(-15);
    console.error('Warning events:');
    for (const e of events) console.error(`  ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason}: ${e.message}`);
  } catch (e) {
    console.error(`(diagnostics unavailable: ${(e as Error).message})`);
  }
}

main().catch((e: unknown) => {
  console.error(`\nup: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
