/**
 * Production on kind (issue 20): the bundle with values/production.yaml on the tier's cluster (a
 * control plane and two workers; values/kind-ha.yaml keeps the dev Keycloak and PostgreSQL on the
 * control plane), installed first from the PREVIOUS chart (scripts/lib/chart/history.ts), two
 * replicas started together on a fresh database. Then, with alice signed in (her oauth2-proxy
 * cookie and Backstage token, through the real Keycloak login) sending 24 requests/s through
 * the kind port mapping on 127.0.0.1 (scripts/lib/bench/traffic.ts), each event must pass with 0
 * failed requests and her session still valid:
 *   e. the chart upgrade from the previous version to this one (same values);
 *   a. a helm upgrade that changes Backstage's configuration (every replica rolls);
 *   b. a helm upgrade that changes the oauth2-proxy settings (the sidecar rolls with its pod);
 *   d. helm rollback to the revision before b;
 *   c. a drain of a worker through the Eviction API (the PodDisruptionBudget refuses the second
 *      replica meanwhile; the evicted one comes back on the other node);
 *   f. one pod deleted.
 * A Location alice registered before is in the catalog after every event, and after a restart of
 * the PostgreSQL pod. The figures of each event are printed (npm run bench:upgrade prints the same).
 * Only 127.0.0.1 port mappings and the cluster's own nodes and pods are contacted.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registryUp } from '../../scripts/images/registry.ts';
import { formatTraffic } from '../../scripts/lib/bench/traffic.ts';
import {
  backstagePods, type EventContext, type EventResult, type HaRelease, installPrevious, locationExists, PRODUCTION_EVENTS, registerLocation, restarts, runEvent, type Session, signIn, uncordon, uninstall, whoIs,
} from '../../scripts/lib/bench/upgrade.ts';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { pinChartImages } from '../../scripts/release/pin.ts';
import type { ReleaseManifest } from '../../scripts/release/publish.ts';
import { poll } from '../../scripts/lib/poll.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { clusterApi } from './kube.ts';

const { cluster, kc, core } = clusterApi();
const NS = 'backstage';
const RELEASE = 'backstage';
const VALUES = ['kind.yaml', 'production.yaml', 'kind-ha.yaml'].map((f) => path.join(repoRoot, 'values', f));
const log = (l: string): void => void process.stderr.write(`[ha] ${l}\n`);

let r: HaRelease;
let current: { ref: string; flags: string[]; version: string };
let tmp = '';
let session: Session;
let locationId = '';
let installSeconds = 0;
const results: EventResult[] = [];
let ctx: EventContext | undefined;

/** Checks every event must pass: no failed request, alice still signed in, her Location still there. */
async function expectUnharmed(e: EventResult): Promise<void> {
  results.push(e);
  log(formatTraffic(e.name, e.traffic, `; Ready after ${e.readySeconds.toFixed(0)} s; ${e.detail}`));
  expect(e.traffic.sent, 'the traffic ran').toBeGreaterThan(200);
  expect(e.traffic.failed, `${e.traffic.samples.join('\n')}`).toBe(0);
  expect(await whoIs(r, session)).toBe('user:default/alice');
  expect(await locationExists(r, session, locationId)).toBe(true);
}

beforeAll(async () => {
  r = { kc, kubeconfig: cluster.kubeconfigPath, context: cluster.context, helm: await ensureTool('helm'), release: RELEASE, namespace: NS, valuesFiles: VALUES, publicUrl: 'http://backstage.localhost:7007', log };
  // This chart: the tier's verified, digest-pinned release in the local registry (global setup).
  await registryUp({ log });
  const release = JSON.parse(readFileSync(inject('release').manifest, 'utf8')) as ReleaseManifest;
  current = { ref: release.chart.helmRef, flags: ['--plain-http'], version: release.chart.version };
  // Another file's release (same NodePorts) and its database go first: this one starts fresh, from
  // the previous chart pinned by digest as its release would have been (to the images it shares
  // with this release: the dev Keycloak and PostgreSQL stay as they are, as they would between two
  // releases that do not change them), with the same values: two replicas at once.
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-ha-'));
  const pins = Object.fromEntries(release.images.map((i) => [i.name, { registry: release.registry, repository: i.repository.slice(release.registry.length + 1), tag: i.tag, digest: i.digest }]));
  const previous = await installPrevious(r, tmp, (dir) => pinChartImages(dir, pins));
  installSeconds = previous.readySeconds;
  log(`previous chart ${previous.version} installed, both replicas Ready after ${installSeconds.toFixed(0)} s`);
}, 1_800_000);

