/**
 * The production events of a release with two or more Backstage replicas, each under a signed-in
 * user's steady traffic (scripts/lib/bench/traffic.ts): a configuration upgrade, a proxy-settings
 * upgrade, a rollback, a chart upgrade from the previous version, a node drain through the
 * Eviction API, and a pod deleted. Each returns what the traffic saw and how long until every
 * replica was Ready again. Used by `npm run bench:upgrade` and the cluster tier (test/cluster/ha.test.ts).
 */
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import { type CookieJar, request } from '../http.ts';
import { backstageIdentity, loginThroughProxy } from '../login/proxy.ts';
import { packageChartAt, PREVIOUS_CHART_COMMIT } from '../chart/history.ts';
import { poll } from '../poll.ts';
import { startTraffic, type TrafficResult } from './traffic.ts';

type Log = (line: string) => void;

export interface HaRelease {
  kc: k8s.KubeConfig;
  /** Kubeconfig file and context helm uses (the same cluster as kc). */
  kubeconfig: string;
  context: string;
  helm: string;
  release: string;
  namespace: string;
  /** Values files of every install and upgrade, in order. */
  valuesFiles: string[];
  /** Public URL of Backstage (the kind port mapping on 127.0.0.1). */
  publicUrl: string;
  log: Log;
}

export interface Session {
  jar: CookieJar;
  token: string;
  user: string;
}

export interface EventResult {
  name: string;
  traffic: TrafficResult;
  /** Seconds from the start of the event until every replica was Ready again (the rollout settled). */
  readySeconds: number;
  /** What happened, in a few words (pods replaced, node drained, evictions refused by the PDB). */
  detail: string;
}

const BACKSTAGE = (r: HaRelease): string => `app.kubernetes.io/instance=${r.release},app.kubernetes.io/component=backstage`;

