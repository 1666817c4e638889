/**
 * The kind cluster of `npm run up` / `npm run down` and of the `cluster` test tier.
 *
 *   createCluster()  Docker engine (started if needed), pinned kind v0.33.0, the offline node image
 *                    (scripts/kind/node-image.ts; BK_KIND_NODE_IMAGE picks another, e.g. a
 *                    kindest/node where a registry is reachable), checks (cluster name, host
 *                    ports), `kind create cluster` with dev/kind/cluster.yaml plus the offline
 *                    settings, the registry wiring for localhost:5001, the pod network (kube-router),
 *                    then waits until the node and kube-system are Ready. An existing kind cluster
 *                    of the same name is reused (e.g. one made by helm/kind-action in CI); only its
 *                    registry wiring is re-applied.
 *   deleteCluster()  `kind delete cluster` (containers and kubeconfig entry) and the `kind` Docker
 *                    network when no container (running or stopped) uses it any more.
 *
 * kind runs unmodified. On hosts whose capability bounding set lacks CAP_SYS_RESOURCE (or that have
 * no /lib/modules), kind's process gets scripts/kind/docker-shim first on PATH, which adapts the
 * `docker` flags kind passes (see that script); everywhere else kind uses docker directly.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { $ } from 'zx';
import { repoRoot } from '../lib/paths.ts';
import { ensureTool } from '../lib/tools/index.ts';
import { ensureDocker, hostFacts, stderrLog, type Log } from './docker.ts';
import { ensureNodeImage, ETCD_IMAGE_TAG } from './node-image.ts';
import { kindCacheDir, run, seconds, step } from './util.ts';

export const CLUSTER_NAME = 'backstage-keycloak';
/** Where the images helper's registry answers inside the kind network (scripts/images). */
export const REGISTRY = { hostPort: 5001, container: 'bk-registry', containerPort: 5000 };

/** Repository of the offline node image (scripts/kind/node-image.ts). */
const OFFLINE_IMAGE_REPO = 'bk-kind-node';

/** The project's offline node image brings its own pod network (kindnetd cannot be built here). */
export function isOfflineImage(image: string): boolean {
  return image.split(':')[0] === OFFLINE_IMAGE_REPO;
}

export interface ClusterOptions {
  name?: string;
  log?: Log;
  /** Kubeconfig file kind writes the context into (default: kind's, i.e. $KUBECONFIG or ~/.kube/config). */
  kubeconfig?: string;
  /** Node image to use instead of building the offline one (also env BK_KIND_NODE_IMAGE). */
  image?: string;
  /** Timeout for node and kube-system readiness. */
  readyTimeoutSec?: number;
  /**
   * Worker nodes besides the control plane (default 0: one node that runs everything). With
   * workers the control plane keeps its NoSchedule taint, so workloads run on the workers: what a
   * production cluster looks like to drains and topology spread (values/production.yaml).
   * Unset, an existing cluster is reused whatever its node count.
   */
  workers?: number;
}

export interface ClusterInfo {
  name: string;
  context: string;
  /** The control plane's container. */
  nodeContainer: string;
  /** Every node's container (control plane first); a node's name is its container's. */
  nodes: string[];
  image: string;
  /** True when an existing cluster was reused. */
  reused: boolean;
  /** Wall time of `kind create cluster` plus network and readiness, ms (0 when reused). */
  createMs: number;
  /** Whether kind ran through the docker shim, and why. */
  shim: string | undefined;
}

