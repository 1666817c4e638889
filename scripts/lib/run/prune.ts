/**
 * What the deployable app (backstage/.deploy, which the Backstage image copies to /app; written by
 * scripts/lib/run/backstage.ts) leaves out of its production node_modules: files `yarn workspaces
 * focus --production` keeps because they ship inside runtime packages, but that the backend never
 * reads when it runs. `prunable` decides per file (a path relative to node_modules, `/`-separated);
 * `pruneNodeModules` walks the tree (symbolic links are left alone: the workspace packages' links
 * and `app`) and removes what it names.
 *
 *   source maps (`*.map`) and Markdown (`*.md`): for debuggers and readers, not for `require`
 *   type declarations (`*.d.ts`, `*.d.mts`, `*.d.cts`) and TypeScript sources, except in the
 *     packages of KEEP_TYPES: at start the backend compiles the `configSchema` declarations of
 *     Backstage packages with TypeScript (config-loader, to know which values are secret), which
 *     reads its own `lib.*.d.ts` and the declarations those schemas import
 *   better-sqlite3's SQLite sources (`deps/`, `src/`) and its prebuilt binaries for other
 *     platforms (it loads `prebuilds/<platform>-<arch>.node`; the image is the host's platform)
 *   TypeScript's compiler front ends (`lib/_tsc.js`, `lib/_tsserver.js`,
 *     `lib/_typingsInstaller.js`) and translated diagnostics (`lib/<locale>/`): config-loader uses
 *     the API in `lib/typescript.js`
 *   the browser, React Native and workerd builds of the Azure SDK (`@azure/x/dist/browser/`...),
 *     and `@azure/msal-browser`, which only `@azure/identity`'s browser build imports
 *   `node-gyp`: Yarn makes it a dependency of every package with a `binding.gyp`, to build it; the
 *     install runs no build scripts (better-sqlite3 loads its prebuilt binary), so nothing runs it
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Packages whose declarations and TypeScript files stay (see the header). */
export const KEEP_TYPES = [/^@backstage\//, /^@backstage-community\//, /^@backstage-keycloak\//, /^typescript$/];

/** The package a node_modules-relative path lies in, and the path inside it. */
export function packageOf(rel: string): { name: string; inner: string } | undefined {
  const parts = rel.split('/');
  const at = parts.lastIndexOf('node_modules');
  const rest = at === -1 ? parts : parts.slice(at + 1);
  if (!rest.length) return undefined;
  const n = rest[0]!.startsWith('@') ? 2 : 1;
  if (rest.length <= n) return undefined;
  return { name: rest.slice(0, n).join('/'), inner: rest.slice(n).join('/') };
}

const DECLARATION = /\.d\.(ts|mts|cts)$/;
const TS_SOURCE = /\.(ts|mts|cts|tsx)$/;

/** Whether the backend never reads this file (see the header). `platform`: `<os>-<arch>` of the image. */
export function prunable(rel: string, platform = `${process.platform}-${process.arch}`): boolean {
  const pkg = packageOf(rel);
  if (!pkg) return false;
  const { name, inner } = pkg;
  const file = path.posix.basename(inner);
  if (file.endsWith('.map') || /\.(md|markdown)$/i.test(file)) return true;
  const keepTypes = KEEP_TYPES.some((re) => re.test(name));
  if (!keepTypes && (DECLARATION.test(file) || TS_SOURCE.test(file))) return true;
  if (name === 'better-sqlite3') {
    if (/^(deps|src)\//.test(inner)) return true;
    const m = /^prebuilds\/([^/]+)\.node$/.exec(inner);
    if (m) return m[1] !== platform;
  }
  if (name === 'typescript') {
    if (/^lib\/_(tsc|tsserver|typingsInstaller)\.js$/.test(inner)) return true;
    if (/^lib\/[a-z]{2}(-[a-z]{2})?\/diagnosticMessages\.generated\.json$/.test(inner)) return true;
  }
  if (name.startsWith('@azure/') && /^dist\/(browser|react-native|workerd)\//.test(inner)) return true;
  if (name === '@azure/msal-browser') return true;
  if (name === 'node-gyp') return true;
  return false;
}

/**
 * Removes the files under `root` whose path (relative to `root`, `/`-separated) `remove` names,
 * descending into the directories `enter` allows; symbolic links are never followed or removed.
 * Returns how many files went and their bytes.
 */
async function removeFiles(root: string, remove: (rel: string) => boolean, enter: (name: string) => boolean = () => true): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (enter(e.name)) await walk(abs, r);
      } else if (e.isFile() && remove(r)) {
        bytes += (await lstat(abs)).size;
        files += 1;
        await rm(abs);
      }
    }
  };
  await walk(root, '');
  return { files, bytes };
}

/**
 * Removes the source maps (`*.map`) under `root`: the app's dist/ in the backend's bundle, where
 * the rspack build leaves about 45 MiB of them next to the static files app-backend serves. No
 * browser needs them to run the app, and the image serves the app, not its sources.
 */
export function pruneSourceMaps(root: string): Promise<{ files: number; bytes: number }> {
  return removeFiles(root, (rel) => rel.endsWith('.map'), (name) => name !== 'node_modules');
}

/** Removes the prunable files under `root` (a node_modules folder); returns how many and their bytes. */
export function pruneNodeModules(root: string, platform?: string): Promise<{ files: number; bytes: number }> {
  return removeFiles(root, (rel) => prunable(rel, platform));
}
