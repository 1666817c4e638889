/**
 * A read-only stand-in for the Kubernetes API, just enough for Helm to render against "a cluster":
 * discovery (/version, /api, /apis and one resource list per group version) and GET of single
 * objects and of lists, answered from a fixed set of objects. Everything else is 404 NotFound, which
 * is what `lookup` turns into an empty map. Writes are refused (405): the renders that use it are
 * `helm template --dry-run=server`, which read and never write.
 *
 * Why: `lookup` only answers when Helm talks to a cluster (helm install/upgrade, helm-controller,
 * `--dry-run=server`); under `helm template` it returns an empty map for everything. This server
 * lets the unit tier render "with a cluster" (an existing namespace, a stored Secret) without one.
 * Measured with Helm 4.2.4 and 3.22.0: `template --dry-run=server` reads /version, the discovery
 * documents and then the looked-up objects; Helm 4 also downloads the OpenAPI document unless
 * --disable-openapi-validation is given (this server has none).
 *
 *   const api = await startFakeApiServer([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }]);
 *   ... KUBECONFIG=api.kubeconfig ...
 *   await api.stop();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Kinds the chart renders or looks up: group version -> [kind, plural, namespaced]. */
const RESOURCES: Record<string, [string, string, boolean][]> = {
  v1: [
    ['Namespace', 'namespaces', false],
    ['ConfigMap', 'configmaps', true],
    ['Secret', 'secrets', true],
    ['Service', 'services', true],
    ['ServiceAccount', 'serviceaccounts', true],
    ['Pod', 'pods', true],
    ['PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ],
  'apps/v1': [
    ['Deployment', 'deployments', true],
    ['StatefulSet', 'statefulsets', true],
  ],
  'batch/v1': [['Job', 'jobs', true]],
  'networking.k8s.io/v1': [
    ['NetworkPolicy', 'networkpolicies', true],
    ['Ingress', 'ingresses', true],
  ],
  'policy/v1': [['PodDisruptionBudget', 'poddisruptionbudgets', true]],
  'autoscaling/v2': [['HorizontalPodAutoscaler', 'horizontalpodautoscalers', true]],
  'rbac.authorization.k8s.io/v1': [
    ['Role', 'roles', true],
    ['RoleBinding', 'rolebindings', true],
  ],
  'gateway.networking.k8s.io/v1': [['HTTPRoute', 'httproutes', true]],
  'monitoring.coreos.com/v1': [['ServiceMonitor', 'servicemonitors', true]],
};

export interface FakeApiServer {
  /** Path of a kubeconfig pointing at this server. */
  kubeconfig: string;
  /** Every request line received, e.g. "GET /api/v1/namespaces/kube-system". */
  requests: string[];
  stop(): Promise<void>;
}

function pluralOf(apiVersion: string, kind: string): string | undefined {
  return RESOURCES[apiVersion]?.find(([k]) => k === kind)?.[1];
}

/** The URL path of an object, as the API serves it. */
function objectPath(o: ApiObject): string {
  const plural = pluralOf(o.apiVersion, o.kind);
  if (!plural) throw new Error(`fake API server: ${o.apiVersion} ${o.kind} is not served; add it to RESOURCES`);
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return o.metadata.namespace ? `${base}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}` : `${base}/${plural}/${o.metadata.name}`;
}

export async function startFakeApiServer(objects: ApiObject[], opts: { kubeVersion?: string } = {}): Promise<FakeApiServer> {
  const [major, minor] = (opts.kubeVersion ?? '1.33.0').split('.');
  const store = new Map(objects.map((o) => [objectPath(o), o]));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const notFound = (): void => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${url.pathname} not found` });
    if (req.method !== 'GET') return send(405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'read-only fake API server' });
    const p = url.pathname.replace(/\/$/, '');
    if (p === '/version') return send(200, { major, minor, gitVersion: `v${opts.kubeVersion ?? '1.33.0'}`, platform: 'linux/amd64' });
    if (p === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (p === '/apis') {
      const groups = Object.keys(RESOURCES)
        .filter((gv) => gv !== 'v1')
        .map((gv) => {
          const [group, version] = gv.split('/') as [string, string];
          return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        });
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const gv = p === '/api/v1' ? 'v1' : p.match(/^\/apis\/([^/]+\/[^/]+)$/)?.[1];
    if (gv && RESOURCES[gv]) {
      const resources = RESOURCES[gv].map(([kind, name, namespaced]) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['get', 'list'] }));
      return send(200, { kind: 'APIResourceList', groupVersion: gv, resources });
    }
    const hit = store.get(p);
    if (hit) return send(200, hit);
    // A list (the last segment is a plural): Helm's release storage lists its Secrets this way.
    const plural = p.split('/').pop() ?? '';
    const listed = Object.values(RESOURCES).flat().find(([, name]) => name === plural);
    if (listed) {
      const items = [...store].filter(([k]) => k.startsWith(`${p}/`)).map(([, o]) => o);
      return send(200, { kind: `${listed[0]}List`, apiVersion: 'v1', metadata: {}, items });
    }
    return notFound();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-fake-api-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'fake', user: { token: 'fake' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    }),
  );
  return {
    kubeconfig,
    requests,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The objects every namespace of a real cluster has (Kubernetes 1.21+), and kube-system. */
export function clusterBasics(namespace: string): ApiObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace }, data: { 'ca.crt': 'fake' } },
  ];
}
