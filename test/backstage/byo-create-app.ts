/**
 * The second "bring your own Backstage" app of byo.test.ts: laid out the way `@backstage/create-app`
 * lays out a new app today (new frontend system, a backend made with createBackend(), packages
 * built by backstage-cli), with only what the test needs and our packed tarballs as the only
 * thing taken from backstage/:
 *
 *   package.json            workspaces packages/*, plugins/*; @backstage/cli + cli-defaults
 *   app-config.yaml         app.packages: all (feature discovery), SQLite in memory, our policy
 *   examples/org.yaml       alice (admins), bob (users)
 *   packages/app            role frontend: src/index.tsx, src/App.tsx (createApp from
 *                           @backstage/frontend-defaults), src/modules/whoami (a page of its own),
 *                           public/index.html; our frontend package is only a dependency (discovered)
 *   packages/backend        role backend: src/index.ts with createBackend() and backend.add(...),
 *                           our packages' lines taken from their READMEs (backendIndex)
 *
 * Installed with Yarn 4 as create-app does (nodeLinker node-modules, yarnPath in .yarnrc.yml), the
 * Yarn release taken from the npm registry's @yarnpkg/cli-dist (the repository's devDependency, the one backstage/ uses:
 * corepack's download host is not reachable here) and packages from the npm registry. Built as a
 * create-app app builds for production: `yarn build:backend` (backstage-cli package build in
 * packages/backend, which builds packages/app first, then writes dist/skeleton.tar.gz and
 * dist/bundle.tar.gz), unpacked into deploy/ as create-app's host-build Dockerfile does; the
 * production install there is the workspace's own node_modules (a link), not a second install.
 * npm workspaces cannot do this step: the backend build copies yarn.lock into the bundle
 * ("ENOENT: no such file or directory, lstat '<app>/yarn.lock'") and runs `yarn run build` in the app
 * (which is why backstage/ is a Yarn workspace too).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { BACKSTAGE_DIR } from '../../scripts/lib/run/backstage.ts';

const run = promisify(execFile);

/** Upstream packages of the new app with the versions to pin them at (resolved by the caller). */
export const NEW_APP_ROOT_DEV_DEPS = ['@backstage/cli', '@backstage/cli-defaults', 'typescript'];
export const NEW_APP_FRONTEND_DEPS = [
  '@backstage/core-components',
  '@backstage/core-plugin-api',
  '@backstage/frontend-defaults',
  '@backstage/frontend-plugin-api',
  '@backstage/plugin-app-react',
  '@backstage/plugin-catalog',
  '@backstage/ui',
  '@material-ui/core',
  'react',
  'react-dom',
  'react-router',
  'react-router-dom',
];
export const NEW_APP_BACKEND_DEPS = [
  '@backstage/backend-defaults',
  '@backstage/plugin-app-backend',
  '@backstage/plugin-auth-backend',
  '@backstage/plugin-catalog-backend',
  '@backstage/plugin-permission-backend',
  'better-sqlite3',
];

export interface NewAppDeps {
  rootDev: Record<string, string>;
  frontend: Record<string, string>;
  backend: Record<string, string>;
  /** Yarn resolutions holding every @backstage/* package on one release (see releaseResolutions). */
  resolutions: Record<string, string>;
}

/**
 * The @backstage/* versions backstage/ installs at the top level of its node_modules (yarn.lock), as Yarn
 * resolutions. A new app must stay on ONE Backstage release: left to its caret ranges, Yarn takes
 * the newest of each (core-plugin-api ^1.12.10 gives 1.13.0, which brings frontend-plugin-api 1.0.0
 * next to the 0.18.1 of frontend-defaults 0.5.6), and the new frontend system then fails to start
 * ("Expected bootstrap tree to expose a root element"). create-app holds its app on one release
 * with the yarn.lock it ships (and `backstage-cli versions:bump` moves it); this app has no such
 * lockfile, so it pins the release our workspace runs.
 */
export async function releaseResolutions(): Promise<Record<string, string>> {
  const scope = path.join(BACKSTAGE_DIR, 'node_modules', '@backstage');
  const names = (await readdir(scope)).sort().filter((n) => existsSync(path.join(scope, n, 'package.json')));
  return installedVersions(names.map((n) => `@backstage/${n}`));
}

