import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expectedReadme, parseParams } from '../../scripts/docs.ts';
import { repoRoot } from '../../scripts/lib/tools.ts';

/** Leaf keys of values.yaml that users set (lists and the pre-wired subchart blocks count as one). */
function leaves(v: unknown, prefix = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length === 0) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
}

describe('values documentation', () => {
  it('the README values table is generated from values.yaml and up to date (npm run docs)', async () => {
    const { current, expected } = await expectedReadme();
    expect(current).toBe(expected);
  });

  it('every value of this chart has a @param comment, and every @param names a real value', async () => {
    const text = await readFile(path.join(repoRoot, 'values.yaml'), 'utf8');
    const documented = new Set(parseParams(text).map((p) => p.key));
    const values = parseYaml(text);
    const all = leaves(values);
    const covered = (k: string): boolean => [...documented].some((d) => k === d || k.startsWith(`${d}.`));
    const missing = all.filter((k) => !covered(k));
    expect(missing).toEqual([]);
    for (const d of documented) expect(all.some((k) => k === d || k.startsWith(`${d}.`)), d).toBe(true);
  });
});