/** helm with the release's cluster. */
export async function helm(r: HaRelease, args: string[], timeoutMs = 900_000): Promise<string> {
  const out = await $({ quiet: true, nothrow: true, timeout: timeoutMs })`${r.helm} ${args} --kube-context ${r.context} --kubeconfig ${r.kubeconfig}`;
  if (!out.ok) throw new Error(`helm ${args.slice(0, 3).join(' ')} failed: ${out.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  return out.stdout;
}

/** `helm upgrade --install` of `chart` (an oci:// reference with flags, or a .tgz) with the release's values plus `set`. */
export async function upgrade(r: HaRelease, chart: { ref: string; flags: string[] }, set: string[] = []): Promise<void> {
  await helm(r, ['upgrade', '--install', r.release, chart.ref, ...chart.flags, '-n', r.namespace, '--create-namespace', ...r.valuesFiles.flatMap((f) => ['-f', f]), ...set.flatMap((s) => ['--set', s]), '--wait', '--timeout', '12m']);
}

/** Uninstalls the release and deletes its claims (a database left behind would not be fresh). */
export async function uninstall(r: HaRelease): Promise<void> {
  await $({ quiet: true, nothrow: true })`${r.helm} uninstall ${r.release} -n ${r.namespace} --wait --timeout 5m --kube-context ${r.context} --kubeconfig ${r.kubeconfig}`;
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: r.namespace, labelSelector: `app.kubernetes.io/instance=${r.release}` }).catch(() => ({ items: [] as k8s.V1PersistentVolumeClaim[] }));
  for (const pvc of claims.items) await core.deleteNamespacedPersistentVolumeClaim({ name: pvc.metadata!.name!, namespace: r.namespace });
}

/**
 * The start of the events: the release removed (with its data), then the previous chart
 * (scripts/lib/chart/history.ts, packaged into `dir`; `beforePackage` may pin its images) installed
 * with the release's values, every replica started at once on the fresh database. Returns the
 * chart's version and the seconds until every replica was Ready.
 */
export async function installPrevious(r: HaRelease, dir: string, beforePackage?: (chartDir: string) => Promise<void>): Promise<{ version: string; readySeconds: number }> {
  await uninstall(r);
  const previous = await packageChartAt(PREVIOUS_CHART_COMMIT, dir, r.log, beforePackage);
  const t0 = Date.now();
  await upgrade(r, { ref: previous.file, flags: [] });
  return { version: previous.version, readySeconds: await waitSettled(r, t0) };
}

/** The release's revision number now. */
export async function revision(r: HaRelease): Promise<number> {
  const list = JSON.parse(await helm(r, ['history', r.release, '-n', r.namespace, '-o', 'json'])) as { revision: number }[];
  return Math.max(...list.map((h) => h.revision));
}

/** The Backstage pods of the release that are not going away. */
export async function backstagePods(r: HaRelease): Promise<k8s.V1Pod[]> {
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  return (await core.listNamespacedPod({ namespace: r.namespace, labelSelector: BACKSTAGE(r) })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

const ready = (p: k8s.V1Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Waits until the Backstage Deployment has settled: every replica updated, Ready and available,
 * and no other Backstage pod left (old ones gone). Returns the seconds since `since`.
 */
export async function waitSettled(r: HaRelease, since: number, timeoutMs = 900_000): Promise<number> {
  const apps = r.kc.makeApiClient(k8s.AppsV1Api);
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  let readyAt = 0;
  await poll(
    'every Backstage replica updated and Ready, the old pods gone',
    async () => {
      const deps = (await apps.listNamespacedDeployment({ namespace: r.namespace, labelSelector: BACKSTAGE(r) })).items;
      const d = deps[0];
      if (!d) return undefined;
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const settled = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === want && s.readyReplicas === want && s.availableReplicas === want && (s.replicas ?? 0) === want;
      if (settled && !readyAt) readyAt = Date.now();
      if (!settled) readyAt = 0;
      const pods = (await core.listNamespacedPod({ namespace: r.namespace, labelSelector: BACKSTAGE(r) })).items;
      return settled && pods.length === want && pods.every(ready) ? true : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
  return ((readyAt || Date.now()) - since) / 1000;
}

/**
 * Signs `user` in through the proxy (the real Keycloak login) and gets the Backstage token; on a
 * fresh install it waits until the catalog has ingested the user from Keycloak.
 */
export async function signIn(r: HaRelease, user: { username: string; password: string }): Promise<Session> {
  const { jar } = await poll(`${user.username} signed in through the proxy`, () => loginThroughProxy(r.publicUrl, user.username, user.password), { timeoutMs: 180_000, intervalMs: 3000 });
  const token = await poll(
    `a Backstage token for ${user.username} (the catalog ingests users from Keycloak)`,
    async () => {
      const id = await backstageIdentity(r.publicUrl, jar);
      const t = typeof id.body === 'object' ? id.body.backstageIdentity?.token : undefined;
      if (!t) throw new Error(`no token yet: HTTP ${id.status} ${JSON.stringify(id.body).slice(0, 200)}`);
      return t;
    },
    { timeoutMs: 240_000, intervalMs: 3000 },
  );
  return { jar, token, user: user.username };
}

/** The signed-in user's entity ref, or why not (status). */
export async function whoIs(r: HaRelease, s: Session): Promise<string> {
  const id = await backstageIdentity(r.publicUrl, s.jar);
  return id.status === 200 && typeof id.body === 'object' ? (id.body.backstageIdentity?.identity.userEntityRef ?? '?') : `HTTP ${id.status}`;
}

/**
 * Registers a Location as the user (as the catalog import page does); its target host is one no
 * reader serves, so Backstage never fetches it: the point is the row in the database. Returns its id.
 */
export async function registerLocation(r: HaRelease, s: Session, target: string): Promise<string> {
  const res = await request(new URL('/api/catalog/locations', r.publicUrl), { method: 'POST', jar: s.jar, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'url', target }) });
  if (res.status !== 201) throw new Error(`registering the Location ${target} as ${s.user}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return (JSON.parse(res.body) as { location: { id: string } }).location.id;
}

/** True when the Location `id` is in the catalog. */
export async function locationExists(r: HaRelease, s: Session, id: string): Promise<boolean> {
  const res = await request(new URL(`/api/catalog/locations/${id}`, r.publicUrl), { jar: s.jar, headers: { authorization: `Bearer ${s.token}` } });
  return res.status === 200;
}

/**
 * Runs `action` under the session's traffic: 5 s of traffic before, the action, the wait until the
 * rollout settled, then `tail` seconds more (the replaced pods' preStop pause and shutdown).
 */
export async function underTraffic(r: HaRelease, s: Session, name: string, action: () => Promise<string>, tail = 25): Promise<EventResult> {
  const traffic = startTraffic({ baseUrl: r.publicUrl, jar: s.jar, token: s.token });
  await sleep(5000);
  const t0 = Date.now();
  let detail: string;
  let readySeconds: number;
  try {
    detail = await action();
    readySeconds = await waitSettled(r, t0);
    await sleep(tail * 1000);
  } catch (e) {
    const so = await traffic.stop();
    throw new Error(`${name}: ${(e as Error).message} (traffic so far: sent ${so.sent}, failed ${so.failed})`);
  }
  const traffic_ = await traffic.stop();
  r.log(`${name}: ${detail}; Ready again after ${readySeconds.toFixed(0)} s; sent ${traffic_.sent}, failed ${traffic_.failed}`);
  return { name, traffic: traffic_, readySeconds, detail };
}

/** Names of the Backstage ReplicaSets with pods wanted (the current template's). */
export async function currentTemplate(r: HaRelease): Promise<string> {
  const apps = r.kc.makeApiClient(k8s.AppsV1Api);
  const rs = (await apps.listNamespacedReplicaSet({ namespace: r.namespace, labelSelector: BACKSTAGE(r) })).items.filter((x) => (x.spec?.replicas ?? 0) > 0);
  return rs.map((x) => x.metadata?.labels?.['pod-template-hash'] ?? '?').sort().join(',');
}

/** Evicts a pod through the Eviction API: 'evicted', or 'refused' when a PodDisruptionBudget forbids it now. */
export async function evict(r: HaRelease, pod: k8s.V1Pod): Promise<'evicted' | 'refused'> {
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.createNamespacedPodEviction({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! } } });
    return 'evicted';
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 429) return 'refused';
    throw e;
  }
}