/** The versions backstage/ installed of `names` (its node_modules), as exact dependencies. */
export async function installedVersions(names: string[]): Promise<Record<string, string>> {
  const version = async (pkg: string) => (JSON.parse(await readFile(path.join(BACKSTAGE_DIR, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await version(n)] as const)));
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** The first fenced block of `lang` in a README of backstage/plugins/ (its lines, as a user copies them). */
export async function readmeBlock(pluginDir: string, lang = 'ts'): Promise<string> {
  const readme = await readFile(path.join(BACKSTAGE_DIR, 'plugins', pluginDir, 'README.md'), 'utf8');
  const m = new RegExp(`^\`\`\`${lang}\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(readme);
  if (!m) throw new Error(`backstage/plugins/${pluginDir}/README.md has no \`\`\`${lang} block: the create-app app takes its backend lines from there`);
  return m[1]!;
}

/**
 * packages/backend/src/index.ts of the new app: create-app's backend with our packages added by
 * exactly the lines their READMEs show (the auth module's block: createBackend, the path guard, the
 * auth plugin and module; the permission module's block), around the plugins a generated app has
 * anyway (app, catalog). So the test proves the README, not a copy of it. Only what differs from a
 * generated app matters here; the frontend package is a plain dependency of packages/app
 * (app.packages: all discovers its /alpha module), as its README says.
 */
export async function backendIndex(): Promise<string> {
  const auth = await readmeBlock('auth-backend-module-keycloak');
  const permission = await readmeBlock('permission-backend-module-keycloak');
  return `${auth}
backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-catalog-backend'));

${permission}
backend.start();
`;
}

const APP_INDEX = `import '@backstage/cli/asset-types';
import ReactDOM from 'react-dom/client';
import App from './App';
import '@backstage/ui/css/styles.css';

ReactDOM.createRoot(document.getElementById('root')!).render(App.createRoot());
`;

// No sign-in page here: the discovered Keycloak module brings it (and the auth APIs).
const APP_TSX = `import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { whoamiPlugin } from './modules/whoami';

export default createApp({
  features: [catalogPlugin, whoamiPlugin],
});
`;

// A page of the team's own: who is signed in, and the sign-out every Backstage app has.
const WHOAMI = `import { useEffect, useState } from 'react';
import { PageBlueprint, createFrontendPlugin, identityApiRef, useApi } from '@backstage/frontend-plugin-api';

function WhoAmI() {
  const identity = useApi(identityApiRef);
  const [ref, setRef] = useState<string>();
  useEffect(() => {
    identity.getBackstageIdentity().then((i) => setRef(i.userEntityRef));
  }, [identity]);
  return (
    <main>
      {ref && <p data-testid="user-entity-ref">{ref}</p>}
      <button type="button" data-testid="sign-out" onClick={() => identity.signOut()}>
        Sign out
      </button>
    </main>
  );
}

export const whoamiPlugin = createFrontendPlugin({
  pluginId: 'whoami',
  extensions: [PageBlueprint.make({ params: { path: '/whoami', loader: async () => <WhoAmI /> } })],
});
`;

const ORG = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: admins }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: users }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { profile: { email: alice@example.com }, memberOf: [admins] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: { profile: { email: bob@example.com }, memberOf: [users] }
`;

function appConfig(orgFile: string): string {
  return `app:
  title: byo create-app
  baseUrl: http://localhost:3000
  # create-app's default: every frontend plugin and module packages/app depends on is installed.
  packages: all
backend:
  baseUrl: http://localhost:7007
  listen: { host: 127.0.0.1, port: 7007 }
  database: { client: better-sqlite3, connection: ':memory:' }
  csp:
    # plain http on loopback
    upgrade-insecure-requests: false
permission:
  enabled: true
backstageKeycloak:
  permissions:
    adminGroups: [/admins]
catalog:
  rules:
    - allow: [User, Group, Location]
  locations:
    - type: file
      target: ${orgFile}
`;
}

/** Writes the app into `dir` (package.json files point at the tarballs given in `deps`). */
export async function writeNewApp(dir: string, deps: NewAppDeps): Promise<void> {
  // The page template is the one our own app (backstage/packages/app) is built with: create-app's
  // shape, the title from app.title.
  const indexHtml = await readFile(path.join(BACKSTAGE_DIR, 'packages', 'app', 'public', 'index.html'), 'utf8');
  const files: Record<string, string> = {
    'package.json': json({
      name: 'root',
      version: '1.0.0',
      private: true,
      engines: { node: '22 || 24' },
      scripts: {
        start: 'backstage-cli repo start',
        'build:backend': 'yarn workspace backend build',
        'build:all': 'backstage-cli repo build --all',
        tsc: 'tsc',
        lint: 'backstage-cli repo lint',
      },
      workspaces: ['packages/*', 'plugins/*'],
      devDependencies: deps.rootDev,
      resolutions: deps.resolutions,
    }),
    'app-config.yaml': appConfig(path.join(dir, 'examples', 'org.yaml')),
    'examples/org.yaml': ORG,
    'packages/app/package.json': json({
      name: 'app',
      version: '0.0.0',
      private: true,
      bundled: true,
      backstage: { role: 'frontend' },
      scripts: { start: 'backstage-cli package start', build: 'backstage-cli package build' },
      dependencies: deps.frontend,
    }),
    'packages/app/public/index.html': indexHtml,
    'packages/app/src/index.tsx': APP_INDEX,
    'packages/app/src/App.tsx': APP_TSX,
    'packages/app/src/modules/whoami/index.tsx': WHOAMI,
    'packages/backend/package.json': json({
      name: 'backend',
      version: '0.0.0',
      main: 'dist/index.cjs.js',
      types: 'src/index.ts',
      private: true,
      backstage: { role: 'backend' },
      scripts: { start: 'backstage-cli package start', build: 'backstage-cli package build' },
      dependencies: { ...deps.backend, app: 'link:../app' },
    }),
    'packages/backend/src/index.ts': await backendIndex(),
    'tsconfig.json': json({
      extends: '@backstage/cli/config/tsconfig.json',
      include: ['packages/*/src', 'plugins/*/src'],
      exclude: ['node_modules'],
      compilerOptions: { outDir: 'dist-types', rootDir: '.', jsx: 'react-jsx' },
    }),
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

/** The Yarn release backstage/ is installed with (the repository's devDependency @yarnpkg/cli-dist). */
export async function yarnRelease(): Promise<{ version: string; file: string }> {
  const dir = path.join(repoRoot, 'node_modules', '@yarnpkg', 'cli-dist');
  const { version } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { version, file: path.join(dir, 'bin', 'yarn.js') };
}

/** Env for Yarn and backstage-cli in `dir`: `yarn` on PATH is the app's own release. */
function yarnEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.join(dir, '.yarn', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    // With CI=true Yarn refuses to write a lockfile; this app is created here, it has none yet.
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_PROGRESS_BARS: 'false',
  };
}

/** `yarn install` in `dir` with the given Yarn release, from the npm registry. */
export async function installNewApp(dir: string, yarn: { version: string; file: string }): Promise<void> {
  const release = `.yarn/releases/yarn-${yarn.version}.cjs`;
  await mkdir(path.join(dir, '.yarn', 'releases'), { recursive: true });
  await copyFile(yarn.file, path.join(dir, release));
  await mkdir(path.join(dir, '.yarn', 'bin'), { recursive: true });
  await writeFile(path.join(dir, '.yarn', 'bin', 'yarn'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, release)}" "$@"\n`);
  await chmod(path.join(dir, '.yarn', 'bin', 'yarn'), 0o755);
  await writeFile(
    path.join(dir, '.yarnrc.yml'),
    `nodeLinker: node-modules\nyarnPath: ${release}\nnpmRegistryServer: "https://registry.npmjs.org"\nenableTelemetry: false\n`,
  );
  const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'package.json'), json({ ...pkg, packageManager: `yarn@${yarn.version}` }));
  await run('yarn', ['install'], { cwd: dir, env: yarnEnv(dir), maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The production build, as a create-app app runs it: `yarn build:backend` (the app bundle, then
 * the backend's skeleton and bundle), unpacked into `<dir>/deploy` next to the installed
 * node_modules. Returns the seconds it took.
 */
export async function buildNewApp(dir: string): Promise<{ seconds: number; deployDir: string }> {
  const t0 = Date.now();
  await run('yarn', ['build:backend'], { cwd: dir, env: { ...yarnEnv(dir), NODE_OPTIONS: '--max-old-space-size=3072' }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (Date.now() - t0) / 1000;
  const deployDir = path.join(dir, 'deploy');
  await mkdir(deployDir, { recursive: true });
  for (const t of ['skeleton.tar.gz', 'bundle.tar.gz']) await run('tar', ['xzf', path.join(dir, 'packages', 'backend', 'dist', t), '-C', deployDir]);
  await symlink(path.join(dir, 'node_modules'), path.join(deployDir, 'node_modules'));
  return { seconds, deployDir };
}
