/**
 * One kind cluster per `cluster` tier run, on the offline node image (scripts/kind/). Provisions it
 * once (reusing a cluster of the same name that runs the same node image, e.g. one from `npm run
 * up`; one running another image is an error), hands its coordinates to the test files, and deletes
 * it at the end unless BK_KEEP_CLUSTER=1 or it was there before. The host's kernel settings are read before anything starts; the tests and
 * the teardown compare against them.
 *
 * In CI (CI=true) the node image must already exist (.ci/run builds it with `npm run kind -- image`):
 * a missing image, Docker engine or tool fails the tier. Elsewhere the image is built on demand
 * (cold: ~35 min on 2 cores; then cached by its pins).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { CLUSTER_NAME, createCluster } from '../../scripts/kind/cluster.ts';
import { ensureDocker } from '../../scripts/kind/docker.ts';
import { ensureNodeImage, planNodeImage } from '../../scripts/kind/node-image.ts';
import { imageInputs, kindCacheDir, seconds } from '../../scripts/kind/util.ts';
import { readHostSysctls, sysctlChanges } from './sysctls.ts';
import { publishRelease } from './release.ts';

export interface ProvidedCluster {
  name: string;
  context: string;
  kubeconfigPath: string;
  nodeContainer: string;
  /** Every node's container (control plane first); a node's name is its container's. */
  nodes: string[];
  image: string;
  createMs: number;
  reused: boolean;
  /** Host sysctls read before the cluster was created (or reused). */
  sysctlsBefore: Record<string, string>;
}

/** The release every install of the tier comes from (issue 21): npm run release into localhost:5001. */
export interface ProvidedRelease {
  /** release.json (the chart and the images by digest, their signatures and SBOM attestations). */
  manifest: string;
  /** The public key the release was signed for. */
  publicKey: string;
  /** oci://localhost:5001/charts/backstage-keycloak@sha256:... */
  chartRef: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ProvidedCluster;
    release: ProvidedRelease;
  }
}

const log = (l: string) => process.stderr.write(`[cluster] ${l}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const sysctlsBefore = readHostSysctls();
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  await ensureDocker(log);
  // The node image under test: BK_KIND_NODE_IMAGE, else the offline image of the current pins
  // (in CI it must exist already; elsewhere it is built now). A cluster of the same name that runs
  // another image is not reused: the setup fails and says how to delete it.
  let image = process.env.BK_KIND_NODE_IMAGE;
  if (!image) {
    const plan = planNodeImage();
    if (ci && (await imageInputs(plan.image))?.inputs !== plan.hash) {
      throw new Error(`the offline kind node image ${plan.image} is not built (CI=true: it is not built during tests; .ci/run builds it with \`npm run kind -- image\`).`);
    }
    image = (await ensureNodeImage({ log })).image;
  }
  const dir = path.join(kindCacheDir(), 'test');
  mkdirSync(dir, { recursive: true });
  const kubeconfigPath = path.join(dir, `kubeconfig-${CLUSTER_NAME}`);
  // A control plane and two workers (BK_KIND_WORKERS): drains, spread and two replicas need nodes.
  const workers = Number(process.env.BK_KIND_WORKERS ?? 2);
  const c = await createCluster({ log, kubeconfig: kubeconfigPath, image, workers });
  log(`cluster ${c.name} ${c.reused ? 'reused' : `created in ${seconds(c.createMs)}`}; setup took ${seconds(Date.now() - t0)}`);
  // Every install of the tier comes from a verified, digest-pinned release in the local registry:
  // `npm run release` as a maintainer runs it, signed with a key pair made for this run.
  const release = await publishRelease(dir, log);
  project.provide('release', release);
  project.provide('cluster', {
    name: c.name,
    context: c.context,
    kubeconfigPath,
    nodeContainer: c.nodeContainer,
    nodes: c.nodes,
    image: c.image,
    createMs: c.createMs,
    reused: c.reused,
    sysctlsBefore,
  });
  return async () => {
    if (process.env.BK_KEEP_CLUSTER === '1' || c.reused) {
      log(`keeping cluster ${c.name} (${c.reused ? 'it existed before this run' : 'BK_KEEP_CLUSTER=1'}); kubeconfig ${kubeconfigPath}`);
      return;
    }
    // `npm run down`, the product command, then proof that it left nothing behind.
    const t = Date.now();
    const env = { ...process.env, KUBECONFIG: kubeconfigPath };
    const down = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(repoRoot, 'scripts', 'down.ts'), '--cluster', c.name], { env, encoding: 'utf8' });
    log(`npm run down exited ${down.status} in ${seconds(Date.now() - t)}: ${(down.stdout + down.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    const left: string[] = [];
    if (down.status !== 0) left.push(`npm run down exited ${down.status}: ${down.stderr.trim()}`);
    const containers = spawnSync('docker', ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${c.name}`, '--format', '{{.Names}}'], { encoding: 'utf8' }).stdout.trim();
    if (containers) left.push(`node containers: ${containers}`);
    const registry = spawnSync('docker', ['ps', '-a', '--filter', 'name=^bk-registry$', '--format', '{{.Names}}'], { encoding: 'utf8' }).stdout.trim();
    if (registry) left.push(`registry container: ${registry}`);
    const users = spawnSync('docker', ['network', 'inspect', 'kind', '--format', '{{range .Containers}}{{.Name}} {{end}}'], { encoding: 'utf8' });
    if (users.status === 0 && !users.stdout.trim()) left.push('the Docker network "kind" is still there with no container on it');
    if (existsSync(kubeconfigPath) && readFileSync(kubeconfigPath, 'utf8').includes(`kind-${c.name}`)) left.push(`kubeconfig ${kubeconfigPath} still names kind-${c.name}`);
    rmSync(kubeconfigPath, { force: true });
    if (left.length) throw new Error(`npm run down left things behind:\n  ${left.join('\n  ')}`);
    const changed = sysctlChanges(sysctlsBefore, readHostSysctls());
    if (changed.length) throw new Error(`host kernel settings changed during the cluster run:\n  ${changed.join('\n  ')}`);
  };
}
