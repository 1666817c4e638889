/**
 * Chooses the Backstage subchart once per run (real chart when BACKSTAGE_CHART is set or
 * `helm dependency build` succeeds, else the offline stand-in) and provides it to every test file.
 */
import type { TestProject } from 'vitest/node';
import { resolveBackstageChart, type SubchartMode, type SubchartSource } from '../../scripts/lib/chart/assemble.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    backstageChart: SubchartSource;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const mode = (process.env.BK_SUBCHART ?? 'auto') as SubchartMode;
  const source = await resolveBackstageChart(mode);
  process.stderr.write(`\n[chart] Backstage subchart under test: ${source.description}\n\n`);
  project.provide('backstageChart', source);
}
