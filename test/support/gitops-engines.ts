/**
 * Renders the chart the way Argo CD and Flux do, from their own objects (an Application; a
 * GitRepository plus a HelmRelease), so the examples under examples/ are tested as those engines
 * would use them. We reproduce the documented semantics with the real helm binary rather than build
 * Argo CD's or Flux's Go modules (argo-cd v3 is a very large build for a 2-core machine); each rule
 * below names where it is documented.
 *
 * Argo CD (repo-server; https://argo-cd.readthedocs.io/en/stable/user-guide/helm/):
 *   - "Argo CD uses Helm only to inflate charts with `helm template`": no cluster, so `lookup`
 *     returns an empty map; the chart's own values.yaml always applies (it is in the chart).
 *   - releaseName defaults to the Application's name; the namespace is spec.destination.namespace.
 *   - valueFiles are paths relative to the chart (spec.source.path) in the same repository, then
 *     values / valuesObject (valuesObject wins), then parameters (--set), in that order.
 *   - the cluster's version and API versions are passed as --kube-version and --api-versions
 *     (spec.source.helm.kubeVersion / apiVersions override them); CRDs are included unless skipCrds.
 *   - Helm hooks map to Argo CD hooks: pre-install and pre-upgrade to PreSync, post-install and
 *     post-upgrade to PostSync, post-delete to PostDelete, hook-weight to the sync wave; the other
 *     hooks (test, test-success, test-failure, pre-delete, *-rollback) are not supported and are
 *     ignored: never applied. An argocd.argoproj.io/hook annotation replaces the Helm one.
 * Flux (https://fluxcd.io/flux/components/source/helmcharts/ and .../helm/helmreleases/):
 *   - source-controller packages a chart from a GitRepository; spec.chart.spec.valuesFiles are
 *     paths relative to the GitRepository root, merged in order (a later file wins, maps merge,
 *     lists are replaced), and the result is used AS the chart's values.yaml: the chart's own
 *     values.yaml is not included unless listed (first).
 *   - helm-controller merges spec.valuesFrom in order, then spec.values on top, and installs or
 *     upgrades with the Helm SDK against the cluster: `lookup` works and the values schema is
 *     enforced. Here that is `helm template --dry-run=server` against a read-only fake API server
 *     (fake-apiserver.ts): the same install action, with lookups, that writes nothing.
 *   - Helm hooks run as in Helm; `helm test` runs when spec.test.enable.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { $ } from 'zx';
import { parseManifests, type K8sObject } from '../../scripts/lib/chart/assemble.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { chartDir } from './chart.ts';
import { clusterBasics, startFakeApiServer, type ApiObject } from './fake-apiserver.ts';

type Obj = Record<string, any>;

export interface EngineRender {
  ok: boolean;
  stderr: string;
  /** helm's whole output (hooks included), for byte comparisons. */
  text: string;
  /** The objects the engine applies as the release's resources. */
  resources: K8sObject[];
  /** Hooks by the engine's phase (Argo CD: PreSync, PostSync, PostDelete; Flux: Helm's hook names). */
  hooks: Record<string, K8sObject[]>;
  /** Hooks the engine never applies (Argo CD: the unsupported Helm hooks, such as test). */
  ignored: K8sObject[];
}

/** The objects of a YAML file of examples/ (or any multi-document file), in order. */
export async function readObjects(file: string): Promise<Obj[]> {
  return parseAllDocuments(await readFile(path.resolve(repoRoot, file), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o === 'object');
}

/** Deep merge as Flux's transform.MergeMaps: maps merge key by key, anything else is replaced. */
export function mergeValues(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? mergeValues(b, v) : v;
  }
  return out;
}

async function yamlFile(file: string): Promise<Obj> {
  const [doc] = parseAllDocuments(await readFile(file, 'utf8'));
  return (doc?.toJS() as Obj | null) ?? {};
}

