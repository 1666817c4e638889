/**
 * Test access to the umbrella chart: one assembled chart per test file (real Backstage chart when
 * available, otherwise the stand-in; see scripts/lib/chart.ts), rendered with the real helm binary
 * into typed objects.
 */
import { afterAll, inject } from 'vitest';
import path from 'node:path';
import type { V1ConfigMap, V1Container, V1Deployment, V1NetworkPolicy, V1PodSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import { assembleChart, helmTemplate, objectKey, removeChart, type K8sObject, type RenderOptions, type SubchartSource } from '../../scripts/lib/chart.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

export const EXAMPLE_VALUES = path.join(repoRoot, 'values', 'example.yaml');
export const USER_VALUES = path.join(repoRoot, 'values', 'values-backstage-keycloak.yaml');

let assembled: Promise<string> | undefined;

// Registered while the test file is collected (this module is imported by it), so it always runs.
afterAll(async () => {
  if (assembled) await removeChart(await assembled);
});

/** The Backstage subchart chosen by the global setup for this run. */
export function backstageChart(): SubchartSource {
  return inject('backstageChart');
}

/** Directory of the umbrella chart assembled with the chosen subchart (once per test file). */
export function chartDir(): Promise<string> {
  assembled ??= assembleChart(backstageChart());
  return assembled;
}

/** A rendered release: objects by kind/name with typed accessors. */
export class Manifest {
  readonly byKey = new Map<string, K8sObject>();
  readonly objects: K8sObject[];
  readonly text: string;
  constructor(objects: K8sObject[], text: string) {
    this.objects = objects;
    this.text = text;
    for (const o of objects) this.byKey.set(objectKey(o), o);
  }
  all<T = K8sObject>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind) as T[];
  }
  get<T = K8sObject>(kind: string, name: string): T {
    const o = this.byKey.get(`${kind}/${name}`);
    if (!o) throw new Error(`${kind}/${name} not rendered; have: ${[...this.byKey.keys()].join(', ')}`);
    return o as T;
  }
  has(kind: string, name: string): boolean {
    return this.byKey.has(`${kind}/${name}`);
  }
  /** The single Backstage Deployment. */
  deployment(): V1Deployment {
    const ds = this.all<V1Deployment>('Deployment').filter((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'backstage');
    if (ds.length !== 1) throw new Error(`expected one Backstage Deployment, got ${ds.length}`);
    return ds[0]!;
  }
  podSpec(): V1PodSpec {
    return this.deployment().spec!.template.spec!;
  }
  container(name: string): V1Container {
    const c = this.podSpec().containers.find((x) => x.name === name);
    if (!c) throw new Error(`container ${name} not in the Backstage pod`);
    return c;
  }
  sidecar(): V1Container {
    return this.container('oauth2-proxy');
  }
  backstage(): V1Container {
    return this.container('backstage-backend');
  }
  configMap(name: string): V1ConfigMap {
    return this.get<V1ConfigMap>('ConfigMap', name);
  }
  secret(name: string): V1Secret {
    return this.get<V1Secret>('Secret', name);
  }
  service(): V1Service {
    const s = this.all<V1Service>('Service').filter((x) => x.metadata?.labels?.['app.kubernetes.io/component'] === 'backstage');
    if (s.length !== 1) throw new Error(`expected one Backstage Service, got ${s.length}`);
    return s[0]!;
  }
  networkPolicies(): V1NetworkPolicy[] {
    return this.all<V1NetworkPolicy>('NetworkPolicy');
  }
  /** Decoded data of a Secret. */
  secretData(name: string): Record<string, string> {
    const data = this.secret(name).data ?? {};
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }
  /** Every pod spec in the release (Deployments, StatefulSets, bare Pods such as test hooks). */
  podSpecs(): { owner: string; spec: V1PodSpec }[] {
    const out: { owner: string; spec: V1PodSpec }[] = [];
    for (const o of this.objects) {
      const spec = (o as { spec?: { template?: { spec?: V1PodSpec } } & V1PodSpec }).spec;
      if (o.kind === 'Pod' && spec) out.push({ owner: objectKey(o), spec });
      else if (spec?.template?.spec) out.push({ owner: objectKey(o), spec: spec.template.spec });
    }
    return out;
  }
}

/** Renders the chart with the example values plus `opts`; throws with helm's message on failure. */
export async function render(opts: RenderOptions & { noExample?: boolean } = {}): Promise<Manifest> {
  const valuesFiles = opts.noExample ? (opts.valuesFiles ?? []) : [EXAMPLE_VALUES, ...(opts.valuesFiles ?? [])];
  const res = await helmTemplate(await chartDir(), { ...opts, valuesFiles, release: opts.release ?? 'backstage', namespace: opts.namespace ?? 'backstage' });
  if (!res.ok) throw new Error(`helm template failed:\n${res.stderr}`);
  return new Manifest(res.objects, res.stdout);
}

/** Renders expecting failure; returns helm's error output. */
export async function renderError(opts: RenderOptions & { noExample?: boolean } = {}): Promise<string> {
  const valuesFiles = opts.noExample ? (opts.valuesFiles ?? []) : [EXAMPLE_VALUES, ...(opts.valuesFiles ?? [])];
  const res = await helmTemplate(await chartDir(), { ...opts, valuesFiles, release: opts.release ?? 'backstage', namespace: opts.namespace ?? 'backstage' });
  if (res.ok) throw new Error('helm template succeeded but a failure was expected');
  return res.stderr;
}

/** Env of a container as name -> value, and name -> secretKeyRef. */
export function envOf(c: V1Container): { values: Record<string, string>; secretRefs: Record<string, { name: string; key: string }> } {
  const values: Record<string, string> = {};
  const secretRefs: Record<string, { name: string; key: string }> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) secretRefs[e.name] = { name: e.valueFrom.secretKeyRef.name!, key: e.valueFrom.secretKeyRef.key };
    else values[e.name] = e.value ?? '';
  }
  return { values, secretRefs };
}
