/**
 * Dependencies point one way: product code (scripts/, backstage/, templates/) never imports tests.
 * Reads every TypeScript/JavaScript source under scripts/ and backstage/ (not node_modules or build
 * output) and fails naming each import that reaches into test/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';

const SKIP = new Set(['node_modules', 'dist', 'dist-types', '.git']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mts|mjs|js|cjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier of static imports, re-exports and dynamic imports. */
export function specifiers(text: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function reachesTest(file: string, spec: string): boolean {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return false;
  const target = path.resolve(path.dirname(file), spec);
  const rel = path.relative(repoRoot, target).split(path.sep);
  return rel[0] === 'test';
}

describe('one-way dependencies', () => {
  it('finds imports in the forms product code uses', () => {
    expect(specifiers(`import { a } from '../x.ts';\nexport * from "./y.ts";\nconst m = await import('../../test/z.ts');\nimport './side.ts';`)).toEqual([
      '../x.ts',
      './y.ts',
      '../../test/z.ts',
      './side.ts',
    ]);
  });

  it('nothing under scripts/ or backstage/ imports from test/', () => {
    const offenders: string[] = [];
    const files = [...sources(path.join(repoRoot, 'scripts')), ...sources(path.join(repoRoot, 'backstage'))];
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (reachesTest(file, spec)) offenders.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    expect(offenders, 'product code must not depend on tests: move the shared module under scripts/lib/').toEqual([]);
  });

  it('the stand-in chart lives outside test/ (render --subchart standin is product code)', () => {
    expect(statSync(path.join(repoRoot, 'dev', 'standin', 'backstage', 'Chart.yaml')).isFile()).toBe(true);
  });
});
