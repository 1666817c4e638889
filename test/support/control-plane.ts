/**
 * A real Kubernetes control plane on loopback for the `api` test tier, without containers:
 * etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok (which simulates nodes
 * and pod lifecycles, so pods of Deployments become Running without a kubelet or a runtime).
 *
 * kwokctl (`--runtime binary`) lays out the PKI, picks free ports and starts the processes; every
 * binary comes from the pinned builds in scripts/lib/tools/pins.ts, so nothing is downloaded. Each run
 * gets its own temporary KWOK_WORKDIR, cluster name and ports; stop() kills every process and
 * removes that directory. A detached watchdog does the same if this process dies without stop().
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { $ } from 'zx';
import { ensureTool, KUBERNETES_VERSION } from '../../scripts/lib/tools/index.ts';
import { poll } from '../../scripts/lib/poll.ts';

export interface ControlPlaneOptions {
  /** Prefix of the cluster name (lowercase letters, digits, dashes); a random suffix is added. */
  name?: string;
  /** Progress lines; default writes to stderr. */
  log?: (line: string) => void;
}

export interface ControlPlane {
  /** kubeconfig file (client certificate auth inlined, server on 127.0.0.1); removed by stop(). */
  kubeconfigPath: string;
  /** The same kubeconfig as text; self-contained, valid until stop(). */
  kubeconfig: string;
  /** API server URL, https://127.0.0.1:<port>. */
  server: string;
  /** gitVersion the running API server reports, e.g. v1.36.5. */
  kubernetesVersion: string;
  /** Name of the simulated Ready node pods are scheduled to. */
  nodeName: string;
  /** Cluster name kwokctl knows it by. */
  name: string;
  /** Kills every process of this control plane and removes its state. Idempotent. */
  stop(): Promise<void>;
}

const CONTROL_PLANE_TOOLS = ['kwokctl', 'kwok', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/**
 * Finds the pinned binaries. In CI (CI=true) they must already be installed by
 * `npm run tools -- ensure --all`; a missing one is an error, never a skip. Elsewhere a missing one
 * is built from the Go module proxy on demand (minutes, once per machine).
 */
export async function controlPlaneBinaries(log: (l: string) => void): Promise<Record<(typeof CONTROL_PLANE_TOOLS)[number], string>> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const out = {} as Record<(typeof CONTROL_PLANE_TOOLS)[number], string>;
  const missing: string[] = [];
  for (const name of CONTROL_PLANE_TOOLS) {
    try {
      out[name] = await ensureTool(name, { log, noInstall: ci });
    } catch (e) {
      missing.push((e as Error).message);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      [
        `control plane: ${missing.length} of ${CONTROL_PLANE_TOOLS.length} binaries unavailable${ci ? ' (CI=true: they are not built during tests; .ci/run builds them with `npm run tools -- ensure --all`)' : ''}.`,
        ...missing,
      ].join('\n'),
    );
  }
  return out;
}

