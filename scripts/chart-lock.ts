/** npm run chart:lock: rewrites Chart.lock from Chart.yaml (exact versions only). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chartMeta } from './lib/chart/assemble.ts';
import { chartLock } from './lib/chart/lock.ts';
import { repoRoot } from './lib/paths.ts';

const meta = await chartMeta();
for (const d of meta.dependencies) {
  if (!/^\d+\.\d+\.\d+$/.test(d.version)) throw new Error(`Chart.yaml: dependency ${d.name} version "${d.version}" is a range; pin an exact version`);
}
await writeFile(path.join(repoRoot, 'Chart.lock'), chartLock(meta.dependencies));
console.log('Chart.lock written');
