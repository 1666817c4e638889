/**
 * Test workload of the cluster tier: the probe program (test/cluster/probe, Go standard library
 * only) built into a FROM-scratch image, loaded into the kind node (never pulled), and run as
 * short-lived pods in a namespace of the test's own, hardened like the chart's pods.
 *
 *   const probes = new ProbePods(kc, clusterName, 'bk-probe-x', log);
 *   await probes.setup();                       // image + namespace
 *   const r = await probes.run('name', ['get', 'http://10.244.0.5:4180/ping', '3s', '5'], { label: 'x' });
 *   await probes.teardown();                    // namespace deleted
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { clusterNodes, runKind } from '../../scripts/kind/cluster.ts';
import { ensureImage } from '../../scripts/kind/images.ts';
import { NET_ROOTFS, rootfsRef } from '../../scripts/kind/rootfs.ts';
import { hashInputs } from '../../scripts/kind/util.ts';
import { poll } from '../../scripts/lib/poll.ts';

export class ProbePods {
  image = '';
  readonly namespace: string;
  private readonly core: k8s.CoreV1Api;
  private readonly clusterName: string;
  private readonly log: (l: string) => void;

  constructor(kc: k8s.KubeConfig, clusterName: string, namespace: string, log: (l: string) => void) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.clusterName = clusterName;
    this.namespace = namespace;
    this.log = log;
  }

  /** Builds (cached by the source's hash) and loads the probe image; creates the namespace. */
  async setup(): Promise<void> {
    const src = path.join(import.meta.dirname, 'probe', 'main.go');
    const out = mkdtempSync(path.join(os.tmpdir(), 'bk-probe-'));
    try {
      const bin = path.join(out, 'probe');
      execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', bin, src], { env: { ...process.env, CGO_ENABLED: '0' }, stdio: 'pipe' });
      const srcHash = hashInputs({ main: execFileSync('sha256sum', [src]).toString().split(' ')[0] });
      const img = await ensureImage(
        { name: 'probe', version: srcHash.slice(0, 8), nodeRef: 'probe', from: 'scratch', files: { [bin]: '/probe' }, user: '65532:65532', entrypoint: ['/probe'] },
        { src: srcHash },
        rootfsRef(NET_ROOTFS).image,
        this.log,
      );
      await runKind(['load', 'docker-image', img.ref, '--name', this.clusterName], { log: this.log, prefix: 'kind load: ' });
      // kind skips the load when an image of the same ID is on a node under another name (e.g. the
      // copy another test pulled from localhost:5001), so the name pods ask for may still be missing.
      for (const node of await clusterNodes(this.clusterName)) {
        const named = (): boolean => spawnSync('docker', ['exec', node, 'crictl', 'inspecti', img.ref], { stdio: 'ignore' }).status === 0;
        if (!named()) {
          const save = spawnSync('sh', ['-c', `docker save ${img.ref} | docker exec -i ${node} ctr -n k8s.io images import -`], { encoding: 'utf8' });
          if (save.status !== 0 || !named()) throw new Error(`could not import ${img.ref} into ${node}: ${save.stderr}`);
        }
      }
      this.image = img.ref;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    await this.core.createNamespace({ body: { metadata: { name: this.namespace } } });
  }

  /** A pod spec running the probe with `args`, non-root, read-only, no capabilities. */
  pod(name: string, args: string[], labels: Record<string, string> = {}): k8s.V1Pod {
    return {
      metadata: { name, namespace: this.namespace, labels: { app: name, ...labels } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'probe',
            image: this.image,
            imagePullPolicy: 'Never',
            args,
            securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
          },
        ],
      },
    };
  }

  /** Runs the probe once in a new pod; returns whether it exited 0 and what it printed. */
  async run(name: string, args: string[], labels: Record<string, string> = {}): Promise<{ ok: boolean; log: string }> {
    await this.core.createNamespacedPod({ namespace: this.namespace, body: this.pod(name, args, labels) });
    const phase = await poll(`probe pod ${name} to finish`, async () => {
      const p = await this.core.readNamespacedPod({ name, namespace: this.namespace });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    const text = await this.core.readNamespacedPodLog({ name, namespace: this.namespace });
    return { ok: phase === 'Succeeded', log: String(text).trim() };
  }

  async teardown(): Promise<void> {
    await this.core.deleteNamespace({ name: this.namespace }).catch(() => undefined);
  }
}
