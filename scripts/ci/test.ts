/**
 * npm test [-- <vitest args>]
 *
 * With arguments: exactly `vitest run <args>` (e.g. `npm test -- --project unit`).
 *
 * Without: every tier, in two lanes run side by side, because one vitest run cannot overlap two
 * projects whose files must each run one at a time (vitest puts all projects of a run under one
 * worker limit):
 *   cluster lane:  the kind cluster, the release, and the unit tier to balance the lanes
 *                  (vitest run --project release --project cluster --project unit)
 *   process lane:  every other project (vitest run --project '!release' --project '!cluster'
 *                  --project '!unit': backstage, sso, api, and any project added later)
 * Most of the cluster lane waits on pods (rollouts, preStop pauses, probes), so the two overlap well
 * on two cores. BK_TEST_LANES=1 runs the same projects in one lane, one after the other.
 * Each line is prefixed with its lane; the exit code is non-zero when either lane fails, and the
 * end prints each lane's time.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { resolveBackstageChart } from '../lib/chart/assemble.ts';

const VITEST = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

/**
 * The cluster lane's projects; the process lane is every other project of vitest.config.ts. `unit`
 * (CPU only) rides in the cluster lane to balance the two. A warm `.ci/run` with unit in the process
 * lane measured: cluster lane 1350 s; process lane 1493 s, of which sso 865, backstage 441 (the byo
 * create-app build), unit 104, api 44.
 */
const CLUSTER_LANE = ['release', 'cluster', 'unit'];
const LANES: Record<string, string[]> = {
  cluster: CLUSTER_LANE.flatMap((p) => ['--project', p]),
  process: CLUSTER_LANE.flatMap((p) => ['--project', `!${p}`]),
};

function vitest(args: string[], prefix?: string): Promise<{ code: number; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITEST, 'run', ...args], {
      stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: prefix ? { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } : process.env,
    });
    if (prefix) {
      for (const [stream, out] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ] as const) {
        createInterface({ input: stream! }).on('line', (l) => out.write(`[${prefix}] ${l}\n`));
      }
    }
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), ms: Date.now() - t0 }));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length) return (await vitest(args)).code;
  const lanes = Object.entries(LANES);
  const t0 = Date.now();
  let results: { name: string; code: number; ms: number }[];
  if (process.env.BK_TEST_LANES === '1') {
    results = [];
    for (const [name, filter] of lanes) results.push({ name, ...(await vitest(filter)) });
  } else {
    // Both lanes' global setups choose the Backstage subchart; choose it once here, so that two
    // `helm dependency build`s never write charts/ at the same time.
    if (!process.env.BACKSTAGE_CHART && !process.env.BK_SUBCHART) {
      const chart = await resolveBackstageChart('auto', (l) => console.log(l));
      if (chart.kind === 'standin') process.env.BK_SUBCHART = 'standin';
      else process.env.BACKSTAGE_CHART = chart.path;
    }
    console.log(`npm test: the ${lanes.map(([n, p]) => `${n} lane (vitest run ${p.join(' ')})`).join(' and the ')}, side by side`);
    results = await Promise.all(lanes.map(async ([name, filter]) => ({ name, ...(await vitest(filter, name)) })));
  }
  console.log('\nnpm test:');
  for (const r of results) console.log(`  ${r.name.padEnd(8)} ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${(r.ms / 1000).toFixed(0)} s`);
  console.log(`  total    ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return results.some((r) => r.code !== 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`npm test: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
