/**
 * The chart as an earlier commit of this repository had it, packaged: what "our previous version"
 * is until releases exist (then the last release tag takes its place). The chart files come from
 * `git archive <commit>` and the upstream Backstage chart is that commit's stand-in
 * (dev/standin/backstage), the offline dependency of the time; `helm package` writes the .tgz.
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../paths.ts';
import { ensureTool } from '../tools/index.ts';

/**
 * The previous chart of the upgrade tests: a commit of main whose chart takes the same values
 * (values/production.yaml, values/kind-ha.yaml) and whose images are the ones the current pins
 * build (the kind registry holds only those: move this pin when an image pin changes). Move it to
 * the last release tag once releases exist (CHANGELOG.md).
 */
export const PREVIOUS_CHART_COMMIT = '4520a9b2377ec67645d3eb62e7558c4ef033231e';

/** The chart files of a commit, in the order `git archive` needs them (missing ones are skipped). */
const CHART_PATHS = ['Chart.yaml', 'values.yaml', 'values.schema.json', 'templates', 'charts', '.helmignore', 'dev/standin/backstage'];

/**
 * Packages the chart of `commit` into `outDir` as `<name>-<version>-g<sha7>.tgz` (the version gets
 * a pre-release suffix, so it is never mistaken for the working tree's). `beforePackage` may edit
 * the chart directory first, e.g. pin its images by digest as its release did. Returns the file.
 */
export async function packageChartAt(commit: string, outDir: string, log: (l: string) => void = () => {}, beforePackage?: (dir: string) => Promise<void>): Promise<{ file: string; version: string }> {
  const helm = await ensureTool('helm');
  const sha = (await $({ cwd: repoRoot, quiet: true })`git rev-parse --verify ${`${commit}^{commit}`}`).stdout.trim();
  const listed = (await $({ cwd: repoRoot, quiet: true })`git ls-tree --name-only ${sha}`).stdout.split('\n');
  const paths = CHART_PATHS.filter((p) => listed.includes(p.split('/')[0]!));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-chart-at-'));
  try {
    const src = path.join(tmp, 'chart');
    await $({ quiet: true })`mkdir -p ${src}`;
    await $({ cwd: repoRoot, quiet: true })`git archive --format=tar ${sha} ${paths} | tar -x -C ${src}`;
    await rename(path.join(src, 'dev', 'standin', 'backstage'), path.join(src, 'charts', 'backstage'));
    await rm(path.join(src, 'dev'), { recursive: true, force: true });
    await beforePackage?.(src);
    const meta = (await $({ quiet: true })`${helm} show chart ${src}`).stdout;
    const version = `${/^version:\s*(\S+)/m.exec(meta)?.[1] ?? '0.0.0'}-g${sha.slice(0, 7)}`;
    const out = await $({ quiet: true })`${helm} package ${src} --version ${version} --destination ${outDir}`;
    const file = /saved it to: (\S+)/.exec(out.stdout)?.[1];
    if (!file) throw new Error(`helm package of commit ${sha.slice(0, 7)} printed no file: ${out.stdout}`);
    log(`chart of commit ${sha.slice(0, 7)} packaged as ${path.basename(file)} (with that commit's stand-in of the upstream chart)`);
    return { file, version };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
