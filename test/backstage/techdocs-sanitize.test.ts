/**
 * Issue 17: TechDocs runs mkdocs inside the Backstage pod (techdocs.generator.runIn: local), and
 * whoever edits a registered component's docs controls its mkdocs.yml. This registers docs whose
 * mkdocs.yml declares a `hooks:` entry (Python run at load), a plugin outside techdocs-node's
 * allow-list (material/offline, installed with mkdocs-material) and a markdown extension with
 * `plantuml_cmd` (a command run per diagram); each would leave a marker file. First the pinned
 * mkdocs builds the same files directly and all three markers appear (the attack works); then the
 * real Backstage backend builds them through its TechDocs API and none appears. With a PlantUML
 * diagram on the page the build is refused cleanly (plantuml_cmd removed, no `plantuml` on PATH);
 * without one the site is built and published.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { $ } from 'zx';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/run/process.ts';
import { ensureMkdocs } from '../../scripts/lib/tools/mkdocs.ts';
import { proxyToken } from './helpers.ts';

const ENTITY = 'mkdocs-attack'; // its page has a PlantUML diagram
const ENTITY_NO_DIAGRAM = 'mkdocs-attack-plain';

let work: string; // scratch: the docs source, the markers, the publish directory
let bs: BackstageHandle | undefined;

/** The attacker's docs in `dir`, whose code would touch files under `markers`. */
async function writeDocs(dir: string, markers: string, entity = ENTITY): Promise<void> {
  await mkdir(path.join(dir, 'docs'), { recursive: true });
  await writeFile(
    path.join(dir, 'catalog-info.yaml'),
    stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: entity, annotations: { 'backstage.io/techdocs-ref': 'dir:.' } },
      spec: { type: 'service', lifecycle: 'experimental', owner: 'group:default/users' },
    }),
  );
  await writeFile(
    path.join(dir, 'mkdocs.yml'),
    stringify({
      site_name: 'mkdocs attack',
      nav: [{ Home: 'index.md' }],
      hooks: ['hook.py'],
      plugins: ['techdocs-core', 'material/offline'],
      // plantuml_markdown splits the command on spaces: `sh <script>` runs the script.
      markdown_extensions: [{ plantuml_markdown: { plantuml_cmd: `sh ${path.join(dir, 'plantuml.sh')}` } }],
    }),
  );
  await writeFile(path.join(dir, 'hook.py'), `import pathlib\npathlib.Path(${JSON.stringify(path.join(markers, 'hook'))}).touch()\n`);
  await writeFile(path.join(dir, 'plantuml.sh'), `touch ${path.join(markers, 'plantuml')}\n`);
  const diagram = entity === ENTITY ? '::uml::\n@startuml\nA -> B\n@enduml\n::end-uml::\n' : '';
  await writeFile(path.join(dir, 'docs', 'index.md'), `# mkdocs attack\n\nThe page itself.\n\n${diagram}`);
}

/** The three markers: the hook's and plantuml's files, and the offline plugin's search_index.js in the site. */
function markers(markerDir: string, site: string): Record<string, boolean> {
  return {
    hook: existsSync(path.join(markerDir, 'hook')),
    plantuml_cmd: existsSync(path.join(markerDir, 'plantuml')),
    'material/offline': existsSync(path.join(site, 'search', 'search_index.js')),
  };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bk-techdocs-attack-'));
});

