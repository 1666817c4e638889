/**
 * `helm install --dry-run=client` of the assembled chart: the install path (schema, templates,
 * NOTES) without a cluster. The kubeconfig points nowhere, so nothing is contacted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { modeOfValues, modeValues } from '../../scripts/lib/chart/modes.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { chartDir, EXAMPLE_VALUES } from './chart.ts';

export interface DryRun {
  ok: boolean;
  output: string;
  /** The NOTES Helm prints after a successful install ('' when it failed). */
  notes: string;
}

/** Installs (client-side dry run) with the example values, the sign-in mode's values file if `values` picks a mode, then `values`. */
export async function dryRunInstall(values: Record<string, unknown> = {}): Promise<DryRun> {
  const mode = modeOfValues(values);
  const modeFiles = mode ? modeValues(mode).valuesFiles.flatMap((f) => ['--values', f]) : [];
  const helm = await ensureTool('helm');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-install-'));
  try {
    const file = path.join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    const env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: path.join(dir, 'no-kubeconfig') };
    const out = await $({ quiet: true, nothrow: true, env })`${helm} install backstage ${await chartDir()} --namespace backstage --dry-run=client --values ${EXAMPLE_VALUES} ${modeFiles} --values ${file}`;
    const i = out.stdout.indexOf('\nNOTES:\n');
    return { ok: out.ok, output: out.stdout + out.stderr, notes: out.ok && i >= 0 ? out.stdout.slice(i + 8) : '' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
