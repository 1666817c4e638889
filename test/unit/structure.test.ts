/**
 * Dependencies point one way, and each fact has one owner:
 * - product code (scripts/, backstage/, templates/) never imports tests;
 * - no import cycle among scripts/**\/*.ts (type-only imports count: a cycle of types is still two
 *   modules that cannot be understood apart);
 * - scripts/lib/ (the library) never imports a command folder or command (scripts/images, scripts/kind,
 *   scripts/bench, scripts/backstage, scripts/*.ts): commands import the library, never the reverse;
 * - every pinned version (the `*_VERSION` constants of scripts/lib/tools/pins.ts) is written once:
 *   no other file under scripts/ holds its literal or declares a constant of the same name.
 * Imports of the new rules are read with TypeScript's own pre-processor (static, re-exports,
 * dynamic and type-only imports alike).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
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
function specifiers(text: string): string[] {
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

const SCRIPTS = path.join(repoRoot, 'scripts');
const LIB = path.join(SCRIPTS, 'lib');
const PINS = path.join(LIB, 'tools', 'pins.ts');
const rel = (f: string): string => path.relative(repoRoot, f);

/** Every TypeScript module under scripts/. */
function scriptFiles(): string[] {
  return sources(SCRIPTS).filter((f) => /\.(ts|mts)$/.test(f));
}

/** The files a module imports (relative specifiers resolved; packages and node: builtins left out). */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s));
}

/** The import cycles of `graph` (one per strongly connected component, as a closed path). */
function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; a component of two or more modules, or a module that
  // imports itself, is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(closedPath(graph, new Set(comp)));
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** One closed path through a component, for the message: a -> b -> ... -> a. */
function closedPath(graph: Map<string, string[]>, comp: Set<string>): string[] {
  const start = [...comp].sort()[0]!;
  // Breadth-first from start back to start inside the component: the shortest cycle through it.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        while (pathBack[0] !== start) pathBack.unshift(prev.get(pathBack[0]!)!);
        return [...pathBack, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The `export const NAME_VERSION = '<literal>'` pins of a pins file. */
function pinnedVersions(text: string): Map<string, string> {
  const src = ts.createSourceFile('pins.ts', text, ts.ScriptTarget.Latest, true);
  const out = new Map<string, string>();
  for (const st of src.statements) {
    if (!ts.isVariableStatement(st) || !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && /_VERSION$/.test(d.name.text) && d.initializer && ts.isStringLiteralLike(d.initializer)) out.set(d.name.text, d.initializer.text);
    }
  }
  return out;
}

/**
 * Second definitions of `pins` in a source file: a string or template piece holding a pinned
 * version (with or without its leading v, not part of a longer version), or a constant declared
 * under a pin's name. Comments are not code and are not read.
 */
function versionRedefinitions(text: string, pins: Map<string, string>, name = 'file.ts'): string[] {
  const src = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const patterns = [...pins].map(([pin, v]) => {
    const bare = v.replace(/^v/, '').replace(/\./g, '\\.');
    return { pin, v, re: new RegExp(`(?<![\\d.])v?${bare}(?![.]?\\d)`) };
  });
  const found: string[] = [];
  const line = (n: ts.Node): number => src.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      for (const p of patterns) if (p.re.test(n.text)) found.push(`line ${line(n)}: ${JSON.stringify(n.text)} repeats ${p.pin} (${p.v})`);
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && pins.has(n.name.text)) found.push(`line ${line(n)}: declares ${n.name.text} again`);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return found;
}