/**
 * `kubectl drain` through the API: cordons `node`, then evicts every pod on it that a DaemonSet does
 * not own, retrying the ones a PodDisruptionBudget refuses. While the evicted replica's replacement
 * is not Ready yet, it also asks to evict the other Backstage replica and records that the budget
 * refused it. Returns what happened.
 */
export async function drain(r: HaRelease, node: string): Promise<{ evicted: string[]; refusedByBudget: number; otherReplicaRefused: boolean }> {
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  await core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  const onNode = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items.filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') && !p.metadata?.annotations?.['kubernetes.io/config.mirror'] && !p.metadata?.deletionTimestamp);
  const evicted: string[] = [];
  let refusedByBudget = 0;
  let otherReplicaRefused = false;
  for (const pod of onNode) {
    for (;;) {
      const res = await evict(r, pod);
      if (res === 'evicted') break;
      refusedByBudget++;
      await sleep(2000);
    }
    evicted.push(`${pod.metadata!.namespace}/${pod.metadata!.name}`);
    if (pod.metadata!.namespace === r.namespace && pod.metadata?.labels?.['app.kubernetes.io/component'] === 'backstage' && !otherReplicaRefused) {
      // The budget at work: the other replica may not go while this one's replacement starts.
      const other = (await backstagePods(r)).find((p) => p.spec?.nodeName !== node && ready(p));
      if (other) otherReplicaRefused = (await evict(r, other)) === 'refused';
    }
  }
  return { evicted, refusedByBudget, otherReplicaRefused };
}

export async function uncordon(r: HaRelease, node: string): Promise<void> {
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  await core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
}

/** Deletes one Backstage pod as `kubectl delete pod` does (its preStop pause and grace period apply). */
export async function deleteOnePod(r: HaRelease): Promise<string> {
  const core = r.kc.makeApiClient(k8s.CoreV1Api);
  const pod = (await backstagePods(r)).find(ready);
  if (!pod) throw new Error('no Ready Backstage pod to delete');
  await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: r.namespace });
  // The Deployment's replacement must exist before "settled" can mean anything.
  await sleep(2000);
  return `pod ${pod.metadata!.name} on ${pod.spec?.nodeName} deleted`;
}

/** Restart counts of the Backstage containers, summed per pod. */
export async function restarts(r: HaRelease): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await backstagePods(r)) out[p.metadata!.name!] = (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
  return out;
}


/** What the events share: the release, the signed-in user, the charts, the upgrades so far. */
export interface EventContext {
  r: HaRelease;
  session: Session;
  /** This chart (the one under test): an oci:// reference (at its digest, or with --version in flags), its version. */
  current: { ref: string; flags: string[]; version: string };
  /** --set of the upgrades so far (each event keeps the earlier ones). */
  sets: string[];
  /** The revision before event b (event d rolls back to it). */
  revisionBeforeB?: number;
  /** The node event c drained (uncordoned by its `after`). */
  drained?: string;
}

export interface ProductionEvent {
  id: string;
  name: string;
  /** The event replaces the pods' template (a rollout), not just pods. */
  rolls: boolean;
  /** Starts the event; returns what happened and facts the test checks. */
  run(ctx: EventContext): Promise<{ detail: string; facts?: Record<string, boolean> }>;
  /** After the rollout settled (e.g. uncordon the drained node). */
  after?(ctx: EventContext): Promise<void>;
}

