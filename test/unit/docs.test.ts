import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../support/chart.ts';
import { parse as parseYaml } from 'yaml';
import { expectedSchema, expectedValuesDoc, parseParams, VALUES_DOC, VALUES_SOURCES } from '../../scripts/docs.ts';
import { DIAGRAMS, dotVersion, expectedDiagram, sourceHash, stampOf } from '../../scripts/lib/docs/diagrams.ts';
import { parseModifiers, valuesSchema } from '../../scripts/lib/chart/values-schema.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

/** Leaf keys of values.yaml that users set (lists and the pre-wired subchart blocks count as one). */
function leaves(v: unknown, prefix = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length === 0) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
}

describe('values documentation', () => {
  it('docs/values.md is generated from the @param lines and up to date (npm run docs)', async () => {
    const { current, expected } = await expectedValuesDoc();
    expect(current).toBe(expected);
  });

  it.each(VALUES_SOURCES)('the @param lines of $file are short: one sentence (two at most), no measured figures', async ({ file }) => {
    const text = await readFile(path.join(repoRoot, file), 'utf8');
    const long = parseParams(text).filter((p) => p.description.length > 200 || p.description.split(/(?<=\.)\s+(?=[A-Z])/).length > 2);
    expect(long.map((p) => p.key)).toEqual([]);
    // Benchmark figures live in docs/benchmarks.md with the command that produced them.
    const figures = parseParams(text).filter((p) => /µs|\d+(\.\d+)? ?MiB ->|\d+-\d+%|bench:/.test(p.description));
    expect(figures.map((p) => p.key)).toEqual([]);
  });

  it('values.schema.json is generated from the annotated values files and up to date (npm run docs)', async () => {
    const { current, expected } = await expectedSchema();
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

describe('README and docs/', () => {
  const markdown = async (): Promise<string[]> => ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', ...(await readdir(path.join(repoRoot, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it('the README is a page a newcomer reads in minutes (under 300 lines) and links the values reference', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(300);
    expect(readme).toContain(`(${VALUES_DOC})`);
    expect(readme).not.toContain('values:start');
  });

  it('every relative link of README.md, CONTRIBUTING.md, SECURITY.md and docs/*.md names a file that exists, and a heading that exists', async () => {
    const slugs = (md: string): Set<string> => {
      const seen = new Map<string, number>();
      const out = new Set<string>();
      for (const m of md.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
        const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n ? `${base}-${n}` : base);
      }
      return out;
    };
    const broken: string[] = [];
    for (const file of await markdown()) {
      const text = (await readFile(path.join(repoRoot, file), 'utf8')).replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/.test(link)) continue;
        const [target, anchor] = link.split('#') as [string, string | undefined];
        const resolved = target ? path.join(path.dirname(path.join(repoRoot, file)), target) : path.join(repoRoot, file);
        const body = await readFile(resolved, 'utf8').catch(() => undefined);
        if (body === undefined) broken.push(`${file}: ${link} (no such file)`);
        else if (anchor && resolved.endsWith('.md') && !slugs(body).has(anchor)) broken.push(`${file}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(DIAGRAMS)('$svg was rendered from $dot as committed (re-rendered and compared where Graphviz is here)', async (d) => {
    const source = await readFile(path.join(repoRoot, d.dot), 'utf8');
    const svg = await readFile(path.join(repoRoot, d.svg), 'utf8');
    expect(stampOf(svg), 'run npm run docs (needs Graphviz: apt-get install graphviz)').toEqual({ file: d.dot, sha256: sourceHash(source) });
    const { current, expected, error } = await expectedDiagram(d);
    expect(error).toBeUndefined();
    // Without `dot` (or with another Graphviz version) only the stamp above can be checked.
    if (dotVersion()) expect(current).toBe(expected);
  });

  it('names every object this chart renders itself (the alpha ConfigMap included; docs/architecture.md owns the list)', async () => {
    const page = await readFile(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
    const start = page.indexOf('Objects this chart renders itself:');
    const end = page.indexOf('Everything else comes from the upstream chart');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const paragraph = page.slice(start, end);
    for (const mode of ['oauth2Proxy', 'verifiedToken']) {
      const m = await render({ release: 'team', set: [`global.signIn.mode=${mode}`] });
      const ours = m.objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'backstage-keycloak');
      expect(ours.length).toBeGreaterThanOrEqual(5);
      for (const o of ours) expect(paragraph, `${o.kind}/${o.metadata.name}`).toMatch(new RegExp(`${o.kind}[^\\n]*\\s*\`<release>${o.metadata.name.slice('team'.length)}\``, 'i'));
    }
  });
});

