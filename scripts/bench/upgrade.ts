/**
 * npm run bench:upgrade -- [--cluster backstage-keycloak] [--keep]
 *
 * The production events (scripts/lib/bench/upgrade.ts PRODUCTION_EVENTS) on a local kind cluster
 * with a control plane and two workers (created, or reused when it has them), under alice's steady
 * traffic through the kind port mapping on 127.0.0.1: installs the previous chart (git history,
 * scripts/lib/chart/history.ts) with values/kind.yaml + values/production.yaml +
 * values/kind-ha.yaml, then runs each event and prints, per event: requests sent and failed,
 * p50/p99 latency, and the seconds until every replica was Ready again. The release is uninstalled
 * at the end unless --keep. The cluster tier (test/cluster/ha.test.ts) runs the same events with
 * assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { argv } from 'zx';
import { buildImages, CHART_IMAGES, type ImageName, imageRef } from '../images/catalog.ts';
import { inspectImage } from '../images/run.ts';
import { pushChart, pushImages, registryUp } from '../images/registry.ts';
import { createCluster } from '../kind/cluster.ts';
import { kindCacheDir } from '../kind/util.ts';
import { type EventContext, type HaRelease, installPrevious, PRODUCTION_EVENTS, registerLocation, runEvent, signIn, uninstall } from '../lib/bench/upgrade.ts';
import { PREVIOUS_CHART_COMMIT } from '../lib/chart/history.ts';
import { DEV_USERS } from '../lib/dev-credentials.ts';
import { loadKubeConfig } from '../lib/kube/client.ts';
import { repoRoot } from '../lib/paths.ts';
import { ensureTool } from '../lib/tools/index.ts';

const log = (l: string): void => console.log(`  ${l}`);

async function main(): Promise<void> {
  const clusterName = String(argv.cluster ?? 'backstage-keycloak');
  const kubeconfig = path.join(kindCacheDir(), `kubeconfig-bench-${clusterName}`);
  console.log(`==> kind cluster ${clusterName}: a control plane and two workers`);
  const c = await createCluster({ name: clusterName, workers: 2, kubeconfig, log });
  console.log('==> images (built when missing) and this chart in the local registry');
  const missing: ImageName[] = [];
  for (const n of CHART_IMAGES) if (!(await inspectImage(await imageRef(n)))) missing.push(n);
  if (missing.length) await buildImages(missing, { log });
  await registryUp({ log });
  await pushImages(CHART_IMAGES, 'localhost:5001', log);
  const pushed = await pushChart('localhost:5001', { mode: 'auto', log });
  const kc = loadKubeConfig({ context: c.context, kubeconfig });
  const r: HaRelease = {
    kc, kubeconfig, context: c.context, helm: await ensureTool('helm'), release: 'backstage', namespace: 'backstage',
    valuesFiles: ['kind.yaml', 'production.yaml', 'kind-ha.yaml'].map((f) => path.join(repoRoot, 'values', f)),
    publicUrl: 'http://backstage.localhost:7007', log,
  };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-bench-upgrade-'));
  try {
    console.log(`==> the previous chart (commit ${PREVIOUS_CHART_COMMIT.slice(0, 7)}), two replicas on a fresh database`);
    console.log(`    Ready after ${(await installPrevious(r, tmp)).readySeconds.toFixed(0)} s`);
    const session = await signIn(r, DEV_USERS.alice);
    await registerLocation(r, session, 'https://catalog.invalid/bench-upgrade/catalog-info.yaml');
    const ctx: EventContext = { r, session, current: { ref: pushed.ref, flags: ['--version', pushed.chart.version, '--plain-http'], version: pushed.chart.version }, sets: [] };
    const rows: string[][] = [];
    for (const ev of PRODUCTION_EVENTS) {
      console.log(`==> ${ev.id}. ${ev.name}`);
      const e = await runEvent(ctx, ev);
      const t = e.traffic;
      rows.push([`${ev.id}. ${ev.name}`, String(t.sent), String(t.failed), `${t.p50.toFixed(0)} ms`, `${t.p99.toFixed(0)} ms`, `${e.readySeconds.toFixed(0)} s`]);
      if (t.failed) console.log(`    failures: ${Object.entries(t.failures).map(([k, n]) => `${n} ${k}`).join(', ')}\n    ${t.samples.join('\n    ')}`);
    }
    const head = ['event', 'sent', 'failed', 'p50', 'p99', 'all Ready after'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]): string => `| ${cells.map((x, i) => x.padEnd(w[i]!)).join(' | ')} |`;
    console.log(`\n${line(head)}\n| ${w.map((n) => '-'.repeat(n)).join(' | ')} |\n${rows.map(line).join('\n')}`);
    console.log('\n24 requests/s (the app page and catalog API calls in turn), each on a new connection');
  } finally {
    if (!argv.keep) await uninstall(r);
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench:upgrade: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