/** An event that adds `set` to the upgrades so far and upgrades to this chart (after `first`). */
function upgradeWith(id: string, name: string, set: string, detail: string, first?: (ctx: EventContext) => Promise<void>): ProductionEvent {
  return {
    id,
    name,
    rolls: true,
    async run(ctx) {
      await first?.(ctx);
      ctx.sets.push(set);
      await upgrade(ctx.r, ctx.current, ctx.sets);
      return { detail };
    },
  };
}

/**
 * The events of issue 20 in the order they run on one install (which starts from the previous
 * chart): e first, then a, b, d (back to before b), c, f.
 */
export const PRODUCTION_EVENTS: ProductionEvent[] = [
  {
    id: 'e',
    name: 'chart upgrade from the previous version (same values)',
    // The pods roll when the two charts render different pods (they do whenever the chart's
    // templates changed since the previous version); the release's chart changes either way.
    rolls: false,
    async run(ctx) {
      const chartOf = async (): Promise<string> => (JSON.parse(await helm(ctx.r, ['list', '-n', ctx.r.namespace, '--filter', `^${ctx.r.release}$`, '-o', 'json'])) as { chart: string }[])[0]?.chart ?? '?';
      const from = await chartOf();
      await upgrade(ctx.r, ctx.current, ctx.sets);
      const to = await chartOf();
      return { detail: `${from} -> ${to}`, facts: { 'the release runs this chart now': from !== to && to.endsWith(`-${ctx.current.version}`) } };
    },
  },
  upgradeWith('a', "helm upgrade that changes Backstage's configuration", 'backstage.backstage.appConfig.organization.name=Production check', 'appConfig changed'),
  upgradeWith('b', 'helm upgrade that changes the oauth2-proxy settings', 'global.oauth2Proxy.extraEnv.OAUTH2_PROXY_FLUSH_INTERVAL=2s', 'an oauth2-proxy setting changed', async (ctx) => {
    ctx.revisionBeforeB = await revision(ctx.r);
  }),
  {
    id: 'd',
    name: 'helm rollback to the previous revision',
    rolls: true,
    async run(ctx) {
      const to = ctx.revisionBeforeB ?? (await revision(ctx.r)) - 1;
      await helm(ctx.r, ['rollback', ctx.r.release, String(to), '-n', ctx.r.namespace, '--wait', '--timeout', '12m']);
      ctx.sets.pop();
      return { detail: `rolled back to revision ${to}` };
    },
  },
  {
    id: 'c',
    name: 'drain of the node of a replica (Eviction API)',
    rolls: false,
    async run(ctx) {
      const node = (await backstagePods(ctx.r)).find(ready)?.spec?.nodeName;
      if (!node) throw new Error('no Ready Backstage pod to drain the node of');
      ctx.drained = node;
      const d = await drain(ctx.r, node);
      return {
        detail: `${node} drained: ${d.evicted.length} pod(s) evicted, ${d.refusedByBudget} eviction(s) retried; the other replica's eviction ${d.otherReplicaRefused ? 'refused by the PodDisruptionBudget' : 'NOT refused'}`,
        facts: { 'the PodDisruptionBudget refused the other replica': d.otherReplicaRefused },
      };
    },
    async after(ctx) {
      const pods = await backstagePods(ctx.r);
      if (ctx.drained && pods.some((p) => p.spec?.nodeName === ctx.drained)) throw new Error(`a Backstage pod runs on the drained node ${ctx.drained}`);
      if (ctx.drained) await uncordon(ctx.r, ctx.drained);
    },
  },
  {
    id: 'f',
    name: 'one pod deleted',
    rolls: false,
    async run(ctx) {
      return { detail: await deleteOnePod(ctx.r) };
    },
  },
];

/** Runs one event under traffic; also says whether the pods' template changed. */
export async function runEvent(ctx: EventContext, ev: ProductionEvent): Promise<EventResult & { templateChanged: boolean; facts: Record<string, boolean> }> {
  const before = await currentTemplate(ctx.r);
  let facts: Record<string, boolean> = {};
  const result = await underTraffic(ctx.r, ctx.session, `${ev.id}. ${ev.name}`, async () => {
    const out = await ev.run(ctx);
    facts = out.facts ?? {};
    return out.detail;
  });
  await ev.after?.(ctx);
  const templateChanged = (await currentTemplate(ctx.r)) !== before;
  return { ...result, detail: `${result.detail}${templateChanged ? '; pods rolled' : '; pods kept'}`, templateChanged, facts };
}
