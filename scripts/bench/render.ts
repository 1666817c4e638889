/**
 * npm run bench:render -- [--runs 15] [-f values/example.yaml] [--subchart standin|real]
 *
 * Compares `npm run render` (node scripts/render.ts: subchart resolution, chart assembly, the
 * render, the second render that detects generated Secrets, the summary) with a bare
 * `helm template` of the same values on an already assembled chart. Runs alternate A/B so both
 * see the same machine load; prints medians and the ratio (target: at most 1.3x).
 */
import { performance } from 'node:perf_hooks';
import { parseArgv } from 'zx';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { assembleChart, removeChart, resolveBackstageChart, type SubchartMode } from '../lib/chart/assemble.ts';
import { ensureTool } from '../lib/tools/index.ts';
import { repoRoot } from '../lib/paths.ts';

const run = promisify(execFile);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const a = parseArgv(process.argv.slice(2), { string: ['runs', 'f', 'subchart'] });
const runs = Number(a.runs ?? 15);
const values = path.resolve(String(a.f ?? path.join(repoRoot, 'values', 'example.yaml')));
const mode = String(a.subchart ?? 'auto') as SubchartMode;

const helm = await ensureTool('helm');
const source = await resolveBackstageChart(mode === 'auto' ? 'auto' : mode);
const subchart = source.kind === 'standin' ? 'standin' : 'real';
const dir = await assembleChart(source);
const bare: number[] = [];
const script: number[] = [];
try {
  const bareOnce = async (): Promise<void> => void (await run(helm, ['template', 'backstage', dir, '--namespace', 'backstage', '--values', values, '--skip-tests'], { maxBuffer: 64 << 20 }));
  const scriptOnce = async (): Promise<void> =>
    void (await run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(repoRoot, 'scripts', 'render.ts'), '--subchart', subchart, '-f', values], { cwd: repoRoot, maxBuffer: 64 << 20 }));
  await bareOnce(); // warm caches
  await scriptOnce();
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await bareOnce();
    bare.push(performance.now() - t);
    t = performance.now();
    await scriptOnce();
    script.push(performance.now() - t);
  }
} finally {
  await removeChart(dir);
}
const mb = median(bare);
const ms = median(script);
console.log(`subchart: ${source.description}`);
console.log(`runs: ${runs} each, alternating`);
console.log(`helm template (bare), median: ${mb.toFixed(0)} ms  (min ${Math.min(...bare).toFixed(0)}, max ${Math.max(...bare).toFixed(0)})`);
console.log(`npm run render,       median: ${ms.toFixed(0)} ms  (min ${Math.min(...script).toFixed(0)}, max ${Math.max(...script).toFixed(0)})`);
console.log(`render/helm-template time ratio: ${(ms / mb).toFixed(2)} (target <= 1.3)`);