/** PATH and flags for running kind on this host (the docker shim where the host needs it). */
export async function kindEnv(): Promise<{ env: NodeJS.ProcessEnv; shim: string | undefined }> {
  const facts = hostFacts();
  const reasons: string[] = [];
  if (!facts.capSysResource) reasons.push('no CAP_SYS_RESOURCE in the capability bounding set: --privileged rewritten');
  if (!facts.libModules) reasons.push('no /lib/modules: its bind mount dropped');
  if (reasons.length === 0) return { env: { ...process.env }, shim: undefined };
  const realDocker = (await $({ quiet: true })`command -v docker`).stdout.trim();
  const shimDir = path.join(repoRoot, 'scripts', 'kind', 'docker-shim');
  return {
    env: {
      ...process.env,
      PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}`,
      BK_REAL_DOCKER: realDocker,
      BK_SHIM_NO_PRIVILEGED: facts.capSysResource ? '' : '1',
      BK_SHIM_NO_LIB_MODULES: facts.libModules ? '' : '1',
    },
    shim: reasons.join('; '),
  };
}

/** Runs the pinned kind with this host's environment. */
export async function runKind(args: string[], opts: { log?: Log; prefix?: string; kubeconfig?: string } = {}): Promise<string> {
  const kind = await ensureTool('kind', { pinnedOnly: true });
  const { env } = await kindEnv();
  if (opts.kubeconfig) env.KUBECONFIG = opts.kubeconfig;
  return run(opts.log ?? stderrLog, opts.prefix ?? '', [kind, ...args], { env });
}

/** Names of the kind clusters on this Docker engine (what `kind get clusters` lists: its node label). */
async function kindClusters(): Promise<string[]> {
  const out = await $({ quiet: true })`docker ps -a --filter label=io.x-k8s.kind.cluster --format ${'{{.Label "io.x-k8s.kind.cluster"}}'}`;
  return [...new Set(out.stdout.split('\n').map((l) => l.trim()).filter(Boolean))];
}

interface ContainerInfo {
  name: string;
  image: string;
  running: boolean;
  cluster?: string;
}

async function inspectContainer(name: string): Promise<ContainerInfo | undefined> {
  const out = await $({ quiet: true, nothrow: true })`docker inspect --type container ${name} --format ${'{{.Config.Image}}|{{.State.Running}}|{{index .Config.Labels "io.x-k8s.kind.cluster"}}'}`;
  if (!out.ok) return undefined;
  const [image, running, cluster] = out.stdout.trim().split('|');
  return { name, image: image ?? '', running: running === 'true', cluster: cluster || undefined };
}

/** Throws when a host port on 127.0.0.1 is taken, naming the container that publishes it if any. */
export async function checkPortFree(port: number): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  if (free) return;
  const who = await $({ quiet: true, nothrow: true })`docker ps --filter ${`publish=${port}`} --format {{.Names}}`;
  const by = who.ok && who.stdout.trim() ? ` (published by the container ${who.stdout.trim().split('\n').join(', ')})` : '';
  throw new Error(`host port 127.0.0.1:${port} is already in use${by}. The cluster maps it (dev/kind/cluster.yaml extraPortMappings): stop what listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or change hostPort in dev/kind/cluster.yaml.`);
}

/** dev/kind/cluster.yaml plus `workers` worker nodes and what the offline node image needs. */
export function clusterConfig(name: string, image: string, offline: boolean, workers = 0): Record<string, unknown> {
  const base = parseYaml(readFileSync(path.join(repoRoot, 'dev', 'kind', 'cluster.yaml'), 'utf8')) as Record<string, unknown> & { nodes?: Record<string, unknown>[]; kubeadmConfigPatches?: string[] };
  const cfg: Record<string, unknown> & { nodes: Record<string, unknown>[]; kubeadmConfigPatches: string[] } = {
    ...base,
    name,
    nodes: [...(base.nodes ?? [{ role: 'control-plane' }]), ...Array.from({ length: workers }, () => ({ role: 'worker' }))].map((n) => ({ ...n, image })),
    kubeadmConfigPatches: [...(base.kubeadmConfigPatches ?? [])],
  };
  if (offline) {
    // kindnetd cannot be built from the registries: the node image brings kube-router instead.
    cfg.networking = { ...((base.networking as object) ?? {}), disableDefaultCNI: true };
    // The etcd the node image carries (the same build the api tier uses), not kubeadm's default tag.
    cfg.kubeadmConfigPatches.push(`kind: ClusterConfiguration\netcd:\n  local:\n    imageTag: "${ETCD_IMAGE_TAG}"\n`);
  }
  return cfg;
}

async function nodeExec(node: string, script: string, log: Log, input?: string): Promise<string> {
  return run(log, '', ['docker', 'exec', ...(input !== undefined ? ['-i'] : []), node, 'bash', '-ec', script], { input });
}

const KUBECTL = 'kubectl --kubeconfig=/etc/kubernetes/admin.conf';

/** Creates (or reuses) the cluster and returns once the node and kube-system are Ready. */
export async function createCluster(opts: ClusterOptions = {}): Promise<ClusterInfo> {
  const name = opts.name ?? CLUSTER_NAME;
  const log = opts.log ?? stderrLog;
  const nodeContainer = `${name}-control-plane`;
  await step(log, 'Docker engine', () => ensureDocker(log));
  const { shim } = await kindEnv();
  if (shim) log(`    kind runs with scripts/kind/docker-shim (${shim})`);

  const requested = opts.image ?? process.env.BK_KIND_NODE_IMAGE;
  // An existing kind cluster of this name is reused; a container of that name that is not one is refused.
  const existing = await inspectContainer(nodeContainer);
  const clusters = await kindClusters();
  if (clusters.includes(name) || existing) {
    if (!existing || existing.cluster !== name) {
      throw new Error(
        existing
          ? `the name "${name}" is already used by something else: a container "${nodeContainer}" exists that is not the node of kind cluster "${name}" (image ${existing.image}). Remove it (docker rm -f ${nodeContainer}) or pick another --cluster name.`
          : `kind knows a cluster "${name}" but its node container "${nodeContainer}" is missing. Delete it with \`npm run down -- --cluster ${name}\` and retry.`,
      );
    }
    if (requested && existing.image !== requested) {
      throw new Error(`the kind cluster "${name}" already exists but runs ${existing.image}, not the requested ${requested}. Delete it with \`npm run down -- --cluster ${name}\` (or pick another --cluster name) and retry.`);
    }
    if (!existing.running) throw new Error(`the kind cluster "${name}" exists but its node ${nodeContainer} is stopped. \`docker start ${nodeContainer}\`, or \`npm run down\` and retry.`);
    // Whatever node image it runs (ours, or a kindest/node where a registry is reachable): it is a
    // kind cluster of that name, created on purpose. Only the registry wiring is (re)applied.
    const nodes = await clusterNodes(name);
    const want = 1 + (opts.workers ?? 0);
    if (opts.workers !== undefined && nodes.length !== want) {
      throw new Error(`the kind cluster "${name}" already exists with ${nodes.length} node(s), not the ${want} requested (${opts.workers ?? 0} worker(s)). Delete it with \`npm run down -- --cluster ${name}\` and retry.`);
    }
    log(`    reusing the existing kind cluster "${name}" (node image ${existing.image}, ${nodes.length} node(s))`);
    if (opts.kubeconfig) await runKind(['export', 'kubeconfig', '--name', name, '--kubeconfig', opts.kubeconfig]);
    for (const n of nodes) await wireRegistry(n, log, n === nodeContainer);
    await waitReady(nodeContainer, log, opts.readyTimeoutSec ?? 240);
    return { name, context: `kind-${name}`, nodeContainer, nodes, image: existing.image, reused: true, createMs: 0, shim };
  }

  // kind itself is needed only from here on (an existing cluster is reused without it).
  await step(log, 'kind (pinned build)', () => ensureTool('kind', { pinnedOnly: true, log: (l) => log(`    ${l}`) }));
  const workers = opts.workers ?? 0;
  const cfg = clusterConfig(name, requested ?? 'pending', isOfflineImage(requested ?? OFFLINE_IMAGE_REPO), workers);
  await step(log, 'host ports free on 127.0.0.1', async () => {
    for (const node of cfg.nodes as { extraPortMappings?: { hostPort: number }[] }[]) {
      for (const m of node.extraPortMappings ?? []) await checkPortFree(m.hostPort);
    }
  });

  const image = requested ?? (await step(log, 'offline kind node image', () => ensureNodeImage({ log }))).image;
  const offline = isOfflineImage(image);
  const finalCfg = clusterConfig(name, image, offline, workers);
  const dir = kindCacheDir();
  await mkdir(dir, { recursive: true });
  const cfgPath = path.join(dir, `cluster-${name}.yaml`);
  await writeFile(cfgPath, `# generated by scripts/kind/cluster.ts from dev/kind/cluster.yaml\n${toYaml(finalCfg)}`);

  const t0 = Date.now();
  await step(log, `kind create cluster --name ${name} (${workers ? `a control plane and ${workers} worker(s)` : 'one node'})`, async () => {
    const args = ['create', 'cluster', '--name', name, '--config', cfgPath, '--wait', '0s'];
    if (opts.kubeconfig) args.push('--kubeconfig', opts.kubeconfig);
    if (process.env.BK_KIND_RETAIN === '1') args.push('--retain');
    await runKind(args, { log, prefix: 'kind: ' });
  });
  const nodes = await clusterNodes(name);
  await step(log, `registry wiring (localhost:${REGISTRY.hostPort} -> ${REGISTRY.container}:${REGISTRY.containerPort}) on ${nodes.length} node(s)`, async () => {
    for (const n of nodes) await wireRegistry(n, log, n === nodeContainer);
  });
  if (offline) {
    await step(log, 'pod network (kube-router: bridge CNI + NetworkPolicy)', () => nodeExec(nodeContainer, `${KUBECTL} apply -f /kind/manifests/bk-network.yaml`, log));
  }
  await step(log, 'node and kube-system Ready', () => waitReady(nodeContainer, log, opts.readyTimeoutSec ?? 240));
  const createMs = Date.now() - t0;
  log(`cluster "${name}" ready in ${seconds(createMs)} (context kind-${name})`);
  return { name, context: `kind-${name}`, nodeContainer, nodes, image, reused: false, createMs, shim };
}