async function runHelm(args: string[], opts: { helmBin?: string; kubeconfig?: string }): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const helm = opts.helmBin ?? (await ensureTool('helm'));
  const home = await mkdtemp(path.join(os.tmpdir(), 'bk-engine-home-'));
  try {
    // A kubeconfig that points nowhere unless a (fake) cluster is given: nothing real is contacted.
    const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: opts.kubeconfig ?? path.join(home, 'no-kubeconfig') };
    const out = await $({ quiet: true, nothrow: true, env })`${helm} ${args}`;
    return { ok: out.ok, stdout: out.stdout, stderr: out.stderr };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

const ARGO_HOOKS: Record<string, string> = { 'pre-install': 'PreSync', 'pre-upgrade': 'PreSync', 'post-install': 'PostSync', 'post-upgrade': 'PostSync', 'post-delete': 'PostDelete' };

/** Splits helm's output the way Argo CD treats resources and hooks. */
function argoPhases(objects: K8sObject[]): Pick<EngineRender, 'resources' | 'hooks' | 'ignored'> {
  const resources: K8sObject[] = [];
  const hooks: Record<string, K8sObject[]> = {};
  const ignored: K8sObject[] = [];
  for (const o of objects) {
    const a = o.metadata.annotations ?? {};
    const argo = a['argocd.argoproj.io/hook'];
    const helm = a['helm.sh/hook'];
    const phases = argo ? argo.split(',').map((s) => s.trim()) : helm && helm !== 'crd-install' ? [...new Set(helm.split(',').map((s) => ARGO_HOOKS[s.trim()]).filter((p): p is string => !!p))] : null;
    if (phases === null) resources.push(o);
    else if (phases.length === 0) ignored.push(o);
    else for (const p of phases) hooks[p] = [...(hooks[p] ?? []), o];
  }
  return { resources, hooks, ignored };
}

/** Splits helm's output as Helm (and so helm-controller) does: hooks by their Helm hook names. */
function helmPhases(objects: K8sObject[]): Pick<EngineRender, 'resources' | 'hooks' | 'ignored'> {
  const resources: K8sObject[] = [];
  const hooks: Record<string, K8sObject[]> = {};
  for (const o of objects) {
    const helm = o.metadata.annotations?.['helm.sh/hook'];
    if (!helm) resources.push(o);
    else for (const h of helm.split(',').map((x) => x.trim())) hooks[h] = [...(hooks[h] ?? []), o];
  }
  return { resources, hooks, ignored: [] };
}

export interface ArgoCluster {
  kubeVersion: string;
  apiVersions: string[];
}

