/**
 * The kind cluster on the offline node image behaves like a cluster: the node is Ready with the
 * pinned Kubernetes, kube-system (control plane, kube-proxy, CoreDNS, kube-router, local-path
 * storage) runs, CoreDNS resolves Service names, a pod from an image built here (never pulled)
 * serves a page through the kind port mapping on 127.0.0.1, kube-router enforces NetworkPolicy, a
 * PersistentVolumeClaim gets a volume, the node pulls from the local registry (localhost:5001), and
 * the host's kernel settings are what they were before.
 */
import { execFileSync } from 'node:child_process';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryUp } from '../../scripts/images/registry.ts';
import { REGISTRY } from '../../scripts/kind/cluster.ts';
import { KUBERNETES_VERSION, KUBE_ROUTER_VERSION } from '../../scripts/lib/tools/index.ts';
import { poll } from '../../scripts/lib/poll.ts';
import { clusterApi } from './kube.ts';
import { ProbePods } from './probe-pods.ts';
import { readHostSysctls, sysctlChanges } from './sysctls.ts';

const { cluster, kc, core, apps, net: netv1 } = clusterApi();

const ns = `bk-cluster-${Date.now().toString(36)}`;
/** NodePort behind the 127.0.0.1:7007 mapping of dev/kind/cluster.yaml. */
const NODE_PORT = 30080;
const HOST_PORT = 7007;
let probeImage = '';

const log = (l: string) => process.stderr.write(`[cluster test] ${l}\n`);

function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return poll(what, fn, { timeoutMs, intervalMs: 500 });
}

const probes = new ProbePods(kc, cluster.name, ns, log);
const probePod = (name: string, args: string[], labels: Record<string, string> = {}): k8s.V1Pod => probes.pod(name, args, labels);
const runProbe = (name: string, args: string[], labels: Record<string, string> = {}): Promise<{ ok: boolean; log: string }> => probes.run(name, args, labels);

beforeAll(async () => {
  await probes.setup(); // the probe image on the node, and the namespace
  probeImage = probes.image;
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ ...probePod('web', ['serve', ':8080']).spec!.containers[0]!, ports: [{ containerPort: 8080 }] }] } },
      },
    },
  });
  await core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'web', namespace: ns }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 8080, nodePort: NODE_PORT }] } },
  });
  await eventually('web to be available', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    return (d.status?.availableReplicas ?? 0) >= 1 ? true : undefined;
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  // The NodePort is shared with the chart's Backstage Service: wait until it is released.
  await eventually(`namespace ${ns} to be gone`, async () => ((await core.listNamespace()).items.some((n) => n.metadata?.name === ns) ? undefined : true), 120_000).catch(() => undefined);
});