/** The node containers of a kind cluster, control plane first. */
export async function clusterNodes(name: string): Promise<string[]> {
  const r = await $({ quiet: true, nothrow: true })`docker ps -a --filter ${`label=io.x-k8s.kind.cluster=${name}`} --format {{.Names}}`;
  const all = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort();
  return [...all.filter((n) => n.endsWith('-control-plane')), ...all.filter((n) => !n.endsWith('-control-plane'))];
}

/**
 * Lets a node pull `localhost:5001/<image>` from the project's registry container: containerd
 * reads /etc/containerd/certs.d (config_path, set in dev/kind/cluster.yaml) at every pull, so no
 * restart is needed. From the control plane also publishes the registry in
 * kube-public/local-registry-hosting (KEP-1755).
 */
async function wireRegistry(node: string, log: Log, controlPlane = true): Promise<void> {
  const hosts = `server = "http://${REGISTRY.container}:${REGISTRY.containerPort}"\n\n[host."http://${REGISTRY.container}:${REGISTRY.containerPort}"]\n  capabilities = ["pull", "resolve"]\n`;
  await nodeExec(node, `mkdir -p /etc/containerd/certs.d/localhost:${REGISTRY.hostPort} && cat > /etc/containerd/certs.d/localhost:${REGISTRY.hostPort}/hosts.toml`, log, hosts);
  if (!controlPlane) return;
  const cm = toYaml({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'local-registry-hosting', namespace: 'kube-public' },
    data: { 'localRegistryHosting.v1': toYaml({ host: `localhost:${REGISTRY.hostPort}`, hostFromContainerRuntime: `${REGISTRY.container}:${REGISTRY.containerPort}` }) },
  });
  await nodeExec(node, `${KUBECTL} apply -f -`, log, cm);
}

