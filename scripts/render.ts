/**
 * npm run render -- -f <values.yaml> [-f more.yaml] [--set k=v]... [--mode <sign-in mode>] [--out <dir>]
 *                   [--release <name>] [--namespace <ns>] [--subchart real|standin|auto] [--include-tests]
 *
 * --mode oauth2Proxy|verifiedToken|oidc|oauth2 sets global.signIn.mode and applies the values that
 * mode needs besides it (values/modes/native.yaml for oidc and oauth2), after your files.
 *
 * --subchart real (default) needs the upstream Backstage chart: BACKSTAGE_CHART, charts/*.tgz or an
 * online `helm dependency build`. --subchart standin renders with the offline stand-in (previews and
 * tests only); auto tries real first.
 *
 * Renders the umbrella chart with `helm template` and, with --out, writes one file per resource
 * (<kind>_<name>.yaml, sorted and stable) for GitOps diffs, and records them in
 * .backstage-keycloak-render.json: a later render replaces exactly the files an earlier one wrote,
 * so a directory may hold other files (a kustomization.yaml, your own *_*.yaml) untouched. Prints a summary: kinds, images, which
 * Secrets the chart generates and which it only references. Same inputs give byte-identical output
 * whenever no secret is generated (the summary says when one is).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgv } from 'zx';
import { stringify } from 'yaml';
import { assembleChart, helmTemplate, objectKey, removeChart, resolveBackstageChart, type K8sObject, type SubchartMode } from './lib/chart/assemble.ts';
import { isSignInMode, SIGN_IN_MODES } from './lib/chart/modes.ts';
import { referencedSecrets, Release, releaseHardening } from './lib/chart/release.ts';

/** Written into --out: the files the last render wrote, so the next one removes only those. */
export const RENDER_MANIFEST = '.backstage-keycloak-render.json';

const USAGE = 'usage: npm run render -- -f <values.yaml> [-f ...] [--set k=v]... [--mode oauth2Proxy|verifiedToken|oidc|oauth2] [--out <dir>] [--release <name>] [--namespace <ns>] [--subchart auto|real|standin] [--include-tests]';

function asList(v: unknown): string[] {
  if (v === undefined || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function fileName(o: K8sObject): string {
  return `${o.kind.toLowerCase()}_${o.metadata.name}.yaml`.replace(/[^a-z0-9_.-]/gi, '-');
}

async function main(): Promise<void> {
  const argv = parseArgv(process.argv.slice(2), {
    string: ['f', 'values', 'set', 'mode', 'out', 'release', 'namespace', 'subchart'],
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
  const signInMode = argv.mode === undefined ? undefined : String(argv.mode);
  if (signInMode !== undefined && !isSignInMode(signInMode)) throw new Error(`--mode ${signInMode}: use one of ${SIGN_IN_MODES.join(', ')}`);
  const release = String(argv.release ?? 'backstage');
  const namespace = String(argv.namespace ?? 'backstage');
  const log = (l: string): void => void process.stderr.write(`${l}\n`);

  const source = await resolveBackstageChart(mode, log);
  if (source.kind === 'standin') log('render: WARNING: rendering with the offline STAND-IN for the Backstage chart; do not apply this output to a cluster.');
  const dir = await assembleChart(source);
  try {
    const renderOpts = { release, namespace, valuesFiles, mode: signInMode, set: asList(argv.set), skipTests: !argv['include-tests'] };
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
      const manifestFile = path.join(out, RENDER_MANIFEST);
      const previous: string[] = existsSync(manifestFile) ? (JSON.parse(await readFile(manifestFile, 'utf8')) as { files: string[] }).files : [];
      const files = objects.map(fileName);
      // Only files an earlier render wrote are removed (and only when this one no longer writes them).
      for (const f of previous) if (!files.includes(f) && path.basename(f) === f) await rm(path.join(out, f), { force: true });
      for (const o of objects) await writeFile(path.join(out, fileName(o)), `${stringify(o, { sortMapEntries: false, lineWidth: 0 })}`);
      await writeFile(manifestFile, `${JSON.stringify({ note: 'written by npm run render; lists the files it owns in this directory', files }, null, 2)}\n`);
      log(`render: wrote ${objects.length} files to ${path.relative(process.cwd(), out) || '.'}`);
    } else {
      process.stdout.write(res.stdout);
    }

    // Summary.
    const kinds = new Map<string, number>();
    for (const o of objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const view = new Release(objects);
    const rendered = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name));
    const referenced = new Set(view.podSpecs().flatMap(({ spec }) => referencedSecrets(spec)));
    const secretData = (list: K8sObject[]): Map<string, string> => new Map(list.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, JSON.stringify(o.data ?? {})]));
    const second = secretData(again.objects);
    const generated = [...secretData(objects)].filter(([name, data]) => second.get(name) !== data).map(([name]) => name).sort();
    log('');
    log(`subchart:   ${source.description}`);
    log(`objects:    ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    log(`images:     ${view.images().join(', ')}`);
    log(`secrets rendered from values:    ${[...rendered].filter((n) => !generated.includes(n)).sort().join(', ') || 'none'}`);
    log(`secrets with generated values:   ${generated.join(', ') || 'none'}`);
    log(`secrets referenced, not rendered (must exist in the cluster): ${[...referenced].filter((n) => !rendered.has(n)).sort().join(', ') || 'none'}`);
    // The same hardening rules `npm run verify` applies to the live pods.
    const hardening = releaseHardening(view.podSpecs());
    log(`hardening:  ${hardening.length ? `${hardening.length} problem(s):` : 'every container non-root, read-only, no escalation, no capabilities, seccomp RuntimeDefault'}`);
    for (const h of hardening) log(`  - ${h}`);
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