describe('schema generation from annotations', () => {
  const sample = [
    '## @block top A block of ours.',
    'top:',
    '  ## @param top.mode [enum: a|b] The mode.',
    '  mode: a',
    '  ## @param top.flag [boolean, nullable] Derived when null.',
    '  flag: null',
    '  ## @param top.list [items: string] Names.',
    '  list: []',
    '  ## @param top.env [values: string|integer] A map of scalars.',
    '  env: {}',
    '  ## @param top.free A free-form map.',
    '  free: {a: 1}',
    '  nested:',
    '    ## @param top.nested.count [min: 1] A count.',
    '    count: 3',
    '## @block up [upstream] Checked by another schema.',
    'up:',
    '  inner:',
    '    ## @param up.inner.name A name.',
    '    name: x',
    '## @block sub [subchart] A local subchart.',
    'sub:',
    '  ## @param sub.enabled On or off.',
    '  enabled: false',
  ].join('\n');
  const schema = valuesSchema([{ text: sample, prefix: '' }], { title: 't', description: 'd' }) as any;

  it('closes the root and our blocks, keeps upstream blocks open, lets globals into subchart blocks', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.top.additionalProperties).toBe(false);
    expect(schema.properties.top.properties.nested.additionalProperties).toBe(false);
    expect(schema.properties.up.additionalProperties).toBeUndefined();
    expect(schema.properties.up.properties.inner.additionalProperties).toBeUndefined();
    expect(schema.properties.sub.additionalProperties).toBe(false);
    expect(schema.properties.sub.properties.global).toMatchObject({ type: 'object' });
  });

  it('takes types from defaults and modifiers, descriptions without the modifiers', () => {
    const top = schema.properties.top.properties;
    expect(top.mode).toEqual({ type: 'string', enum: ['a', 'b'], description: 'The mode.' });
    expect(top.flag).toEqual({ type: ['boolean', 'null'], description: 'Derived when null.' });
    expect(top.list).toEqual({ type: 'array', items: { type: 'string' }, description: 'Names.' });
    expect(top.env).toEqual({ type: 'object', additionalProperties: { type: ['string', 'integer'] }, description: 'A map of scalars.' });
    expect(top.free).toEqual({ type: 'object', description: 'A free-form map.' });
    expect(top.nested.properties.count).toEqual({ type: 'integer', minimum: 1, description: 'A count.' });
    expect(schema.properties.up.description).toBe('Checked by another schema.');
  });

  it('refuses unknown modifiers, annotations of missing keys and untyped nulls', () => {
    expect(() => parseModifiers('strnig', 'x')).toThrow(/unknown modifier "strnig"/);
    expect(() => valuesSchema([{ text: '## @param nope A key that is not there.\nyes: 1', prefix: '' }], { title: '', description: '' })).toThrow(/@param nope names no value/);
    expect(() => valuesSchema([{ text: '## @param n Null.\nn: null', prefix: '' }], { title: '', description: '' })).toThrow(/n: the default is null/);
  });
});

describe('chart helpers', () => {
  it('every define in templates/_*.tpl is documented with Usage and Params (the comment above it names it)', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(path.join(repoRoot, 'templates'))).filter((f) => /^_.*\.tpl$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const undocumented: string[] = [];
    for (const f of files) {
      const text = await readFile(path.join(repoRoot, 'templates', f), 'utf8');
      for (const m of text.matchAll(/\{\{-? define "([^"]+)" -?\}\}/g)) {
        const before = text.slice(0, m.index);
        const comment = before.slice(before.lastIndexOf('{{/*'));
        if (!(comment.includes('Usage:') && comment.includes('Params:') && comment.includes(m[1]!))) undocumented.push(`${f}: ${m[1]}`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
