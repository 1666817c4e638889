import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expectedReadme, parseParams, VALUES_SOURCES } from '../../scripts/docs.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

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

  it.each(VALUES_SOURCES)('every value in $file has a @param comment, and every @param names a real value', async ({ file, prefix }) => {
    const text = await readFile(path.join(repoRoot, file), 'utf8');
    const documented = new Set(parseParams(text).map((p) => p.key));
    const parsed = parseYaml(text);
    const values = prefix ? { [prefix]: Object.fromEntries(Object.entries(parsed).filter(([k]) => k !== 'enabled')) } : parsed;
    const all = leaves(values);
    const covered = (k: string): boolean => [...documented].some((d) => k === d || k.startsWith(`${d}.`));
    const missing = all.filter((k) => !covered(k));
    expect(missing).toEqual([]);
    for (const d of documented) expect(all.some((k) => k === d || k.startsWith(`${d}.`)), d).toBe(true);
  });
});