/** Starts a control plane and returns once a simulated node is Ready. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const sink = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const log = (l: string) => sink(`[controlplane +${((Date.now() - started) / 1000).toFixed(1)}s] ${l}`);

  const bins = await controlPlaneBinaries(log);
  const prefix = (opts.name ?? 'bk').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 20);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const root = await mkdtemp(path.join(os.tmpdir(), `bk-cp-${name}-`));
  const kubeconfigPath = path.join(root, 'kubeconfig.yaml');
  const configPath = path.join(root, 'kwokctl.yaml');
  const clusterDir = path.join(root, 'clusters', name);

  // Ports from the kernel's ephemeral allocator: kwokctl's own choice counts down from 32767 the
  // same way in every run, so two control planes starting together (other engineers, other
  // worktrees) would race for the same ports.
  const [apiserverPort, etcdPort, etcdPeerPort, kwokPort] = await freePorts(4);
  // Everything kwokctl needs, so it never reaches for its download defaults.
  const config = {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      kubeVersion: KUBERNETES_VERSION,
      bindAddress: '127.0.0.1',
      securePort: true,
      kubeAuthorization: true,
      kubeAdmission: true,
      etcdBinary: bins.etcd,
      kubeApiserverBinary: bins['kube-apiserver'],
      kubeControllerManagerBinary: bins['kube-controller-manager'],
      kubeSchedulerBinary: bins['kube-scheduler'],
      kwokControllerBinary: bins.kwok,
      cacheDir: path.join(root, 'cache'),
      quietPull: true,
      kubeApiserverPort: apiserverPort,
      etcdPort,
      etcdPeerPort,
      kwokControllerPort: kwokPort,
    },
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KWOK_WORKDIR: root,
    // Defence in depth: any download attempt fails at once instead of hanging (Go never proxies
    // loopback, so the components still reach each other on 127.0.0.1).
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
    KUBECONFIG: kubeconfigPath,
  };
  for (const k of Object.keys(env)) if (k.startsWith('KWOK_') && k !== 'KWOK_WORKDIR') delete env[k];

  let stopped = false;
  let creating: ReturnType<typeof spawn> | undefined;
  const watchdog = startWatchdog(root);
  const killSync = () => {
    if (creating && creating.exitCode === null) creating.kill('SIGKILL');
    killClusterProcesses(clusterDir);
  };
  const onExit = () => {
    if (stopped) return;
    killSync();
    rmSync(root, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    onExit();
    // Keep the default behaviour (terminate) when nobody else handles the signal.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    const t = Date.now();
    await $({ env, nothrow: true, quiet: true, timeout: '60s' })`${bins.kwokctl} delete cluster --name ${name} --config ${configPath}`;
    killSync();
    rmSync(root, { recursive: true, force: true });
    watchdog.kill('SIGKILL');
    log(`stopped ${name} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  };

  try {
    log(`creating ${name} (Kubernetes ${KUBERNETES_VERSION}, kwokctl --runtime binary) in ${root}`);
    const create = spawn(
      bins.kwokctl,
      ['create', 'cluster', '--name', name, '--config', configPath, '--kubeconfig', kubeconfigPath, '--wait', '3m', '--timeout', '5m'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    creating = create;
    // For the watchdog: a kwokctl still creating when we die must not start processes afterwards.
    await writeFile(path.join(root, 'create.pid'), `${create.pid}\n`);
    const output: string[] = [];
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        log(`kwokctl: ${condense(line)}`);
      }
    };
    create.stdout.on('data', onLine);
    create.stderr.on('data', onLine);
    const code = await new Promise<number | null>((resolve) => create.on('close', resolve));
    // Its pid may be reused from now on: the watchdog must not kill by it any more.
    rmSync(path.join(root, 'create.pid'), { force: true });
    if (code !== 0) throw new Error(`kwokctl create cluster exited with ${code}:\n${output.slice(-20).join('\n')}\n${await componentLogs(clusterDir)}`);

    const kubeconfig = await inlineKubeconfig(kubeconfigPath);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error(`no server in ${kubeconfigPath}`);
    if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) throw new Error(`API server ${server} is not on loopback`);

    const versionInfo = await kc.makeApiClient(k8s.VersionApi).getCode();
    log(`API server ${server} is up, reports ${versionInfo.gitVersion}`);

    const nodeName = `kwok-${name}`;
    await createNode(kc, nodeName);
    await waitFor(`node ${nodeName} Ready`, 120_000, async () => {
      const node = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: nodeName });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    log(`node ${nodeName} is Ready; control plane up in ${((Date.now() - started) / 1000).toFixed(1)}s`);

    return { kubeconfigPath, kubeconfig, server, kubernetesVersion: versionInfo.gitVersion, nodeName, name, stop };
  } catch (e) {
    const logs = await componentLogs(clusterDir).catch(() => '');
    await stop();
    if (logs && !(e as Error).message.includes('--- logs/')) (e as Error).message += `\n${logs}`;
    throw e;
  }
}

/**
 * kwokctl's kubeconfig points at PKI files in the work directory; inline them (…-data fields) so the
 * text stands alone (another process, helm, a temp file elsewhere) and rewrite the file with it.
 */