describe('scripts: rooms by concern, pointing one way', () => {
  it('the rules find what they are meant to find', () => {
    // imports: static, type-only, re-export, dynamic; packages left out
    expect(importsOf('/r/scripts/lib/a.ts', `import type { X } from './b.ts';\nexport * from '../c.ts';\nawait import('./d/e.ts');\nimport { $ } from 'zx';`)).toEqual([
      '/r/scripts/lib/b.ts',
      '/r/scripts/c.ts',
      '/r/scripts/lib/d/e.ts',
    ]);
    // cycles
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(g)).toEqual(expect.arrayContaining([['a', 'b', 'c', 'a'], ['e', 'e']]));
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
    // versions
    const pins = pinnedVersions(`export const KUBERNETES_VERSION = 'v1.36.4';\nexport const KEYCLOAK_VERSION = '26.7.3';\nconst LOCAL_VERSION = 'v9.9.9';`);
    expect([...pins]).toEqual([
      ['KUBERNETES_VERSION', 'v1.36.4'],
      ['KEYCLOAK_VERSION', '26.7.3'],
    ]);
    expect(versionRedefinitions(`const a = 'v1.36.4';\nconst b = \`kindest/node:\${x}-1.36.4\`;\nconst c = \`img:v1.36.4-\${y}\`;\nexport const KEYCLOAK_VERSION = K;`, pins)).toHaveLength(4);
    expect(versionRedefinitions(`// Kubernetes v1.36.4 in a comment\nconst a = 'v1.36.40';\nconst b = '21.36.4';\nconst c = '26.7.3.1';`, pins)).toEqual([]);
  });

  it('no import cycle among scripts/**/*.ts', () => {
    const files = scriptFiles();
    expect(files.length).toBeGreaterThan(40);
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const found = cycles(graph).map((c) => c.map(rel).join(' -> '));
    expect(found, 'break each cycle: move what both modules need into a module both import').toEqual([]);
  });

  it('scripts/lib/ imports only scripts/lib/ (commands import the library, never the reverse)', () => {
    const offenders: string[] = [];
    for (const file of scriptFiles().filter((f) => f.startsWith(LIB + path.sep))) {
      for (const target of importsOf(file)) {
        if (!target.startsWith(LIB + path.sep)) offenders.push(`${rel(file)} imports ${rel(target)}`);
      }
    }
    expect(offenders, 'move the shared code into scripts/lib/ (a command folder is a leaf)').toEqual([]);
  });

  it('each pinned version is defined once, in scripts/lib/tools/pins.ts', () => {
    const pins = pinnedVersions(readFileSync(PINS, 'utf8'));
    // the pins the other rooms rely on are there
    for (const name of ['KUBERNETES_VERSION', 'HELM_VERSION', 'KIND_VERSION', 'OAUTH2_PROXY_VERSION', 'REGISTRY_VERSION', 'CONTAINERD_VERSION']) expect(pins.has(name), name).toBe(true);
    const offenders: string[] = [];
    for (const file of scriptFiles()) {
      if (file === PINS) continue;
      for (const f of versionRedefinitions(readFileSync(file, 'utf8'), pins, file)) offenders.push(`${rel(file)} ${f}`);
    }
    expect(offenders, 'import the constant from scripts/lib/tools/index.ts instead').toEqual([]);
  });
});

describe('templates: rooms by concern', () => {
  /** Every helper file (`_*.tpl`) under templates/, recursively. */
  function helperFiles(dir = path.join(repoRoot, 'templates')): string[] {
    return readdirSync(dir).flatMap((name) => {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) return helperFiles(p);
      return name.startsWith('_') && name.endsWith('.tpl') ? [p] : [];
    });
  }

  it('no helper file is over 250 lines', () => {
    const long = helperFiles()
      .map((f) => [rel(f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 250);
    expect(long, 'split the file by concern (templates/_names.tpl lists the rooms)').toEqual([]);
  });

  it('validation lives in templates/validate/, generic checks apart from the rules about our values', () => {
    const files = helperFiles(path.join(repoRoot, 'templates', 'validate')).map((f) => path.basename(f));
    expect(files).toContain('_validate.tpl');
    expect(files).toContain('_checks.tpl');
    // (docstrings left out: they may mention values in their Usage lines)
    const checks = readFileSync(path.join(repoRoot, 'templates', 'validate', '_checks.tpl'), 'utf8').replace(/\{\{\/\*[\s\S]*?\*\/\}\}/g, '');
    // The generic checks take the value and its path as parameters: they read no values of ours.
    expect(checks).not.toMatch(/\.Values\.(global|backstage|networkPolicy)/);
    // Every helper file outside validate/ defines no validate.* rule.
    for (const f of helperFiles().filter((f) => !f.includes(`${path.sep}validate${path.sep}`))) {
      expect(readFileSync(f, 'utf8'), rel(f)).not.toMatch(/define "backstage-keycloak\.(validate|check)\./);
    }
  });
});

describe('no unresolved merge', () => {
  // A conflict resolved in a hurry once left `<<<<<<< HEAD` … `>>>>>>> release` in CONTRIBUTING.md.
  const marker = /^(<{7}|>{7}) |^={7}$/m;
  it('the marker rule finds conflict blocks and nothing else', () => {
    expect(marker.test(`a\n${'<'.repeat(7)} HEAD\nb\n${'='.repeat(7)}\nc\n${'>'.repeat(7)} main\n`)).toBe(true);
    expect(marker.test('a ======= b\n# =======\n<<<< x\n')).toBe(false);
  });
  it('no tracked text file holds a conflict marker', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter((f) => f && !/(^|\/)package-lock\.json$|\.(png|tgz|gz|ico)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const hits = files.filter((f) => {
      const abs = path.join(repoRoot, f);
      try {
        return statSync(abs).isFile() && marker.test(readFileSync(abs, 'utf8'));
      } catch {
        return false;
      }
    });
    expect(hits).toEqual([]);
  });
});
