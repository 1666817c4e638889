/**
 * npm run bench:backstage -- [--runs 3]
 *
 * Cold-start time and resident memory of the built Backstage backend (npm run backstage:build):
 * `runs` starts on fresh ports with app-config.local.yaml, each measured from spawn to a 200 from
 * /.backstage/health/v1/readiness, resident memory read 3 s after ready; prints the medians.
 */
import { argv } from 'zx';
import { memory } from '../lib/bench/proc.ts';
import { startBackstage } from '../lib/run/backstage.ts';

async function bench(): Promise<void> {
  const runs = Number(argv.runs ?? 3);
  const starts: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const bs = await startBackstage({ configs: ['app-config.local.yaml'], port: 17007 + i, log: () => {} });
    await new Promise((r) => setTimeout(r, 3000)); // let the catalog's first processing settle
    starts.push(bs.startMs);
    rss.push(memory(bs.pid).rss ?? NaN);
    await bs.stop();
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`runs: ${runs}`);
  console.log(`cold start to ready (spawn -> /.backstage/health/v1/readiness 200), median: ${(med(starts) / 1000).toFixed(2)} s  (all: ${starts.map((s) => (s / 1000).toFixed(2)).join(', ')})`);
  console.log(`resident memory 3 s after ready, median: ${(med(rss) / 1024 / 1024).toFixed(0)} MiB  (all: ${rss.map((b) => (b / 1024 / 1024).toFixed(0)).join(', ')})`);
}

bench().catch((e: unknown) => {
  console.error(`backstage bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
