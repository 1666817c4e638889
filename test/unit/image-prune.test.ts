/**
 * What the Backstage image leaves out of its staged node_modules (scripts/lib/run/prune.ts): files
 * no running backend reads go, everything `require` or the start-up schema compilation reads stays.
 * The rules per path, then a real tree pruned on disk (symbolic links untouched).
 */
import { mkdir, mkdtemp, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageOf, prunable, pruneNodeModules, pruneSourceMaps } from '../../scripts/lib/run/prune.ts';

const P = 'linux-x64';

/** Writes `files` (relative path -> text) under `root`. */
async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
}

describe('prunable: per file', () => {
  it('names the package a path lies in, nested node_modules and scopes included', () => {
    expect(packageOf('lodash/fp/map.js')).toEqual({ name: 'lodash', inner: 'fp/map.js' });
    expect(packageOf('@azure/identity/dist/commonjs/index.js')).toEqual({ name: '@azure/identity', inner: 'dist/commonjs/index.js' });
    expect(packageOf('@backstage/plugin-techdocs-node/node_modules/@smithy/types/dist-cjs/index.js')).toEqual({ name: '@smithy/types', inner: 'dist-cjs/index.js' });
    expect(packageOf('.package-lock.json')).toBeUndefined();
  });

  it('maps and Markdown go, code, JSON, licences and package manifests stay', () => {
    for (const f of ['express/index.js.map', 'pg/README.md', 'pg/CHANGELOG.markdown', '@smithy/core/dist-cjs/index.js.map']) expect(prunable(f, P), f).toBe(true);
    for (const f of ['express/index.js', 'pg/package.json', 'pg/LICENSE', 'luxon/build/cjs-browser/luxon.js', 'zod/v4/index.cjs', 'mime-db/db.json', '.package-lock.json']) expect(prunable(f, P), f).toBe(false);
  });

  it('declarations and TypeScript sources go, except in the packages whose config schemas are compiled at start', () => {
    for (const f of ['@octokit/openapi-types/types.d.ts', 'zod/v4/core/core.d.cts', 'apache-arrow/src/table.ts', '@types/node/fs.d.ts']) expect(prunable(f, P), f).toBe(true);
    for (const f of ['@backstage/backend-defaults/config.d.ts', '@backstage/types/dist/index.d.ts', '@backstage-community/plugin-catalog-backend-module-keycloak/config.d.ts', 'typescript/lib/lib.es2022.d.ts', '@backstage-keycloak/plugin-auth-backend-module-keycloak/dist/index.d.ts']) expect(prunable(f, P), f).toBe(false);
  });

  it("better-sqlite3 keeps its JavaScript and this platform's binary only", () => {
    expect(prunable('better-sqlite3/deps/sqlite3/sqlite3.c', P)).toBe(true);
    expect(prunable('better-sqlite3/src/better_sqlite3.cpp', P)).toBe(true);
    expect(prunable('better-sqlite3/prebuilds/darwin-arm64.node', P)).toBe(true);
    expect(prunable('better-sqlite3/prebuilds/linuxmusl-x64.node', P)).toBe(true);
    expect(prunable('better-sqlite3/prebuilds/linux-x64.node', P)).toBe(false);
    expect(prunable('better-sqlite3/prebuilds/linux-arm64.node', 'linux-arm64')).toBe(false);
    expect(prunable('better-sqlite3/lib/database.js', P)).toBe(false);
  });

  it("node-gyp goes whole (Yarn's implicit build dependency; no build script runs), node-gyp-build stays", () => {
    for (const f of ['node-gyp/package.json', 'node-gyp/bin/node-gyp.js', 'node-gyp/gyp/pylib/gyp/__init__.py']) expect(prunable(f, P), f).toBe(true);
    for (const f of ['node-gyp-build/index.js', 'node-gyp-build/package.json']) expect(prunable(f, P), f).toBe(false);
  });

  it("TypeScript keeps its API and lib declarations; its command-line front ends and translations go", () => {
    for (const f of ['typescript/lib/_tsc.js', 'typescript/lib/_tsserver.js', 'typescript/lib/_typingsInstaller.js', 'typescript/lib/de/diagnosticMessages.generated.json', 'typescript/lib/zh-cn/diagnosticMessages.generated.json']) expect(prunable(f, P), f).toBe(true);
    for (const f of ['typescript/lib/typescript.js', 'typescript/lib/lib.d.ts', 'typescript/package.json']) expect(prunable(f, P), f).toBe(false);
  });

  it("the Azure SDK's browser builds and MSAL for browsers go; its Node builds stay", () => {
    for (const f of ['@azure/identity/dist/browser/index.js', '@azure/storage-blob/dist/react-native/index.js', '@azure/core-rest-pipeline/dist/workerd/index.js', '@azure/msal-browser/lib/msal-browser.cjs']) expect(prunable(f, P), f).toBe(true);
    for (const f of ['@azure/identity/dist/commonjs/index.js', '@azure/identity/dist/esm/index.js', '@azure/msal-node/lib/msal-node.cjs']) expect(prunable(f, P), f).toBe(false);
  });
});

