/**
 * Test access to the umbrella chart: one assembled chart per test file (real Backstage chart when
 * available, otherwise the stand-in; see scripts/lib/chart/assemble.ts), rendered with the real helm binary
 * into typed objects.
 */
import { afterAll, inject } from 'vitest';
import path from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { assembleChart, helmTemplate, removeChart, type RenderOptions, type SubchartSource } from '../../scripts/lib/chart/assemble.ts';
import { Release } from '../../scripts/lib/chart/release.ts';
import { isSignInMode, modeOfValues } from '../../scripts/lib/chart/modes.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

export const EXAMPLE_VALUES = path.join(repoRoot, 'values', 'example.yaml');
export const USER_VALUES = path.join(repoRoot, 'values', 'values-backstage-keycloak.yaml');

let assembled: Promise<string> | undefined;

// Registered while the test file is collected (this module is imported by it), so it always runs.
afterAll(async () => {
  if (assembled) await removeChart(await assembled);
});

/** The Backstage subchart chosen by the global setup for this run. */
export function backstageChart(): SubchartSource {
  return inject('backstageChart');
}

/** Directory of the umbrella chart assembled with the chosen subchart (once per test file). */
export function chartDir(): Promise<string> {
  assembled ??= assembleChart(backstageChart());
  return assembled;
}

/** A rendered release (the one model in scripts/lib/chart/release.ts). */
export { Release as Manifest };

/**
 * Options of a test render: the example values first (unless noExample), and the sign-in mode's
 * values (values/modes/*.yaml) whenever the inline values or a --set select a mode, as a user following the
 * docs applies them; `modeValues: false` renders the inline mode alone (to test the refusal).
 */
type TestRender = RenderOptions & { noExample?: boolean; modeValues?: boolean };

function renderOptions(opts: TestRender): RenderOptions {
  const valuesFiles = opts.noExample ? (opts.valuesFiles ?? []) : [EXAMPLE_VALUES, ...(opts.valuesFiles ?? [])];
  const setMode = (opts.set ?? []).map((x) => /^global\.signIn\.mode=(.*)$/.exec(x)?.[1]).filter(isSignInMode).at(-1);
  const mode = opts.mode ?? (opts.modeValues === false ? undefined : (setMode ?? modeOfValues(opts.values)));
  return { ...opts, valuesFiles, mode, release: opts.release ?? 'backstage', namespace: opts.namespace ?? 'backstage' };
}

/** Renders the chart with the example values plus `opts`; throws with helm's message on failure. */
export async function render(opts: TestRender = {}): Promise<Release> {
  const res = await helmTemplate(await chartDir(), renderOptions(opts));
  if (!res.ok) throw new Error(`helm template failed:\n${res.stderr}`);
  return new Release(res.objects, res.stdout);
}

/** Renders expecting failure; returns helm's error output. */
export async function renderError(opts: TestRender = {}): Promise<string> {
  const res = await helmTemplate(await chartDir(), renderOptions(opts));
  if (res.ok) throw new Error('helm template succeeded but a failure was expected');
  return res.stderr;
}

/** Env of a container as name -> value, and name -> secretKeyRef. */
export function envOf(c: V1Container): { values: Record<string, string>; secretRefs: Record<string, { name: string; key: string }> } {
  const values: Record<string, string> = {};
  const secretRefs: Record<string, { name: string; key: string }> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) secretRefs[e.name] = { name: e.valueFrom.secretKeyRef.name!, key: e.valueFrom.secretKeyRef.key };
    else values[e.name] = e.value ?? '';
  }
  return { values, secretRefs };
}
