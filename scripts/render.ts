/**
 * npm run render -- -f <values.yaml> [-f more.yaml] [--set k=v]... [--out <dir>] [--release <name>]
 *                   [--namespace <ns>] [--subchart real|standin|auto] [--include-tests]
 *
 * --subchart real (default) needs the upstream Backstage chart: BACKSTAGE_CHART, charts/*.tgz or an
 * online `helm dependency build`. --subchart standin renders with the offline stand-in (previews and
 * tests only); auto tries real first.
 *
 * Renders the umbrella chart with `helm template` and, with --out, writes one file per resource
 * (<kind>_<name>.yaml, sorted and stable) for GitOps diffs. Prints a summary: kinds, images, which
 * Secrets the chart generates and which it only references. Same inputs give byte-identical output
 * whenever no secret is generated (the summary says when one is).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgv } from 'zx';
import { stringify } from 'yaml';
import { assembleChart, helmTemplate, objectKey, removeChart, resolveBackstageChart, type K8sObject, type SubchartMode } from './lib/chart.ts';

interface PodSpecLike {
  containers?: { name: string; image?: string; env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[]; envFrom?: { secretRef?: { name?: string } }[] }[];
  initContainers?: PodSpecLike['containers'];
  volumes?: { secret?: { secretName?: string } }[];
}

const USAGE = 'usage: npm run render -- -f <values.yaml> [-f ...] [--set k=v]... [--out <dir>] [--release <name>] [--namespace <ns>] [--subchart auto|real|standin] [--include-tests]';

function asList(v: unknown): string[] {
  if (v === undefined || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function podSpecOf(o: K8sObject): PodSpecLike | undefined {
  const spec = o.spec as { template?: { spec?: PodSpecLike } } & PodSpecLike | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec;
  return spec.template?.spec;
}

/** Secret names a pod spec reads (env, envFrom, volumes). */
function referencedSecrets(o: K8sObject): string[] {
  const spec = podSpecOf(o);
  if (!spec) return [];
  const names = new Set<string>();
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) if (v.secret?.secretName) names.add(v.secret.secretName);
  return [...names];
}

export function fileName(o: K8sObject): string {
  return `${o.kind.toLowerCase()}_${o.metadata.name}.yaml`.replace(/[^a-z0-9_.-]/gi, '-');
}

async function main(): Promise<void> {
  const argv = parseArgv(process.argv.slice(2), {
    string: ['f', 'values', 'set', 'out', 'release', 'namespace', 'subchart'],
    boolean: ['include-tests', 'help'],
    alias: { f: 'values' },
  });
  if (argv.help) {
    console.log(USAGE);
    return;
  }
  const valuesFiles = asList(argv.values).map((f) => path.resolve(f));
  if (valuesFiles.length === 0) throw new Error(`no values file given.\n${USAGE}\nExample: npm run render -- -f values/example.yaml --out out/`);
  for (const f of valuesFiles) if (!existsSync(f)) throw new Error(`values file ${f} does not exist`);
  const mode = String(argv.subchart ?? 'real') as SubchartMode;
  if (!['auto', 'real', 'standin'].includes(mode)) throw new Error(`--subchart ${mode}: use auto, real or standin`);
  const release = String(argv.release ?? 'backstage');
  const namespace = String(argv.namespace ?? 'backstage');
  const log = (l: string): void => void process.stderr.write(`${l}\n`);

  const source = await resolveBackstageChart(mode, log);
  if (source.kind === 'standin') log('render: WARNING: rendering with the offline STAND-IN for the Backstage chart; do not apply this output to a cluster.');
  const dir = await assembleChart(source);
  try {
    const renderOpts = { release, namespace, valuesFiles, set: asList(argv.set), skipTests: !argv['include-tests'] };
    // Rendered twice: Secrets whose data differ between the two carry values generated at render time.
    const [res, again] = await Promise.all([helmTemplate(dir, renderOpts), helmTemplate(dir, renderOpts)]);
    if (!res.ok) {
      process.stderr.write(res.stderr.replace(/\n*Use --debug flag to render out invalid YAML\n*$/, '\n'));
      process.exitCode = 1;
      return;
    }
    const objects = [...res.objects].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));

    if (argv.out) {
      const out = path.resolve(String(argv.out));
      await mkdir(out, { recursive: true });
      // Only files this script writes are replaced, so a GitOps directory may hold other files.
      for (const f of await readdir(out)) if (/^[a-z0-9]+_.*\.yaml$/.test(f)) await rm(path.join(out, f));
      for (const o of objects) await writeFile(path.join(out, fileName(o)), `${stringify(o, { sortMapEntries: false, lineWidth: 0 })}`);
      log(`render: wrote ${objects.length} files to ${path.relative(process.cwd(), out) || '.'}`);
    } else {
      process.stdout.write(res.stdout);
    }

    // Summary.
    const kinds = new Map<string, number>();
    for (const o of objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const images = new Set<string>();
    for (const o of objects) for (const c of [...(podSpecOf(o)?.containers ?? []), ...(podSpecOf(o)?.initContainers ?? [])]) if (c.image) images.add(c.image);
    const rendered = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name));
    const referenced = new Set(objects.flatMap(referencedSecrets));
    const secretData = (list: K8sObject[]): Map<string, string> => new Map(list.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, JSON.stringify(o.data ?? {})]));
    const second = secretData(again.objects);
    const generated = [...secretData(objects)].filter(([name, data]) => second.get(name) !== data).map(([name]) => name).sort();
    log('');
    log(`subchart:   ${source.description}`);
    log(`objects:    ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    log(`images:     ${[...images].sort().join(', ')}`);
    log(`secrets rendered from values:    ${[...rendered].filter((n) => !generated.includes(n)).sort().join(', ') || 'none'}`);
    log(`secrets with generated values:   ${generated.join(', ') || 'none'}`);
    log(`secrets referenced, not rendered (must exist in the cluster): ${[...referenced].filter((n) => !rendered.has(n)).sort().join(', ') || 'none'}`);
    if (generated.length > 0) {
      log(`note: ${generated.join(', ')} hold values generated at render time (helm template cannot look up the stored ones), so this output changes on every run. For GitOps, give those values through existing Secrets (see values/gitops-example.yaml).`);
    }
  } finally {
    await removeChart(dir);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`render: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
