/**
 * npm run backstage:build   install (npm ci in backstage/) and production build of app and backend
 * npm run backstage:start   the built backend on 127.0.0.1:7007 with app-config.local.yaml and the
 *                           static demo organisation (alice in admins, bob in users)
 * npm run bench:backstage   cold-start time and resident memory of the built backend (3 runs)
 */
import { argv } from 'zx';
import { memory } from '../lib/bench/proc.ts';
import { buildBackstage, startBackstage } from '../lib/run/backstage.ts';

async function build(): Promise<void> {
  await buildBackstage((l) => console.log(`==> ${l}`));
}

async function start(): Promise<void> {
  const bs = await startBackstage({ configs: ['app-config.local.yaml'], log: (l) => console.log(l) });
  console.log(`\nBackstage backend: ${bs.url} (loopback only; it signs in whoever the X-Forwarded-* headers name,`);
  console.log('so reach it through oauth2-proxy: see `npm run dev`). Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bs.stop();
}

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

const cmd = String(argv._[0] ?? '');
const commands: Record<string, () => Promise<void>> = { build, start, bench };
const run = commands[cmd];
if (!run) {
  console.error('usage: node scripts/backstage/main.ts build|start|bench');
  process.exitCode = 2;
} else {
  run().catch((e: unknown) => {
    console.error(`backstage ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