describe('pruneNodeModules: a tree on disk', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('removes what prunable names, counts it, and leaves files and symbolic links otherwise alone', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bk-prune-'));
    const nm = path.join(dir, 'node_modules');
    const files: Record<string, string> = {
      'pg/index.js': 'module.exports = 1;\n',
      'pg/index.js.map': '{"version":3}',
      'pg/README.md': '# pg\n',
      'zod/index.d.ts': 'export {};\n',
      '@backstage/types/index.d.ts': 'export type X = 1;\n',
      'better-sqlite3/prebuilds/linux-x64.node': 'elf',
      'better-sqlite3/prebuilds/win32-x64.node': 'pe',
    };
    await writeTree(nm, files);
    // A workspace link, as the staged tree has them: never followed.
    await mkdir(path.join(dir, 'plugins', 'x'), { recursive: true });
    await writeFile(path.join(dir, 'plugins', 'x', 'README.md'), 'kept\n');
    await mkdir(path.join(nm, '@backstage-keycloak'), { recursive: true });
    await symlink('../../plugins/x', path.join(nm, '@backstage-keycloak', 'x'));

    const r = await pruneNodeModules(nm, P);
    expect(r.files).toBe(4);
    expect(r.bytes).toBe(['{"version":3}', '# pg\n', 'export {};\n', 'pe'].reduce((n, s) => n + Buffer.byteLength(s), 0));
    const exists = (rel: string) => stat(path.join(nm, rel)).then(() => true, () => false);
    for (const kept of ['pg/index.js', '@backstage/types/index.d.ts', 'better-sqlite3/prebuilds/linux-x64.node']) expect(await exists(kept), kept).toBe(true);
    for (const gone of ['pg/index.js.map', 'pg/README.md', 'zod/index.d.ts', 'better-sqlite3/prebuilds/win32-x64.node']) expect(await exists(gone), gone).toBe(false);
    expect(await readlink(path.join(nm, '@backstage-keycloak', 'x'))).toBe('../../plugins/x');
    expect(await stat(path.join(dir, 'plugins', 'x', 'README.md')).then(() => true)).toBe(true);
  });
});

describe('pruneSourceMaps: the bundle of the deployable app', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("removes every *.map under the workspace packages, the app's static files included, and nothing else", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bk-prune-maps-'));
    const files: Record<string, string> = {
      'app/dist/static/main.1a2b.js': 'console.log(1);\n//# sourceMappingURL=main.1a2b.js.map\n',
      'app/dist/static/main.1a2b.js.map': '{"version":3,"sources":["src/App.tsx"]}',
      'app/dist/index.html.tmpl': '<html></html>\n',
      'app/dist/.config-schema.json': '{}',
      'backend/dist/index.cjs.js': 'module.exports = {};\n',
      'backend/dist/index.cjs.js.map': '{"version":3}',
    };
    await writeTree(dir, files);
    const r = await pruneSourceMaps(dir);
    expect(r.files).toBe(2);
    expect(r.bytes).toBe(Buffer.byteLength(files['app/dist/static/main.1a2b.js.map']!) + Buffer.byteLength(files['backend/dist/index.cjs.js.map']!));
    const exists = (rel: string) => stat(path.join(dir, rel)).then(() => true, () => false);
    for (const rel of Object.keys(files)) expect(await exists(rel), rel).toBe(!rel.endsWith('.map'));
  });
});
