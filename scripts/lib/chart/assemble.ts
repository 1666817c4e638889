/**
 * The umbrella chart as Helm sees it: resolving the Backstage subchart (real or stand-in),
 * assembling a chart directory, and rendering it into typed objects.
 *
 * Where the upstream Backstage subchart comes from, first hit wins:
 *   1. BACKSTAGE_CHART=<dir or .tgz>: a copy of the real chart (e.g. `helm pull backstage/backstage`);
 *   2. charts/backstage-<version>.tgz left by an earlier `helm dependency build`;
 *   3. `helm dependency build` now (needs the internet; skipped with mode "standin");
 *   4. the stand-in under dev/standin/backstage (mode "auto" or "standin" only), written by this
 *      project from the documented contract. Output rendered with it says so.
 */
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { buildDependency, dependencyBuildFailure, type Dependency } from './dependency.ts';
import { ensureTool, toolsDir } from '../tools/index.ts';
import { modeValues, type SignInMode } from './modes.ts';
import { repoRoot } from '../paths.ts';

export type SubchartMode = 'auto' | 'real' | 'standin';

export interface SubchartSource {
  kind: 'env' | 'dependency' | 'standin';
  /** Directory or .tgz of the backstage chart. */
  path: string;
  description: string;
}

export const STANDIN_DIR = path.join(repoRoot, 'dev', 'standin', 'backstage');

/** Files and directories of the repository root that make up the umbrella chart. */
const CHART_ENTRIES = ['Chart.yaml', 'Chart.lock', 'values.yaml', 'values.schema.json', '.helmignore', 'templates', 'README.md'];

export async function chartMeta(): Promise<{ name: string; version: string; appVersion?: string; dependencies: Dependency[] }> {
  return parseYaml(await readFile(path.join(repoRoot, 'Chart.yaml'), 'utf8'));
}

async function backstageDependency(): Promise<Dependency> {
  const dep = (await chartMeta()).dependencies.find((d) => d.name === 'backstage');
  if (!dep) throw new Error('Chart.yaml has no dependency named backstage');
  return dep;
}

/** Finds the Backstage subchart according to `mode` (see the file header). */
export async function resolveBackstageChart(
  mode: SubchartMode = 'auto',
  log: (l: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<SubchartSource> {
  const fromEnv = process.env.BACKSTAGE_CHART;
  if (fromEnv && mode !== 'standin') {
    const p = path.resolve(fromEnv);
    if (!existsSync(p)) throw new Error(`BACKSTAGE_CHART=${fromEnv} does not exist: point it at the backstage chart directory or .tgz (helm pull backstage/backstage --version ${(await backstageDependency()).version})`);
    return { kind: 'env', path: p, description: `real chart from BACKSTAGE_CHART (${p})` };
  }
  if (mode === 'standin') return standin();
  const dep = await backstageDependency();
  const tgz = path.join(repoRoot, 'charts', `backstage-${dep.version}.tgz`);
  if (existsSync(tgz)) return { kind: 'dependency', path: tgz, description: `real chart ${path.relative(repoRoot, tgz)}` };

  const helm = await ensureTool('helm', { log });
  log(`chart: running helm dependency build for backstage ${dep.version} (${dep.repository})...`);
  const build = await buildDependency({ helm, chartDir: repoRoot, dep, helmHome: path.join(toolsDir(), 'helm-home') });
  if (build.ok && existsSync(tgz)) return { kind: 'dependency', path: tgz, description: `real chart ${path.relative(repoRoot, tgz)} (helm dependency build)` };
  const message = build.ok ? dependencyBuildFailure(dep, `it succeeded but ${path.relative(repoRoot, tgz)} is missing`) : build.message;
  if (mode === 'real') throw new Error(`the upstream Backstage chart is not available.\n${message}`);
  log(`chart: ${message}\nchart: using the offline STAND-IN for the Backstage chart (dev/standin/backstage) instead`);
  return standin();
}

function standin(): SubchartSource {
  return { kind: 'standin', path: STANDIN_DIR, description: 'STAND-IN for the Backstage chart (dev/standin/backstage), offline only' };
}

/**
 * Copies the umbrella chart into a fresh directory with the given Backstage subchart in charts/.
 * Returns the directory; the caller removes it (or keeps it for inspection).
 */
export async function assembleChart(source: SubchartSource): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'backstage-keycloak-chart-'));
  for (const entry of CHART_ENTRIES) {
    const from = path.join(repoRoot, entry);
    if (existsSync(from)) await cp(from, path.join(dir, entry), { recursive: true });
  }
  const charts = path.join(dir, 'charts');
  await mkdir(charts, { recursive: true });
  // Local subcharts committed under charts/ (anything but downloaded dependency archives).
  const localCharts = path.join(repoRoot, 'charts');
  if (existsSync(localCharts)) {
    for (const name of await readdir(localCharts)) {
      if (name.endsWith('.tgz')) continue;
      await cp(path.join(localCharts, name), path.join(charts, name), { recursive: true });
    }
  }
  if (statSync(source.path).isDirectory()) {
    await cp(source.path, path.join(charts, 'backstage'), { recursive: true });
  } else {
    await cp(source.path, path.join(charts, path.basename(source.path)));
  }
  return dir;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values files, in order. */
  valuesFiles?: string[];
  /** Sign-in mode: its values (values/modes/*.yaml, scripts/lib/chart/modes.ts) after the files. */
  mode?: SignInMode;
  /** Inline values, applied after the files and the mode's (as one more values file). */
  values?: Record<string, unknown>;
  /** --set expressions, applied last. */
  set?: string[];
  /** Leave out `helm test` hooks (they are not installed objects). */
  skipTests?: boolean;
  /** Extra flags for helm template (e.g. --kube-version). */
  extraArgs?: string[];
  /** Helm binary to use (default: ensureTool('helm')). */
  helmBin?: string;
}

export interface RenderResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  objects: K8sObject[];
}

/** Runs `helm template` on an assembled chart directory. Never throws on a failed render. */
export async function helmTemplate(chartDir: string, opts: RenderOptions = {}): Promise<RenderResult> {
  const helm = opts.helmBin ?? (await ensureTool('helm'));
  const args = ['template', opts.release ?? 'backstage', chartDir, '--namespace', opts.namespace ?? 'backstage'];
  const mode = opts.mode ? modeValues(opts.mode) : { valuesFiles: [], set: [] };
  for (const f of [...(opts.valuesFiles ?? []), ...mode.valuesFiles]) args.push('--values', f);
  let tmp: string | undefined;
  if (opts.values) {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-values-'));
    const file = path.join(tmp, 'values.json');
    await writeFile(file, JSON.stringify(opts.values));
    args.push('--values', file);
  }
  for (const s of [...mode.set, ...(opts.set ?? [])]) args.push('--set', s);
  if (opts.skipTests) args.push('--skip-tests');
  args.push(...(opts.extraArgs ?? []));
  try {
    const out = await $({ quiet: true, nothrow: true })`${helm} ${args}`;
    return { ok: out.ok, stdout: out.stdout, stderr: out.stderr, objects: out.ok ? parseManifests(out.stdout) : [] };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** Splits a multi-document manifest into objects, dropping empty documents. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && typeof o.kind === 'string');
}

/** `Kind/name` key of an object. */
export function objectKey(o: K8sObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Removes a directory made by assembleChart. */
export async function removeChart(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