async function inlineKubeconfig(file: string): Promise<string> {
  const doc = YAML.parse(await readFile(file, 'utf8')) as {
    clusters?: { cluster: Record<string, unknown> }[];
    users?: { user: Record<string, unknown> }[];
  };
  const inline = async (o: Record<string, unknown>, key: string) => {
    const p = o[key];
    if (typeof p !== 'string') return;
    o[`${key}-data`] = (await readFile(path.isAbsolute(p) ? p : path.join(path.dirname(file), p))).toString('base64');
    delete o[key];
  };
  for (const c of doc.clusters ?? []) await inline(c.cluster, 'certificate-authority');
  for (const u of doc.users ?? []) {
    await inline(u.user, 'client-certificate');
    await inline(u.user, 'client-key');
  }
  const text = YAML.stringify(doc);
  await writeFile(file, text, { mode: 0o600 });
  return text;
}

/** kwokctl logs JSON lines; keep level, message and elapsed time. */
function condense(line: string): string {
  try {
    const j = JSON.parse(line) as { level?: string; msg?: string; elapsed?: { human?: string }; err?: string };
    if (!j.msg) return line;
    return [j.level !== 'INFO' ? j.level : '', j.msg, j.elapsed?.human ? `(${j.elapsed.human})` : '', j.err ? `: ${j.err}` : '']
      .filter(Boolean)
      .join(' ');
  } catch {
    return line;
  }
}

/** A fake node kwok manages (kwokctl runs the controller with --manage-all-nodes). No taints. */
async function createNode(kc: k8s.KubeConfig, nodeName: string): Promise<void> {
  const resources = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  await kc.makeApiClient(k8s.CoreV1Api).createNode({
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
          type: 'kwok',
        },
      },
      status: { allocatable: resources, capacity: resources },
    },
  });
}

/** Distinct free loopback ports, all held open together while they are chosen. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
  return poll(what, check, { timeoutMs });
}

/** SIGKILLs every process kwokctl recorded for the cluster (pids/<component>.pid). Synchronous. */
function killClusterProcesses(clusterDir: string): void {
  const pidsDir = path.join(clusterDir, 'pids');
  if (!existsSync(pidsDir)) return;
  for (const f of readdirSync(pidsDir)) {
    const pid = Number(readFileSync(path.join(pidsDir, f), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function componentLogs(clusterDir: string): Promise<string> {
  const dir = path.join(clusterDir, 'logs');
  if (!existsSync(dir)) return '';
  const parts: string[] = [];
  for (const f of readdirSync(dir)) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    parts.push(`--- logs/${f} (last lines) ---\n${text.split('\n').slice(-15).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * A detached process that outlives a crash of this one: once our pid is gone (SIGKILL, OOM), it
 * kills the cluster's processes and removes the work directory. It exits by itself when the
 * directory disappears (a normal stop()).
 */
function startWatchdog(root: string) {
  const script = `
const fs = require('node:fs'), path = require('node:path');
const [parent, root] = [Number(process.argv[1]), process.argv[2]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
setInterval(() => {
  if (!fs.existsSync(root)) process.exit(0);
  if (alive(parent)) return;
  try { const c = Number(fs.readFileSync(path.join(root, 'create.pid'), 'utf8')); if (c > 1) process.kill(c, 'SIGKILL'); } catch {}
  const clusters = path.join(root, 'clusters');
  for (const c of fs.existsSync(clusters) ? fs.readdirSync(clusters) : []) {
    const pids = path.join(clusters, c, 'pids');
    for (const f of fs.existsSync(pids) ? fs.readdirSync(pids) : []) {
      const pid = Number(fs.readFileSync(path.join(pids, f), 'utf8').trim());
      try { if (pid > 1) process.kill(pid, 'SIGKILL'); } catch {}
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(0);
}, 1000);
`;
  const child = spawn(process.execPath, ['-e', script, String(process.pid), root], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}