afterAll(async () => {
  await bs?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a registered component's mkdocs.yml cannot run code in the Backstage pod", () => {
  it('control: the pinned mkdocs, run directly on the same files, runs all three (the markers appear)', async () => {
    const dir = path.join(work, 'direct');
    const mk = path.join(work, 'direct-markers');
    await mkdir(mk, { recursive: true });
    await writeDocs(dir, mk);
    const mkdocs = await ensureMkdocs();
    const out = await $({ cwd: dir, quiet: true, nothrow: true, timeout: '120s' })`${path.join(mkdocs.bin, 'mkdocs')} build --site-dir ${path.join(dir, 'site')}`;
    expect(markers(mk, path.join(dir, 'site')), out.stdout + out.stderr).toEqual({ hook: true, plantuml_cmd: true, 'material/offline': true });
  });

  it('through Backstage (techdocs-node sanitises mkdocs.yml): none of them runs; the build is refused cleanly with the diagram and published without it', async () => {
    const mk = path.join(work, 'markers');
    const publish = path.join(work, 'published');
    await mkdir(mk, { recursive: true });
    await mkdir(publish, { recursive: true });
    const dirs = { [ENTITY]: path.join(work, 'repo'), [ENTITY_NO_DIAGRAM]: path.join(work, 'repo-plain') };
    for (const [entity, dir] of Object.entries(dirs)) await writeDocs(dir, mk, entity);
    const config = path.join(work, 'app-config.attack.yaml');
    await writeFile(
      config,
      stringify({
        catalog: {
          locations: [
            { type: 'file', target: path.join(repoRoot, 'backstage', 'catalog', 'demo-org.yaml'), rules: [{ allow: ['User', 'Group'] }] },
            ...Object.values(dirs).map((d) => ({ type: 'file', target: path.join(d, 'catalog-info.yaml') })),
          ],
        },
      }),
    );
    bs = await startBackstage({ port: await freePort(), configs: ['app-config.local.yaml', config], env: { TECHDOCS_PUBLISH_DIR: publish }, waitForUser: 'alice' });
    const token = await proxyToken(bs.url, 'alice');
    const auth = { authorization: `Bearer ${token}` };
    /** What the TechDocs page does on a visit: ask the backend to build (an event stream that ends with the result). */
    const build = async (entity: string): Promise<string> => {
      const deadline = Date.now() + 60_000; // the catalog reads the locations a moment after start
      while ((await fetch(`${bs!.url}/api/catalog/entities/by-name/component/default/${entity}`, { headers: auth })).status !== 200) {
        if (Date.now() > deadline) throw new Error(`${entity} never reached the catalog:\n${bs!.logs().slice(-30).join('\n')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const res = await fetch(`${bs!.url}/api/techdocs/sync/default/component/${entity}`, { headers: { ...auth, accept: 'text/event-stream' }, signal: AbortSignal.timeout(150_000) });
      expect(res.status).toBe(200);
      return res.text();
    };

    // With the diagram: mkdocs stops on it (no plantuml_cmd any more, no plantuml binary), an error the page shows.
    const refused = await build(ENTITY);
    expect(refused).toMatch(/event: error\ndata: "Failed to generate docs [^"]*Command mkdocs failed/);
    expect(existsSync(path.join(publish, 'default', 'component', ENTITY, 'index.html'))).toBe(false);
    expect(markers(mk, path.join(publish, 'default', 'component', ENTITY))).toEqual({ hook: false, plantuml_cmd: false, 'material/offline': false });

    // Without it: built and published, and still nothing ran (the offline plugin would have written search_index.js).
    const built = await build(ENTITY_NO_DIAGRAM);
    expect(built).toMatch(/event: finish/);
    const site = path.join(publish, 'default', 'component', ENTITY_NO_DIAGRAM);
    expect(existsSync(path.join(site, 'index.html'))).toBe(true);
    expect(existsSync(path.join(site, 'search', 'search_index.json'))).toBe(true); // the allowed search plugin ran
    expect(markers(mk, site)).toEqual({ hook: false, plantuml_cmd: false, 'material/offline': false });

    // techdocs-node says what it removed, in the build log it streams to the page.
    const logs = `${refused}\n${built}`;
    expect(logs).toMatch(/Removed the following unsupported configuration keys from mkdocs\.yml: hooks/);
    expect(logs).toMatch(/Removed unsupported MkDocs plugins from mkdocs\.yml: material\/offline/);
    expect(logs).toMatch(/Removed the following dangerous entries from markdown_extensions in mkdocs\.yml: [^\n]*plantuml/);
  }, 240_000);
});
