/**
 * One model of a rendered release, used by `npm run render`, `npm run verify`, the SSO stack and
 * the tests alike:
 *   - renderRelease(): `helm template` of the umbrella chart with ONE subchart resolution per
 *     process (the real Backstage chart when available, else the stand-in; see chart.ts);
 *   - Release: the typed view of the objects (Deployment, pod spec, containers, Secrets, ...);
 *   - containerEnv(): the env Kubernetes would give a container (envFrom, env, secretKeyRef);
 *   - referencedSecrets(): the Secrets a pod spec reads;
 *   - hardeningProblems(): the pod hardening rules, checked at render time and on a live cluster.
 */
import type { V1ConfigMap, V1Container, V1Deployment, V1NetworkPolicy, V1PodSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import { rmSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { backstageAppConfig } from './app-config.ts';
import { assembleChart, helmTemplate, objectKey, resolveBackstageChart, type K8sObject, type RenderOptions, type SubchartMode, type SubchartSource } from './assemble.ts';

export type { K8sObject };

/** A rendered (or live) release: objects by kind/name with typed accessors. */
export class Release {
  readonly byKey = new Map<string, K8sObject>();
  readonly objects: K8sObject[];
  readonly text: string;
  constructor(objects: K8sObject[], text = '') {
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
  /** Backstage's configuration as the chart hands it over (sign-in configuration, then appConfig). */
  appConfig(): Record<string, any> {
    return backstageAppConfig(this.all<K8sObject & V1ConfigMap>('ConfigMap'), parseYaml);
  }
  /** Every pod spec in the release (Deployments, StatefulSets, Jobs, bare Pods such as test hooks). */
  podSpecs(): { owner: string; spec: V1PodSpec }[] {
    return this.objects.flatMap((o) => {
      const spec = podSpecOf(o);
      return spec ? [{ owner: objectKey(o), spec }] : [];
    });
  }
  /** Every image the release runs, sorted. */
  images(): string[] {
    const set = new Set<string>();
    for (const { spec } of this.podSpecs()) for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) if (c.image) set.add(c.image);
    return [...set].sort();
  }
  /** The env Kubernetes would give container `c` (see containerEnv). */
  envOf(c: V1Container): Record<string, string> {
    return containerEnv(this.objects, c);
  }
}

/** The pod spec of a workload or bare Pod, if it has one. */
export function podSpecOf(o: K8sObject): V1PodSpec | undefined {
  const spec = o.spec as ({ template?: { spec?: V1PodSpec }; jobTemplate?: { spec?: { template?: { spec?: V1PodSpec } } } } & V1PodSpec) | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec;
  return spec.template?.spec ?? spec.jobTemplate?.spec?.template?.spec;
}

/** Secret names a pod spec reads (env, envFrom, volumes, projected volumes). */
export function referencedSecrets(spec: V1PodSpec): string[] {
  const names = new Set<string>();
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret?.name) names.add(s.secret.name);
  }
  return [...names].sort();
}

function find<T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} is not in the rendered release`);
  return o as T;
}

/** The env Kubernetes would give the container, from the rendered ConfigMaps and Secrets. */
export function containerEnv(objects: K8sObject[], c: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef?.name) Object.assign(env, find<K8sObject & V1ConfigMap>(objects, 'ConfigMap', from.configMapRef.name).data);
    if (from.secretRef?.name) {
      const s = find<K8sObject & V1Secret>(objects, 'Secret', from.secretRef.name);
      for (const [k, v] of Object.entries(s.data ?? {})) env[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      // optional: Kubernetes leaves the variable unset when the Secret or its key is missing.
      if (ref.optional && !objects.some((o) => o.kind === 'Secret' && o.metadata.name === ref.name && (o as K8sObject & V1Secret).data?.[ref.key] !== undefined)) continue;
      const s = find<K8sObject & V1Secret>(objects, 'Secret', ref.name!);
      const raw = s.data?.[ref.key];
      if (raw === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key} (needed by ${e.name})`);
      env[e.name] = Buffer.from(raw, 'base64').toString('utf8');
    } else if (e.valueFrom) {
      throw new Error(`env ${e.name} uses a valueFrom this launcher does not resolve`);
    } else {
      env[e.name] = e.value ?? '';
    }
  }
  return env;
}

/**
 * The hardening rules every container we run must meet; returns what is wrong (empty: hardened).
 * Non-root, read-only root filesystem, no privilege escalation, not privileged, ALL capabilities
 * dropped and none added, seccomp RuntimeDefault (container or pod level).
 */
export function hardeningProblems(c: V1Container, pod: V1PodSpec): string[] {
  const sc = c.securityContext ?? {};
  const problems: string[] = [];
  if ((sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true');
  const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
  if (uid === 0) problems.push('runAsUser is 0 (root)');
  if (sc.readOnlyRootFilesystem !== true) problems.push('root filesystem is writable');
  if (sc.allowPrivilegeEscalation !== false) problems.push('privilege escalation allowed');
  if (sc.privileged) problems.push('privileged');
  if (JSON.stringify(sc.capabilities?.drop ?? []) !== '["ALL"]') problems.push('capabilities not dropped');
  if ((sc.capabilities?.add ?? []).length) problems.push(`capabilities added: ${sc.capabilities!.add!.join(',')}`);
  if ((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type !== 'RuntimeDefault') problems.push('seccomp is not RuntimeDefault');
  return problems;
}

/** Every hardening problem of every container in the pod specs given, as `<owner> <container>: <problem>`. */
export function releaseHardening(specs: { owner: string; spec: V1PodSpec }[]): string[] {
  return specs.flatMap(({ owner, spec }) =>
    [...spec.containers, ...(spec.initContainers ?? [])].flatMap((c) => hardeningProblems(c, spec).map((p) => `${owner} ${c.name}: ${p}`)),
  );
}

// ---- rendering ---------------------------------------------------------------------------------

const sources = new Map<SubchartMode, Promise<SubchartSource>>();
const assembled = new Map<string, Promise<string>>();

/** The Backstage subchart for `mode`, resolved once per process (offline, each try costs a helm run). */
export function subchartFor(mode: SubchartMode = 'auto', log?: (l: string) => void): Promise<SubchartSource> {
  let p = sources.get(mode);
  if (!p) {
    p = resolveBackstageChart(mode, log);
    sources.set(mode, p);
    p.catch(() => sources.delete(mode));
  }
  return p;
}

/** The umbrella chart assembled with `source`, once per process (removed at exit). */
export function chartDirFor(source: SubchartSource): Promise<string> {
  let p = assembled.get(source.path);
  if (!p) {
    p = assembleChart(source);
    assembled.set(source.path, p);
    p.then((dir) => process.once('exit', () => rmSync(dir, { recursive: true, force: true })), () => assembled.delete(source.path));
  }
  return p;
}

/** Renders the umbrella chart into a Release; throws with helm's message when the render fails. */
export async function renderRelease(opts: RenderOptions & { source?: SubchartSource; subchart?: SubchartMode } = {}): Promise<Release> {
  const source = opts.source ?? (await subchartFor(opts.subchart ?? 'auto', () => {}));
  const res = await helmTemplate(await chartDirFor(source), { release: 'backstage', namespace: 'backstage', ...opts });
  if (!res.ok) throw new Error(`helm template failed:\n${res.stderr}`);
  return new Release(res.objects, res.stdout);
}