afterAll(async () => {
  const s = results.map((e) => `  ${formatTraffic(e.name, e.traffic, `; Ready after ${e.readySeconds.toFixed(0)} s`)}`).join('\n');
  if (s) log(`events under traffic:\n${s}`);
  for (const n of cluster.nodes) await uncordon(r, n).catch(() => {});
  if (r) await uninstall(r);
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 600_000);

describe('the production profile on a control plane and two workers', () => {
  it('two replicas started together on a fresh PostgreSQL are Ready without a restart, one on each worker', async () => {
    const pods = await backstagePods(r);
    expect(pods).toHaveLength(2);
    expect(Object.values(await restarts(r))).toEqual([0, 0]);
    const nodes = pods.map((p) => p.spec!.nodeName!);
    expect(new Set(nodes).size).toBe(2);
    expect(nodes).not.toContain(cluster.nodeContainer);
    // The PodDisruptionBudget of the profile exists and admits one disruption.
    const pdb = await kc.makeApiClient(k8s.PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'backstage', namespace: NS });
    expect(pdb.status?.disruptionsAllowed).toBe(1);
  });

  it("a session minted through one replica is accepted by the other (the cookie store; every pod asked directly from its node)", async () => {
    session = await signIn(r, DEV_USERS.alice);
    locationId = await registerLocation(r, session, 'https://catalog.invalid/production-check/catalog-info.yaml');
    const cookie = session.jar.header(new URL(r.publicUrl))!;
    for (const pod of await backstagePods(r)) {
      const out = execFileSync('docker', ['exec', pod.spec!.nodeName!, 'curl', '-s', '--max-time', '10', '-H', `Cookie: ${cookie}`, '-H', 'X-Requested-With: XMLHttpRequest', `http://${pod.status!.podIP}:4180/api/auth/oauth2Proxy/refresh`], { encoding: 'utf8' });
      expect(JSON.parse(out).backstageIdentity?.identity?.userEntityRef, pod.metadata!.name).toBe('user:default/alice');
    }
  }, 300_000);

  describe("events under alice's traffic (scripts/lib/bench/upgrade.ts PRODUCTION_EVENTS): 0 failed requests, her session and data intact", () => {
    for (const ev of PRODUCTION_EVENTS) {
      it(`${ev.id}. ${ev.name}`, async () => {
        ctx ??= { r, session, current, sets: [] };
        const e = await runEvent(ctx, ev);
        await expectUnharmed(e);
        // A rolling event replaced the pods' template (event e: else the pinned previous chart
        // renders the same pods as this one; move the pin, scripts/lib/chart/history.ts).
        if (ev.rolls) expect(e.templateChanged, 'the pods were rolled').toBe(true);
        for (const [fact, holds] of Object.entries(e.facts)) expect(holds, fact).toBe(true);
        // Every replica Ready again, none on a cordoned node.
        expect((await backstagePods(r)).length).toBe(2);
      }, 1_200_000);
    }
  });

  it("PostgreSQL's data survives a restart of its pod", async () => {
    const selector = `app.kubernetes.io/name=postgres-dev,app.kubernetes.io/instance=${RELEASE}`;
    const pg = (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items[0]!;
    await core.deleteNamespacedPod({ name: pg.metadata!.name!, namespace: NS });
    await poll(
      'a new PostgreSQL pod Ready',
      async () => ((await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items.some((p) => p.metadata!.uid !== pg.metadata!.uid && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined),
      { timeoutMs: 300_000, intervalMs: 2000 },
    );
    // Backstage reconnects by itself; alice's Location and her sign-in come back from the same data.
    await poll('Backstage answering from the restarted database', async () => ((await locationExists(r, session, locationId).catch(() => false)) && (await whoIs(r, session)) === 'user:default/alice' ? true : undefined), { timeoutMs: 300_000, intervalMs: 3000 });
  }, 600_000);
});