/** What a current cluster reports (the API tier's Kubernetes minor), with the Prometheus operator and Gateway API installed. */
export const ARGO_CLUSTER: ArgoCluster = {
  kubeVersion: '1.33.0',
  apiVersions: ['v1', 'apps/v1', 'batch/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'gateway.networking.k8s.io/v1', 'monitoring.coreos.com/v1', 'monitoring.coreos.com/v1/ServiceMonitor'],
};

/** Renders an Argo CD Application whose source is this repository (the chart at spec.source.path). */
export async function argoCdRender(app: Obj, opts: { helmBin?: string; cluster?: ArgoCluster } = {}): Promise<EngineRender> {
  const src = app.spec.source as Obj;
  if (src.chart) throw new Error('argoCdRender renders Git sources (spec.source.path), not chart repositories');
  const helm = (src.helm ?? {}) as Obj;
  const cluster = opts.cluster ?? ARGO_CLUSTER;
  const chartPath = path.resolve(repoRoot, src.path ?? '.');
  // The checkout of spec.source.path after Argo CD's `helm dependency build`: the assembled chart.
  const dir = await chartDir();
  const args = ['template', helm.releaseName ?? app.metadata.name, dir, '--namespace', app.spec.destination.namespace];
  for (const f of (helm.valueFiles ?? []) as string[]) {
    const file = path.resolve(chartPath, f);
    if (!file.startsWith(`${repoRoot}${path.sep}`)) throw new Error(`valueFiles ${f} is outside the repository, which Argo CD refuses`);
    args.push('--values', file);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-argo-'));
  try {
    const inline = helm.valuesObject ?? (typeof helm.values === 'string' ? (parseAllDocuments(helm.values)[0]?.toJS() as Obj | null) : null);
    if (inline) {
      await writeFile(path.join(tmp, 'values.yaml'), stringify(inline));
      args.push('--values', path.join(tmp, 'values.yaml'));
    }
    for (const p of (helm.parameters ?? []) as Obj[]) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
    args.push('--kube-version', helm.kubeVersion ?? cluster.kubeVersion);
    for (const v of (helm.apiVersions ?? cluster.apiVersions) as string[]) args.push('--api-versions', v);
    args.push(helm.skipCrds ? '--skip-crds' : '--include-crds');
    if (helm.skipTests) args.push('--skip-tests');
    if (helm.skipSchemaValidation) args.push('--skip-schema-validation');
    const out = await runHelm(args, opts);
    const objects = out.ok ? parseManifests(out.stdout) : [];
    return { ok: out.ok, stderr: out.stderr, text: out.stdout, ...argoPhases(objects) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface FluxOptions {
  helmBin?: string;
  /** Objects of the cluster helm-controller installs into (default: a cluster with the target namespace). */
  clusterObjects?: ApiObject[];
  /** ConfigMaps and Secrets that spec.valuesFrom names (data[valuesKey] is YAML). */
  valuesFrom?: Obj[];
}

/** Renders a Flux GitRepository + HelmRelease pair whose GitRepository is this repository. */
export async function fluxRender(docs: Obj[], opts: FluxOptions = {}): Promise<EngineRender> {
  const release = docs.find((d) => d.kind === 'HelmRelease');
  if (!release) throw new Error('no HelmRelease among the Flux objects');
  const chartSpec = release.spec.chart.spec as Obj;
  const repo = docs.find((d) => d.kind === chartSpec.sourceRef.kind && d.metadata.name === chartSpec.sourceRef.name);
  if (repo?.kind !== 'GitRepository') throw new Error('the HelmRelease must refer to a GitRepository among the same objects');
  if (path.resolve(repoRoot, chartSpec.chart) !== repoRoot) throw new Error(`spec.chart.spec.chart ${chartSpec.chart}: the chart is at the repository root (./)`);

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-flux-'));
  try {
    // source-controller: the chart as packaged, its values.yaml replaced by the merged valuesFiles.
    const chart = path.join(tmp, 'chart');
    await cp(await chartDir(), chart, { recursive: true });
    const valuesFiles = (chartSpec.valuesFiles ?? (chartSpec.valuesFile ? [chartSpec.valuesFile] : [])) as string[];
    if (valuesFiles.length > 0) {
      let merged: Obj = {};
      for (const f of valuesFiles) merged = mergeValues(merged, await yamlFile(path.resolve(repoRoot, f)));
      await writeFile(path.join(chart, 'values.yaml'), stringify(merged));
    }
    // helm-controller: valuesFrom in order, then spec.values.
    let user: Obj = {};
    for (const ref of (release.spec.valuesFrom ?? []) as Obj[]) {
      const src = (opts.valuesFrom ?? []).find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
      if (!src) {
        if (ref.optional) continue;
        throw new Error(`valuesFrom ${ref.kind}/${ref.name} is not among the given objects`);
      }
      if (ref.targetPath) throw new Error('valuesFrom targetPath is not reproduced here');
      const raw = src.kind === 'Secret' && src.data ? Buffer.from(src.data[ref.valuesKey ?? 'values.yaml'], 'base64').toString() : (src.data ?? src.stringData)[ref.valuesKey ?? 'values.yaml'];
      user = mergeValues(user, (parseAllDocuments(raw)[0]?.toJS() as Obj | null) ?? {});
    }
    user = mergeValues(user, release.spec.values ?? {});
    await writeFile(path.join(tmp, 'user-values.yaml'), stringify(user));

    const namespace = release.spec.targetNamespace ?? release.metadata.namespace;
    const name = release.spec.releaseName ?? (release.spec.targetNamespace ? `${release.spec.targetNamespace}-${release.metadata.name}` : release.metadata.name);
    const api = await startFakeApiServer(opts.clusterObjects ?? clusterBasics(namespace));
    try {
      const args = ['template', name, chart, '--namespace', namespace, '--values', path.join(tmp, 'user-values.yaml'), '--dry-run=server', '--disable-openapi-validation'];
      const out = await runHelm(args, { helmBin: opts.helmBin, kubeconfig: api.kubeconfig });
      const objects = out.ok ? parseManifests(out.stdout) : [];
      return { ok: out.ok, stderr: out.stderr, text: out.stdout, ...helmPhases(objects) };
    } finally {
      await api.stop();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Renders one file of examples/ with the engine its objects belong to, plus extra values and extra
 * values files of the repository (appended to the Application's valueFiles or the HelmRelease's
 * valuesFiles, as a user adds values/modes/native.yaml for a native sign-in mode).
 */
export async function renderExample(file: string, values: Obj = {}, opts: { helmBin?: string; valuesFiles?: string[] } = {}): Promise<EngineRender> {
  const docs = await readObjects(file);
  const app = docs.find((d) => d.kind === 'Application' && String(d.apiVersion).startsWith('argoproj.io/'));
  if (app) {
    const copy = structuredClone(app);
    copy.spec.source.helm = copy.spec.source.helm ?? {};
    copy.spec.source.helm.valueFiles = [...(copy.spec.source.helm.valueFiles ?? []), ...(opts.valuesFiles ?? [])];
    copy.spec.source.helm.valuesObject = mergeValues(copy.spec.source.helm.valuesObject ?? {}, values);
    return argoCdRender(copy, opts);
  }
  if (docs.some((d) => d.kind === 'HelmRelease')) {
    const copy = structuredClone(docs);
    const hr = copy.find((d) => d.kind === 'HelmRelease')!;
    hr.spec.chart.spec.valuesFiles = [...(hr.spec.chart.spec.valuesFiles ?? []), ...(opts.valuesFiles ?? [])];
    hr.spec.values = mergeValues(hr.spec.values ?? {}, values);
    return fluxRender(copy, opts);
  }
  throw new Error(`${file}: neither an Argo CD Application nor a Flux HelmRelease; teach test/support/gitops-engines.ts its engine`);
}

/**
 * `helm template --dry-run=server` of the chart against a fake cluster holding `clusterObjects`:
 * the install path of `helm install`/helm-controller, with `lookup` answering from those objects.
 */
export async function renderAgainstCluster(opts: { valuesFiles?: string[]; set?: string[]; clusterObjects: ApiObject[]; helmBin?: string; namespace?: string }): Promise<{ ok: boolean; stderr: string; text: string; objects: K8sObject[]; requests: string[] }> {
  const api = await startFakeApiServer(opts.clusterObjects);
  try {
    const args = ['template', 'backstage', await chartDir(), '--namespace', opts.namespace ?? 'backstage', '--dry-run=server', '--disable-openapi-validation'];
    for (const f of opts.valuesFiles ?? []) args.push('--values', f);
    for (const s of opts.set ?? []) args.push('--set', s);
    const out = await runHelm(args, { helmBin: opts.helmBin, kubeconfig: api.kubeconfig });
    return { ok: out.ok, stderr: out.stderr, text: out.stdout, objects: out.ok ? parseManifests(out.stdout) : [], requests: [...api.requests] };
  } finally {
    await api.stop();
  }
}