async function waitReady(node: string, log: Log, timeoutSec: number): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  const left = () => `${Math.max(5, Math.round((deadline - Date.now()) / 1000))}s`;
  await nodeExec(node, `${KUBECTL} wait --for=condition=Ready nodes --all --timeout=${left()}`, (l) => log(`    ${l}`));
  // What kube-system runs (kube-proxy, CoreDNS, the pod network) and the storage provisioner.
  for (const ns of ['kube-system', 'local-path-storage']) {
    const rollouts = await nodeExec(node, `${KUBECTL} -n ${ns} get deploy,ds -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}'`, () => {});
    for (const res of rollouts.split('\n').filter(Boolean)) {
      await nodeExec(node, `${KUBECTL} -n ${ns} rollout status ${res.toLowerCase()} --timeout=${left()}`, (l) => log(`    ${l}`));
    }
  }
}

/** Deletes the cluster: node containers, kubeconfig entry, and the `kind` network when it is unused. */
export async function deleteCluster(opts: { name?: string; log?: Log; kubeconfig?: string } = {}): Promise<{ deleted: boolean; networkRemoved: boolean; networkUsers: string[] }> {
  const name = opts.name ?? CLUSTER_NAME;
  const log = opts.log ?? stderrLog;
  if (!(await $({ quiet: true, nothrow: true })`docker info --format {{.ServerVersion}}`).ok) {
    throw new Error('no Docker engine answers, so the kind cluster cannot be deleted. Start it (bash scripts/ci/docker.sh) and retry.');
  }
  let deleted = false;
  if ((await kindClusters()).includes(name)) {
    const t0 = Date.now();
    const args = ['delete', 'cluster', '--name', name];
    if (opts.kubeconfig) args.push('--kubeconfig', opts.kubeconfig);
    await runKind(args, { log, prefix: 'kind: ' });
    log(`    deleted kind cluster "${name}" in ${seconds(Date.now() - t0)}`);
    deleted = true;
  } else {
    log(`    no kind cluster named "${name}"`);
  }
  if (!(await $({ quiet: true, nothrow: true })`docker network inspect kind`).ok) return { deleted, networkRemoved: false, networkUsers: [] };
  // Stopped containers count too (e.g. the registry): removing the network would break their start.
  const users = await $({ quiet: true })`docker ps -a --filter network=kind --format {{.Names}}`;
  const attached = users.stdout.trim().split(/\s+/).filter(Boolean);
  if (attached.length === 0) {
    await $({ quiet: true })`docker network rm kind`;
    log('    removed the Docker network "kind"');
    return { deleted, networkRemoved: true, networkUsers: [] };
  }
  log(`    kept the Docker network "kind": still attached: ${attached.join(', ')}`);
  return { deleted, networkRemoved: false, networkUsers: attached };
}
