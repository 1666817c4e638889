/**
 * The control plane the `api` tier runs against behaves like a cluster: the controller-manager
 * turns a Deployment into a ReplicaSet and a Pod, the scheduler binds the Pod to the kwok node,
 * kwok makes it Running, deletion cascades, and the API server validates objects server-side.
 */
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KUBERNETES_VERSION } from '../../scripts/lib/tools/index.ts';
import { poll } from '../../scripts/lib/poll.ts';

const cp = inject('controlPlane');
const kc = new k8s.KubeConfig();
kc.loadFromString(cp.kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

const namespace = `cp-${Date.now().toString(36)}`;
const labels = { app: 'hello' };

function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return poll(what, fn, { timeoutMs, intervalMs: 300 });
}

/** A request with the kubeconfig's client certificate, for bodies the typed client would rewrite. */
async function rawRequest(method: string, urlPath: string, body: unknown): Promise<{ status: number; body: string }> {
  const url = new URL(urlPath, cp.server);
  const opts: https.RequestOptions = { method, headers: { 'content-type': 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function statusCode(e: unknown): number | undefined {
  return e instanceof k8s.ApiException ? e.code : undefined;
}

/** The Status object the API server answered with (client-node keeps the raw body). */
function statusBody(e: unknown): k8s.V1Status {
  const body = e instanceof k8s.ApiException ? (e.body as unknown) : undefined;
  return (typeof body === 'string' ? JSON.parse(body) : body ?? {}) as k8s.V1Status;
}

describe('control plane', () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('runs the pinned Kubernetes release on loopback', async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toBe(KUBERNETES_VERSION);
    expect(cp.kubernetesVersion).toBe(KUBERNETES_VERSION);
  });

  it('reconciles a Deployment into a Running pod on the kwok node, and deletes it again', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'hello', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'hello', image: 'registry.invalid/hello:1', ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
    });

    // kube-controller-manager's deployment controller creates the ReplicaSet...
    const rs = await eventually('a ReplicaSet owned by the Deployment', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace });
      return list.items.find((r) => r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === 'hello'));
    });
    expect(rs.spec?.replicas).toBe(1);

    // ...its replicaset controller the Pod, kube-scheduler binds it, kwok runs it.
    const pod = await eventually('a Running pod of the ReplicaSet', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=hello' });
      return list.items.find((p) => p.status?.phase === 'Running');
    });
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata?.name });
    expect(pod.spec?.nodeName).toBe(cp.nodeName);
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');

    const ready = await eventually('Deployment availableReplicas=1', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'hello', namespace });
      return d.status?.availableReplicas === 1 ? d : undefined;
    });
    expect(ready.status?.readyReplicas).toBe(1);

    // Foreground deletion: the garbage collector removes the ReplicaSet and the pod first.
    await apps.deleteNamespacedDeployment({ name: 'hello', namespace, body: { propagationPolicy: 'Foreground' } });
    await eventually('Deployment, ReplicaSet and pods gone', async () => {
      const [d, r, p] = await Promise.all([
        apps.listNamespacedDeployment({ namespace }),
        apps.listNamespacedReplicaSet({ namespace }),
        core.listNamespacedPod({ namespace }),
      ]);
      return d.items.length + r.items.length + p.items.length === 0 ? true : undefined;
    });
  });

  it('rejects an invalid object with server-side validation', async () => {
    // A name that is not a DNS-1123 subdomain and a container without an image: 422 Invalid.
    const err = await apps
      .createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: 'Not_A_Valid_Name' },
          spec: {
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: '' }] } },
          },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusCode(err)).toBe(422);
    const body = statusBody(err);
    expect(body.reason).toBe('Invalid');
    const fields = body.details?.causes?.map((c) => c.field) ?? [];
    expect(fields).toContain('metadata.name');
    expect(fields).toContain('spec.template.spec.containers[0].image');
  });

  it('rejects a field the schema does not know when asked to validate strictly', async () => {
    // Sent raw: client-node's typed serializer would drop the unknown field before it leaves.
    const res = await rawRequest('POST', `/api/v1/namespaces/${namespace}/configmaps?fieldValidation=Strict`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'strict' },
      data: { a: 'b' },
      notAField: true,
    });
    expect(res.status).toBe(400);
    const status = JSON.parse(res.body) as k8s.V1Status;
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toContain('unknown field "notAField"');
    await expect(core.readNamespacedConfigMap({ name: 'strict', namespace })).rejects.toMatchObject({ code: 404 });
  });
});