describe(`kind cluster "${cluster.name}" on ${cluster.image}`, () => {
  it(`has Ready nodes (a control plane, and the workers asked for) running Kubernetes ${KUBERNETES_VERSION}, all from the one node image`, async () => {
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata!.name).sort()).toEqual([...cluster.nodes].sort());
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, node.metadata!.name).toBe('True');
      expect(node.status?.nodeInfo?.kubeletVersion).toBe(KUBERNETES_VERSION);
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/2\.3\.4/);
    }
    // With workers, workloads run on them only: the control plane keeps its NoSchedule taint.
    const cp = nodes.find((n) => n.metadata!.name === cluster.nodeContainer)!;
    if (nodes.length > 1) expect(cp.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toContain('node-role.kubernetes.io/control-plane:NoSchedule');
    log(`create took ${(cluster.createMs / 1000).toFixed(1)}s${cluster.reused ? ' (reused)' : ''}`);
  });

  it('runs kube-system: control plane, kube-proxy, CoreDNS, kube-router, local-path storage', async () => {
    const pods = [...(await core.listNamespacedPod({ namespace: 'kube-system' })).items, ...(await core.listNamespacedPod({ namespace: 'local-path-storage' })).items];
    const ready = (prefix: string) => pods.some((p) => p.metadata!.name!.startsWith(prefix) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    for (const c of ['etcd-', 'kube-apiserver-', 'kube-controller-manager-', 'kube-scheduler-', 'kube-proxy-', 'coredns-', 'kube-router-', 'local-path-provisioner-']) {
      expect(ready(c), `${c}* Ready`).toBe(true);
    }
    const router = pods.find((p) => p.metadata!.name!.startsWith('kube-router-'))!;
    expect(router.spec!.containers[0]!.image).toBe(`docker.io/bk-kind/kube-router:${KUBE_ROUTER_VERSION}`);
  });

  it('resolves a Service name through CoreDNS and reaches the Service from a pod', async () => {
    const svc = await core.readNamespacedService({ name: 'web', namespace: ns });
    const lookup = await runProbe('dns', ['lookup', `web.${ns}.svc.cluster.local`]);
    expect(lookup.ok, lookup.log).toBe(true);
    expect(lookup.log.split(/\s+/)).toContain(svc.spec!.clusterIP);
    const get = await runProbe('svc-get', ['get', `http://web.${ns}:8080/`]);
    expect(get.ok, get.log).toBe(true);
    expect(get.log).toMatch(/^probe web-/);
  });

  it(`serves a pod's page on 127.0.0.1:${HOST_PORT} through the kind port mapping (NodePort ${NODE_PORT})`, async () => {
    const body = await eventually(`http://127.0.0.1:${HOST_PORT}/`, async () => {
      const res = await fetch(`http://127.0.0.1:${HOST_PORT}/`, { signal: AbortSignal.timeout(5000) });
      return res.status === 200 ? res.text() : undefined;
    });
    expect(body).toMatch(/^probe web-/);
  });

  it('enforces NetworkPolicy (kube-router): a deny-all ingress policy blocks pod-to-pod traffic, an allow rule lets the selected client in', async () => {
    const web = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items[0]!;
    const url = `http://${web.status!.podIP}:8080/`;
    const before = await runProbe('np-before', ['get', url, '3s', '5']);
    expect(before.ok, `pod-to-pod before any policy: ${before.log}`).toBe(true);

    await netv1.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: 'deny-all-ingress', namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    });
    // kube-router syncs policies asynchronously: a blocked attempt is expected within seconds.
    let blocked: { ok: boolean; log: string } | undefined;
    for (let i = 0; i < 10 && !blocked; i++) {
      const r = await runProbe(`np-denied-${i}`, ['get', url, '2s']);
      if (!r.ok) blocked = r;
    }
    expect(blocked, 'a pod reached the web pod despite the deny-all ingress policy').toBeDefined();
    expect(blocked!.log).toMatch(/timeout|deadline|refused|unreachable/i);

    await netv1.createNamespacedNetworkPolicy({
      namespace: ns,
      body: {
        metadata: { name: 'allow-clients', namespace: ns },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] },
      },
    });
    // A new pod's address joins the policy's allowed set once kube-router has seen the pod: the
    // client retries for up to ~60 s.
    const allowed = await runProbe('np-allowed', ['get', url, '2s', '20'], { role: 'client' });
    expect(allowed.ok, `the client selected by the allow policy could not reach the web pod: ${allowed.log}`).toBe(true);
    const stillDenied = await runProbe('np-still-denied', ['get', url, '2s', '3']);
    expect(stillDenied.ok, 'an unlabelled pod reached the web pod').toBe(false);
  });

  it('binds a PersistentVolumeClaim through the default StorageClass (local-path-provisioner)', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { metadata: { name: 'data', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } },
    });
    const pod = probePod('pvc-user', ['serve', ':8081']);
    pod.spec!.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    pod.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    pod.spec!.restartPolicy = 'Always';
    await core.createNamespacedPod({ namespace: ns, body: pod });
    const phase = await eventually('the PVC to be Bound', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns });
      return c.status?.phase === 'Bound' ? c.status.phase : undefined;
    }, 180_000);
    expect(phase).toBe('Bound');
    const sc = (await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns })).spec?.storageClassName;
    expect(sc).toBe('standard');
  });

  it(`pulls an image pushed to the local registry as localhost:${REGISTRY.hostPort} (containerd certs.d -> ${REGISTRY.container}:${REGISTRY.containerPort})`, async () => {
    await registryUp({ log });
    // A copy with its own image ID: once the kubelet has PULLED an image ID, it refuses pods that
    // use that ID under another name with imagePullPolicy Never (Kubernetes 1.36 verifies the pull
    // credentials of pulled images: ErrImageNeverPull "is not present"), which would break the
    // other files' probe pods that use the kind-loaded name.
    const pushed = `localhost:${REGISTRY.hostPort}/bk-kind/probe-pull-test:${probeImage.split(':')[1]}`;
    const tmp = execFileSync('docker', ['create', probeImage]).toString().trim();
    try {
      execFileSync('docker', ['commit', '--change', 'LABEL io.backstage-keycloak.pull-test=true', tmp, pushed], { stdio: 'pipe' });
    } finally {
      execFileSync('docker', ['rm', tmp], { stdio: 'pipe' });
    }
    execFileSync('docker', ['push', pushed], { stdio: 'pipe' });
    const pod = probePod('from-registry', ['lookup', 'kubernetes.default.svc.cluster.local']);
    pod.spec!.containers[0]!.image = pushed;
    pod.spec!.containers[0]!.imagePullPolicy = 'Always';
    await core.createNamespacedPod({ namespace: ns, body: pod });
    const phase = await eventually('the pod from the registry to finish', async () => {
      const p = await core.readNamespacedPod({ name: 'from-registry', namespace: ns });
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting && /ErrImagePull|ImagePullBackOff/.test(waiting.reason ?? '')) throw new Error(`${waiting.reason}: ${waiting.message}`);
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    });
    expect(phase).toBe('Succeeded');
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=from-registry' })).items;
    expect(events.some((e) => e.reason === 'Pulled' || e.reason === 'Pulling'), events.map((e) => `${e.reason}: ${e.message}`).join('\n')).toBe(true);
  });

  it('leaves the host kernel settings as they were before the cluster started', () => {
    const changes = sysctlChanges(cluster.sysctlsBefore, readHostSysctls());
    expect(changes, changes.join('\n')).toEqual([]);
  });
});
