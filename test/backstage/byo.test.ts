/**
 * "Bring your own Backstage" (issue 10, item 6): our Keycloak packages, packed with `npm pack` from
 * backstage/plugins/, installed into a SECOND, minimal Backstage app created here in a temp folder
 * (its own package.json with the upstream Backstage backend packages at the versions backstage/
 * uses, plus the packed tarballs; nothing from backstage/ but the tarballs), whose backend index adds
 * our modules in a few lines. That backend runs for real (in-memory SQLite, a catalog file of its own)
 * and must behave like ours:
 *   - sign-in mode oauth2Proxy: oauth2-proxy's identity headers sign alice in as her catalog User;
 *     a name the catalog does not know, or no identity at all, is refused; every other provider 404;
 *   - sign-in mode verifiedToken: a Keycloak ID token (from an issuer served here) signs alice in; a
 *     forged one (foreign key, wrong audience) is refused; the header-trusting oauth2Proxy is 404;
 *   - the permission policy: bob (users) cannot delete alice's User entity, alice (admins) can delete;
 *   - the canonical-path guard: an encoded health path gets 400.
 * The frontend package is installed into a minimal legacy frontend app whose entry (createApp with our
 * sign-in page and auth API) is bundled with esbuild and opened in Chromium: alice is signed in
 * through the package's proxied sign-in page, and its sign-out goes to oauth2-proxy's
 * /oauth2/sign_out. A small server stands in for oauth2-proxy there (it injects alice's identity
 * headers).
 *
 * A THIRD app is laid out the way @backstage/create-app lays out a new one today (byo-create-app.ts:
 * new frontend system with feature discovery, createBackend(), built by backstage-cli), with the
 * tarballs as plain dependencies. Against a real Keycloak (dev realm), in Chromium: alice signs in
 * and out through oauth2-proxy rendered by the chart in modes oauth2Proxy and verifiedToken, and
 * through Backstage's own oidc provider; each sign-out ends the Keycloak session (the next sign-in
 * asks for the password). The permission policy holds there too (bob cannot delete, alice can).
 *
 * Installs use the npm cache first (`--prefer-offline`; backstage:build has put these versions
 * there) and the npm registry for anything missing.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKSTAGE_DIR, requireBackstageBuild } from '../../scripts/lib/run/backstage.ts';
import { freePort, httpOk, startProcess, waitUntil, type Managed } from '../../scripts/lib/run/process.ts';
import type { Page } from 'playwright-core';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { launchBrowser, screenshot, signInOnKeycloakPage, type BrowserHandle } from '../support/browser.ts';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer.ts';
import { buildNewApp, installedVersions, installNewApp, NEW_APP_BACKEND_DEPS, NEW_APP_FRONTEND_DEPS, NEW_APP_ROOT_DEV_DEPS, releaseResolutions, writeNewApp, yarnRelease } from './byo-create-app.ts';
import { startByoSso, startModeProxy, type ByoSso } from './byo-sso.ts';
import { ALL_PROVIDERS, catalog, providerStatus, proxyToken, rawRequest } from './helpers.ts';

const run = promisify(execFile);

/** The packages under test: folder under backstage/plugins and package name. */
const PACKAGES = {
  auth: { dir: 'auth-backend-module-keycloak', name: '@backstage-keycloak/plugin-auth-backend-module-keycloak' },
  permission: { dir: 'permission-backend-module-keycloak', name: '@backstage-keycloak/plugin-permission-backend-module-keycloak' },
  react: { dir: 'keycloak-react', name: '@backstage-keycloak/plugin-keycloak-react' },
} as const;
type Pkg = keyof typeof PACKAGES;

/** The upstream packages of the minimal backend, at the versions backstage/ resolved. */
const BACKEND_DEPS = ['@backstage/backend-defaults', '@backstage/plugin-auth-backend', '@backstage/plugin-catalog-backend', '@backstage/plugin-permission-backend', 'better-sqlite3'];
/** ... and of the minimal frontend. */
const FRONTEND_DEPS = ['@backstage/app-defaults', '@backstage/core-app-api', '@backstage/core-components', '@backstage/core-plugin-api', 'react', 'react-dom', 'react-router-dom', 'esbuild'];

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

// The whole backend of the second app: what a team adds to its own packages/backend/src/index.ts.
const BACKEND_INDEX = `const { createBackend } = require('@backstage/backend-defaults');
const { canonicalPathRootHttpRouter } = require('@backstage-keycloak/plugin-auth-backend-module-keycloak');

const backend = createBackend();
backend.add(canonicalPathRootHttpRouter());
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage-keycloak/plugin-auth-backend-module-keycloak'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@backstage-keycloak/plugin-permission-backend-module-keycloak'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.start();
`;

// The second app's whole frontend: our sign-in page and auth API, and a page showing who signed in.
const FRONTEND_INDEX = `import React from 'react';
import ReactDOM from 'react-dom/client';
import { createApp } from '@backstage/app-defaults';
import { AppRouter } from '@backstage/core-app-api';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { KeycloakSignInPage, keycloakAuthApiFactory } from '@backstage-keycloak/plugin-keycloak-react';

function Who() {
  const identity = useApi(identityApiRef);
  const [ref, setRef] = React.useState('');
  React.useEffect(() => { identity.getBackstageIdentity().then((i) => setRef(i.userEntityRef)); }, [identity]);
  return <main><p data-testid="user">{ref}</p><button data-testid="sign-out" onClick={() => identity.signOut()}>Sign out</button></main>;
}

const app = createApp({ apis: [keycloakAuthApiFactory], components: { SignInPage: KeycloakSignInPage } });
const Root = app.createRoot(<AppRouter><Who /></AppRouter>);
ReactDOM.createRoot(document.getElementById('root')).render(<Root />);
`;

interface Packed {
  file: string;
  files: string[];
  manifest: Record<string, any>;
}

let tmp: string;
const packed = {} as Record<Pkg, Packed>;
const started: Managed[] = [];

function log(line: string): void {
  console.log(`[byo] ${line}`);
}

/** Dependencies on the packed tarballs of `pkgs` (nothing else comes from backstage/). */
function tarballs(...pkgs: Pkg[]): Record<string, string> {
  return Object.fromEntries(pkgs.map((p) => [PACKAGES[p].name, `file:${packed[p].file}`]));
}

async function pack(pkg: Pkg, dest: string): Promise<Packed> {
  const cwd = path.join(BACKSTAGE_DIR, 'plugins', PACKAGES[pkg].dir);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest, '--loglevel=error'], { cwd, maxBuffer: 16 * 1024 * 1024 });
  // npm prints the lifecycle scripts' output (prepack) before the JSON.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  const file = path.join(dest, info!.filename);
  // The manifest a user installs: the one in the tarball (backstage-cli's prepack rewrites it).
  const { stdout: manifest } = await run('tar', ['-xOzf', file, 'package/package.json']);
  return { file, files: info!.files.map((f) => f.path).sort(), manifest: JSON.parse(manifest) };
}

/** A folder with `package.json` (the given dependencies) and `npm install` run in it. */
async function npmApp(dir: string, name: string, deps: Record<string, string>, npmrc = ''): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true, dependencies: deps }, null, 2));
  if (npmrc) await writeFile(path.join(dir, '.npmrc'), npmrc);
  const t0 = Date.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  log(`${name}: npm install in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}

/** Starts the minimal backend in `mode` with `extraConfig` (YAML) and waits for its health endpoint. */
async function startByo(dir: string, mode: string, extraConfig: string): Promise<{ url: string; proc: Managed }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(dir, `app-config.${mode}.yaml`);
  await writeFile(config, extraConfig);
  const proc = startProcess({
    name: `byo-${mode}`,
    cmd: process.execPath,
    args: ['index.js', '--config', 'app-config.yaml', '--config', config],
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      NODE_OPTIONS: '--no-node-snapshot',
      BACKSTAGE_SIGNIN_MODE: mode,
      APP_CONFIG_backend_listen_port: String(port),
      APP_CONFIG_backend_baseUrl: url,
      APP_CONFIG_app_baseUrl: url,
    },
  });
  started.push(proc);
  const t0 = Date.now();
  await waitUntil(`the minimal Backstage (${mode}) on ${url}`, () => httpOk(`${url}/.backstage/health/v1/readiness`), { timeoutMs: 180_000, proc, intervalMs: 300 });
  log(`minimal backend in mode ${mode} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { url, proc };
}

async function refresh(base: string, provider: string, headers: Record<string, string>) {
  const res = await fetch(`${base}/api/auth/${provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...headers } });
  return { status: res.status, body: (await res.json()) as { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { message: string } } };
}

const backendDir = () => path.join(tmp, 'backend');
const frontendDir = () => path.join(tmp, 'frontend');

beforeAll(async () => {
  requireBackstageBuild();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-byo-'));
  const packs = path.join(tmp, 'packs');
  await mkdir(packs);
  for (const p of Object.keys(PACKAGES) as Pkg[]) packed[p] = await pack(p, packs);
  log(`packed ${Object.values(packed).map((p) => path.basename(p.file)).join(', ')}`);

  const backendDeps = { ...(await installedVersions(BACKEND_DEPS)), ...tarballs('auth', 'permission') };
  const frontendDeps = { ...(await installedVersions(FRONTEND_DEPS)), ...tarballs('react') };
  // legacy-peer-deps (npm): upstream peer ranges conflict with what Backstage runs
  // (Material UI v4 declares React <= 17; backend-defaults 0.18 declares better-sqlite3 ^12 while
  // 13 is what backstage/ uses). Our packages' own peer ranges are checked by a test below.
  await Promise.all([npmApp(backendDir(), 'byo-backend', backendDeps, 'legacy-peer-deps=true\n'), npmApp(frontendDir(), 'byo-frontend', frontendDeps, 'legacy-peer-deps=true\n')]);

  await writeFile(path.join(backendDir(), 'index.js'), BACKEND_INDEX);
  await writeFile(path.join(backendDir(), 'org.yaml'), ORG);
  await writeFile(
    path.join(backendDir(), 'app-config.yaml'),
    `backend:
  baseUrl: http://127.0.0.1:7007
  listen: { host: 127.0.0.1, port: 7007 }
  database: { client: better-sqlite3, connection: ':memory:' }
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
      target: ./org.yaml
`,
  );
}, 600_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(15_000)));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the packages', () => {
  it('each packs its compiled code, types, README and manifest, and no sources', () => {
    expect(packed.auth.files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.cjs.js', 'dist/index.d.ts', 'dist/oidcProxy.cjs.js', 'dist/canonicalPath.cjs.js']));
    expect(packed.permission.files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.cjs.js', 'dist/index.d.ts']));
    expect(packed.react.files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.esm.js', 'dist/index.d.ts', 'dist/alpha.esm.js', 'dist/alpha.d.ts']));
    for (const p of Object.values(packed)) {
      expect(p.files.filter((f) => f.startsWith('src/') || f.endsWith('.tsx') || f === 'tsconfig.json'), p.manifest.name).toEqual([]);
      expect(p.manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(p.files, p.manifest.name).toContain(p.manifest.main);
      expect(p.files, p.manifest.name).toContain(p.manifest.types);
    }
  });

  it('the backend packages are published the way backstage-cli publishes a backend plugin module: CommonJS build, types, role and plugin metadata', () => {
    const expected = {
      auth: { pluginId: 'auth', pluginPackage: '@backstage/plugin-auth-backend' },
      permission: { pluginId: 'permission', pluginPackage: '@backstage/plugin-permission-backend' },
    };
    for (const p of ['auth', 'permission'] as const) {
      const m = packed[p].manifest;
      // features: what backstage-cli's prepack detects, so backend feature discovery finds the module.
      expect(m.backstage, m.name).toEqual({ role: 'backend-plugin-module', ...expected[p], features: { '.': '@backstage/BackendFeature' } });
      expect([m.main, m.types], m.name).toEqual(['dist/index.cjs.js', 'dist/index.d.ts']);
      // prepack applied publishConfig: nothing points at the workspace's TypeScript sources.
      expect(JSON.stringify(m), m.name).not.toMatch(/src\/index\.ts/);
    }
  });

  it('the frontend package is published the way backstage-cli publishes a frontend plugin module: both entries built, typed and marked for discovery', () => {
    const m = packed.react.manifest;
    expect(m.backstage).toEqual({ role: 'frontend-plugin-module', pluginId: 'app', pluginPackage: '@backstage/plugin-app', features: { './alpha': '@backstage/FrontendModule' } });
    expect(m.exports['.']).toEqual({ import: './dist/index.esm.js', types: './dist/index.d.ts', default: './dist/index.esm.js' });
    expect(m.exports['./alpha']).toEqual({ backstage: '@backstage/FrontendModule', import: './dist/alpha.esm.js', types: './dist/alpha.d.ts', default: './dist/alpha.esm.js' });
    expect(m.typesVersions['*'].alpha).toEqual(['dist/alpha.d.ts']);
    expect([m.main, m.module, m.types]).toEqual(['dist/index.esm.js', 'dist/index.esm.js', 'dist/index.d.ts']);
    // The new-system APIs are optional peers: a legacy app installs nothing for them.
    expect(Object.keys(m.peerDependenciesMeta ?? {}).sort()).toEqual(['@backstage/frontend-plugin-api', '@backstage/plugin-app-react']);
  });

  it('the frontend package declares the config it reads as frontend-visible', () => {
    const props = packed.react.manifest.configSchema.properties;
    expect(props.app.properties.signInProvider.visibility).toBe('frontend');
    expect(props.backstageKeycloak.properties.endSessionUrl.visibility).toBe('frontend');
  });

  it('the second app has them installed from the tarballs (copies, not links to backstage/)', async () => {
    for (const p of ['auth', 'permission'] as const) {
      const dir = path.join(backendDir(), 'node_modules', PACKAGES[p].name);
      expect(existsSync(path.join(dir, 'dist', 'index.cjs.js'))).toBe(true);
      expect(existsSync(path.join(dir, 'src'))).toBe(false);
    }
    expect(existsSync(path.join(frontendDir(), 'node_modules', PACKAGES.react.name, 'dist', 'index.esm.js'))).toBe(true);
  });

  it("each peer dependency resolves to ONE copy in the app, at a version inside the package's range", async () => {
    const semver = createRequire(path.join(backendDir(), 'package.json'))('semver') as { satisfies(v: string, range: string): boolean };
    const apps: [Pkg, string][] = [
      ['auth', backendDir()],
      ['permission', backendDir()],
      ['react', frontendDir()],
    ];
    for (const [p, app] of apps) {
      const optional = (packed[p].manifest.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
      // The legacy app does not install the new frontend system's optional peers (the create-app app is checked below).
      const peers = Object.entries((packed[p].manifest.peerDependencies ?? {}) as Record<string, string>).filter(([peer]) => !optional[peer]?.optional);
      expect(peers.length, p).toBeGreaterThan(0);
      for (const [peer, range] of peers) {
        // Not nested under our package: the app's own copy is the one our module talks to.
        expect(existsSync(path.join(app, 'node_modules', PACKAGES[p].name, 'node_modules', peer)), `${peer} nested in ${PACKAGES[p].name}`).toBe(false);
        const installed = (JSON.parse(await readFile(path.join(app, 'node_modules', peer, 'package.json'), 'utf8')) as { version: string }).version;
        expect(semver.satisfies(installed, range), `${PACKAGES[p].name}: peer ${peer}@${range}, the app has ${installed}`).toBe(true);
      }
    }
  });
});

/** The second app's backend in sign-in mode oauth2Proxy (the frontend test uses it too). */
let proxyModeUrl: string;

describe('sign-in mode oauth2Proxy in the second app', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await startByo(backendDir(), 'oauth2Proxy', 'auth:\n  providers:\n    oauth2Proxy: {}\n'));
    proxyModeUrl = url;
    await waitUntil('catalog User alice in the minimal Backstage', async () => (await refresh(url, 'oauth2Proxy', { 'x-forwarded-preferred-username': 'alice' })).status === 200, { timeoutMs: 120_000, intervalMs: 500 });
  }, 300_000);

  it("oauth2-proxy's headers sign alice in as her catalog User, owning her group", async () => {
    const r = await refresh(url, 'oauth2Proxy', {
      'x-forwarded-user': '6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44',
      'x-forwarded-email': 'alice@example.com',
      'x-forwarded-preferred-username': 'alice',
    });
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    expect(r.body.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
  });

  it('a name the catalog does not know is refused with a clear 403; no identity at all too', async () => {
    const r = await refresh(url, 'oauth2Proxy', { 'x-forwarded-preferred-username': 'mallory', 'x-forwarded-email': 'mallory@example.com' });
    expect(r.status).toBe(403);
    expect(r.body.error!.message).toMatch(/Keycloak user "mallory" <mallory@example.com> has no User entity/);
    const none = await refresh(url, 'oauth2Proxy', {});
    expect(none.status).toBe(403);
    expect(none.body.error!.message).toMatch(/neither a Keycloak username nor an email/);
  });

  it('only the mode\'s provider is registered: every other provider path is 404 from loopback', async () => {
    for (const [provider, p] of ALL_PROVIDERS.filter(([id]) => id !== 'oauth2Proxy')) {
      expect(await providerStatus(url, provider, p, { 'x-oidc-id-token': 'x.y.z', 'x-forwarded-preferred-username': 'alice' }), provider).toBe(404);
    }
  });

  it("the permission policy: bob cannot delete alice's User entity, alice (admins) can delete bob's", async () => {
    const alice = await proxyToken(url, 'alice');
    const bob = await proxyToken(url, 'bob');
    const aliceUid = (await catalog(url, bob, 'GET', '/entities/by-name/user/default/alice')).body.metadata.uid;
    const denied = await catalog(url, bob, 'DELETE', `/entities/by-uid/${aliceUid}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.name).toBe('NotAllowedError');
    expect((await catalog(url, bob, 'GET', '/entities/by-name/user/default/alice')).status).toBe(200);
    const bobUid = (await catalog(url, alice, 'GET', '/entities/by-name/user/default/bob')).body.metadata.uid;
    expect((await catalog(url, alice, 'DELETE', `/entities/by-uid/${bobUid}`)).status).toBe(204);
    expect((await catalog(url, alice, 'GET', '/entities/by-name/user/default/bob')).status).toBe(404);
  });

  it('the canonical-path guard: the byte-exact health path answers, an encoded spelling gets 400', async () => {
    expect((await rawRequest(url, '/.backstage/health/v1/readiness')).status).toBe(200);
    const r = await rawRequest(url, '/%2ebackstage/health/v1/readiness');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.message).toMatch(/not in canonical form/);
  });
});

describe('sign-in mode verifiedToken in the second app', () => {
  let url: string;
  let iss: TestIssuer;
  const alice = { preferred_username: 'alice', email: 'alice@example.com', sub: '6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44' };
  beforeAll(async () => {
    iss = await startTestIssuer({ clientId: 'backstage', clientSecret: 'unused' });
    ({ url } = await startByo(backendDir(), 'verifiedToken', `auth:\n  providers:\n    oidcProxy:\n      issuer: ${iss.issuer}\n      audience: backstage\n`));
    await waitUntil('alice signs in with a verified token', async () => (await refresh(url, 'oidcProxy', { 'x-oidc-id-token': await iss.sign(alice) })).status === 200, { timeoutMs: 120_000, intervalMs: 500 });
  }, 300_000);
  afterAll(async () => {
    await iss?.stop();
  });

  it('a Keycloak ID token signed by the issuer signs alice in', async () => {
    const r = await refresh(url, 'oidcProxy', { 'x-oidc-id-token': await iss.sign(alice) });
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
  });

  it('a forged token (foreign key, wrong audience) is refused: 401', async () => {
    const foreign = await refresh(url, 'oidcProxy', { 'x-oidc-id-token': await iss.sign(alice, { key: iss.otherKey }) });
    expect(foreign.status).toBe(401);
    expect(foreign.body.error!.message).toMatch(/bad signature|key the issuer does not publish/);
    const aud = await refresh(url, 'oidcProxy', { 'x-oidc-id-token': await iss.sign(alice, { aud: 'another-client' }) });
    expect(aud.status).toBe(401);
    expect(aud.body.error!.message).toMatch(/wrong audience/);
  });

  it('forged identity headers sign no one in: oauth2Proxy is 404 in this mode', async () => {
    expect(await providerStatus(url, 'oauth2Proxy', 'refresh', { 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': 'alice@example.com' })).toBe(404);
  });
});

describe('the frontend package in a second app', () => {
  let front: { url: string; signOuts: string[]; server: http.Server };
  let metaInputs: string[];
  let bundle: string;

  beforeAll(async () => {
    const dir = frontendDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.jsx'), FRONTEND_INDEX);
    // Build-time config, as Backstage's own bundler embeds it (APP_CONFIG): the app and its API on `url`.
    const appConfig = [{ context: 'byo', data: { app: { title: 'byo', baseUrl: url, signInProvider: 'oauth2Proxy' }, backend: { baseUrl: url } } }];
    await run(
      path.join(dir, 'node_modules', '.bin', 'esbuild'),
      [
        'src/index.jsx',
        '--bundle',
        '--format=esm',
        '--jsx=automatic',
        '--outdir=dist',
        '--public-path=/',
        '--metafile=dist/meta.json',
        '--define:process.env.NODE_ENV="production"',
        `--define:process.env.APP_CONFIG=${JSON.stringify(appConfig)}`,
        '--define:global=globalThis',
        ...['svg', 'png', 'jpg', 'gif', 'woff', 'woff2', 'ttf', 'eot'].map((x) => `--loader:.${x}=file`),
        '--log-level=error',
      ],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    );
    metaInputs = Object.keys((JSON.parse(await readFile(path.join(dir, 'dist', 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    bundle = await readFile(path.join(dir, 'dist', 'index.js'), 'utf8');
    front = await serveFrontend(port, path.join(dir, 'dist'), proxyModeUrl);
  }, 300_000);

  afterAll(async () => {
    await new Promise((r) => front?.server.close(r));
  });

  it('an app entry using KeycloakSignInPage and keycloakAuthApiFactory bundles with esbuild', () => {
    expect(metaInputs).toContain(`node_modules/${PACKAGES.react.name}/dist/index.esm.js`);
    // The package's own code made it in: its API id and its sign-out through oauth2-proxy.
    expect(bundle).toContain('backstage-keycloak.auth.keycloak');
    expect(bundle).toContain('/oauth2/sign_out?rd=');
  });

  it("in Chromium, the package's sign-in page signs alice in through the proxy's identity, and sign-out goes to /oauth2/sign_out", async () => {
    const browser = await launchBrowser({ log });
    try {
      const page = await browser.newPage();
      await page.goto(front.url);
      await expect.poll(async () => (await page.getByTestId('user').textContent({ timeout: 1000 }).catch(() => '')) ?? '', { timeout: 60_000 }).toBe('user:default/alice');
      await screenshot(page, 'byo-frontend-signed-in');
      await page.getByTestId('sign-out').click();
      await page.waitForURL(/\/oauth2\/sign_out\?rd=%2F$/, { timeout: 30_000 });
      expect(front.signOuts).toEqual(['/oauth2/sign_out?rd=%2F']);
    } finally {
      await browser.close();
    }
  });
});

/**
 * The second app's frontend on 127.0.0.1:`port`: the bundle from `dist`, and /api and /.backstage
 * passed to `backend` with the identity headers oauth2-proxy injects after its own Keycloak login
 * (alice). This stands in for oauth2-proxy, which the sso tier runs for real; here the point is the
 * frontend package. /oauth2/sign_out (oauth2-proxy's) only records that the browser came.
 */
async function serveFrontend(port: number, dist: string, backend: string): Promise<{ url: string; signOuts: string[]; server: http.Server }> {
  const signOuts: string[] = [];
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.woff': 'font/woff', '.png': 'image/png' };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/') || url.startsWith('/.backstage/')) {
      const headers = { ...req.headers, host: new URL(backend).host, 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': 'alice@example.com' };
      const up = http.request(`${backend}${url}`, { method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
      return;
    }
    if (url.startsWith('/oauth2/sign_out')) {
      signOuts.push(url);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>signed out</p>');
      return;
    }
    const file = path.join(dist, path.basename(url.split('?')[0]!));
    if (url !== '/' && existsSync(file)) {
      readFile(file).then((b) => res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(b));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><meta charset="utf-8"><title>byo</title><script type="module" src="/index.js"></script></head><body><div id="root"></div></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, signOuts, server };
}

/**
 * The third app, laid out as @backstage/create-app lays out a new one (byo-create-app.ts), from the
 * tarballs only, built by backstage-cli, run from its unpacked production bundle; Keycloak, and
 * oauth2-proxy as the chart renders it, in front (byo-sso.ts).
 */
describe('a create-app app (new frontend system, createBackend) with the packages, against Keycloak in Chromium', () => {
  const appDir = () => path.join(tmp, 'create-app');
  let deployDir: string;
  let sso: ByoSso;
  let browser: BrowserHandle | undefined;
  const authUrl = () => `${sso.keycloak.issuer}/protocol/openid-connect/auth`;
  const { alice } = DEV_USERS;

  beforeAll(async () => {
    await writeNewApp(appDir(), {
      rootDev: await installedVersions(NEW_APP_ROOT_DEV_DEPS),
      frontend: { ...(await installedVersions(NEW_APP_FRONTEND_DEPS)), ...tarballs('react') },
      backend: { ...(await installedVersions(NEW_APP_BACKEND_DEPS)), ...tarballs('auth', 'permission') },
      resolutions: await releaseResolutions(),
    });
    const t0 = Date.now();
    const yarn = await yarnRelease();
    await installNewApp(appDir(), yarn);
    log(`create-app app: yarn ${yarn.version} install in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    const built = await buildNewApp(appDir());
    deployDir = built.deployDir;
    log(`create-app app: yarn build:backend (backstage-cli: app bundle, backend skeleton + bundle) in ${built.seconds.toFixed(0)}s`);
    sso = await startByoSso(log);
  }, 1_200_000);

  afterAll(async () => {
    await browser?.close();
    await sso?.stop();
  });

  /** A screenshot of the page a failed test left (artifacts/screenshots/byo-create-app-*-failed.png). */
  let onFailure: (() => Promise<unknown>) | undefined;
  beforeEach(() => {
    onFailure = undefined;
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await onFailure?.().catch(() => undefined);
  });

  /** The app's backend from its production bundle in `mode`, on `port`, public at the SSO origin. */
  async function startNewApp(mode: string, port: number, extraConfig: string): Promise<{ url: string; proc: Managed }> {
    const url = `http://127.0.0.1:${port}`;
    const config = path.join(deployDir, `app-config.${mode}.yaml`);
    const addresses = path.join(deployDir, `app-config.${mode}-addresses.yaml`);
    await writeFile(addresses, `app:\n  baseUrl: ${sso.publicUrl}\nbackend:\n  baseUrl: ${sso.publicUrl}\n  listen: { host: 127.0.0.1, port: ${port} }\n`);
    await writeFile(config, extraConfig);
    const proc = startProcess({
      name: `create-app-${mode}`,
      cmd: process.execPath,
      args: ['packages/backend', '--config', path.join(appDir(), 'app-config.yaml'), '--config', addresses, '--config', config],
      cwd: deployDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', NODE_OPTIONS: '--no-node-snapshot', BACKSTAGE_SIGNIN_MODE: mode },
    });
    started.push(proc);
    await waitUntil(`the create-app app (${mode}) on ${url}`, () => httpOk(`${url}/.backstage/health/v1/readiness`), { timeoutMs: 180_000, proc, intervalMs: 300 });
    return { url, proc };
  }

  /** Keycloak's login form is shown (not skipped by a live SSO session): the password is asked. */
  async function expectKeycloakLoginForm(page: Page): Promise<void> {
    await page.waitForURL((u) => u.toString().startsWith(authUrl()), { timeout: 30_000 });
    await page.locator('#password').waitFor({ timeout: 30_000 });
    expect(await page.locator('#kc-form-login').count()).toBe(1);
  }

  it("each peer dependency of the frontend package, the new system's optional ones included, is ONE copy in range", async () => {
    const semver = createRequire(path.join(appDir(), 'package.json'))('semver') as { satisfies(v: string, range: string): boolean };
    for (const [peer, range] of Object.entries(packed.react.manifest.peerDependencies as Record<string, string>)) {
      expect(existsSync(path.join(appDir(), 'node_modules', PACKAGES.react.name, 'node_modules', peer)), peer).toBe(false);
      const installed = (JSON.parse(await readFile(path.join(appDir(), 'node_modules', peer, 'package.json'), 'utf8')) as { version: string }).version;
      expect(semver.satisfies(installed, range), `${peer}@${range}, the app has ${installed}`).toBe(true);
    }
  });

  for (const mode of ['oauth2Proxy', 'verifiedToken'] as const) {
    it(`mode ${mode}: alice signs in through oauth2-proxy and Keycloak's page; sign-out ends her Keycloak session${mode === 'oauth2Proxy' ? '; bob cannot delete, alice can' : ''}`, async () => {
      // The page follows app.signInProvider (as the chart sets it): the default, oauth2Proxy, is not written.
      const app = await startNewApp(
        mode,
        await freePort(),
        mode === 'oauth2Proxy'
          ? 'auth:\n  providers:\n    oauth2Proxy: {}\n'
          : `app:\n  signInProvider: oidcProxy\nauth:\n  providers:\n    oidcProxy:\n      issuer: ${sso.keycloak.issuer}\n      audience: ${sso.clientId}\n`,
      );
      const proxy = await startModeProxy(sso, mode, app.url, tmp, log);
      try {
        browser ??= await launchBrowser({ log });
        const page = await browser.newPage();
        onFailure = () => screenshot(page, `byo-create-app-${mode}-failed`);
        await signInOnKeycloakPage(page, `${sso.publicUrl}/whoami`, authUrl(), alice);
        expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
        await screenshot(page, `byo-create-app-${mode}-alice`);
        if (mode === 'oauth2Proxy') {
          // alice's own Backstage token, from her browser session through the proxy.
          const refreshed = await page.request.get(`${sso.publicUrl}/api/auth/oauth2Proxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
          const aliceToken = ((await refreshed.json()) as { backstageIdentity: { token: string } }).backstageIdentity.token;
          const bob = await proxyToken(app.url, 'bob');
          const aliceUid = (await catalog(app.url, bob, 'GET', '/entities/by-name/user/default/alice')).body.metadata.uid;
          const denied = await catalog(app.url, bob, 'DELETE', `/entities/by-uid/${aliceUid}`);
          expect(denied.status).toBe(403);
          expect(denied.body.error.name).toBe('NotAllowedError');
          const bobUid = (await catalog(app.url, aliceToken, 'GET', '/entities/by-name/user/default/bob')).body.metadata.uid;
          expect((await catalog(app.url, aliceToken, 'DELETE', `/entities/by-uid/${bobUid}`)).status).toBe(204);
          expect((await catalog(app.url, aliceToken, 'GET', '/entities/by-name/user/default/bob')).status).toBe(404);
        }
        await Promise.all([page.waitForRequest((r) => r.url().startsWith(`${sso.publicUrl}/oauth2/sign_out`), { timeout: 30_000 }), page.getByTestId('sign-out').click()]);
        await expectKeycloakLoginForm(page);
        await screenshot(page, `byo-create-app-${mode}-after-sign-out`);
        await page.close();
      } finally {
        await proxy.stop();
        await app.proc.stop(15_000);
      }
    }, 300_000);
  }

  // The page of mode oidc, as the chart gets it (app.signInProvider), and pinned by app.extensions
  // while app.signInProvider names another mode: the pinned page is the one shown and used. The
  // pinned page is listed FIRST: the app's bootstrap asks only the first sign-in page attached to
  // app/root whether it exists, and listing extensions in app.extensions moves them to the front in
  // that order (with `sign-in-page:app: false` first, the app starts with no sign-in page at all and
  // the guest identity: the packages' READMEs say so).
  const oidcPages = [
    { shot: 'followed', how: 'the page follows app.signInProvider', appConfig: 'app:\n  signInProvider: oidc\n' },
    {
      shot: 'pinned',
      how: 'the page pinned by app.extensions (sign-in-page:app/keycloak-oidc on, then sign-in-page:app off) while app.signInProvider names oauth2Proxy',
      appConfig: 'app:\n  signInProvider: oauth2Proxy\n  extensions:\n    - sign-in-page:app/keycloak-oidc: true\n    - sign-in-page:app: false\n',
    },
  ];
  for (const { shot: variant, how, appConfig } of oidcPages) it(`mode oidc, ${how}: alice signs in with the page's Keycloak button (Backstage's own oidc provider); sign-out ends her Keycloak session`, async () => {
    const app = await startNewApp(
      'oidc',
      sso.publicPort,
      `${appConfig}auth:
  # The provider's config below is the production environment's (the frontend asks for this one).
  environment: production
  session: { secret: byo-create-app-session-secret-0123456789 }
  providers:
    oidc:
      production:
        metadataUrl: ${sso.keycloak.issuer}/.well-known/openid-configuration
        clientId: ${sso.clientId}
        clientSecret: ${sso.clientSecret}
        prompt: auto
backstageKeycloak:
  endSessionUrl: ${sso.keycloak.issuer}/protocol/openid-connect/logout
`,
    );
    try {
      browser ??= await launchBrowser({ log });
      const page = await browser.newPage();
      const shot = `byo-create-app-oidc-${variant}`;
      onFailure = () => screenshot(page, `${shot}-failed`);
      await page.goto(`${sso.publicUrl}/whoami`);
      const button = page.getByRole('button', { name: /sign in/i });
      await button.waitFor({ timeout: 60_000 });
      expect(await page.getByText('Sign in using Keycloak').count()).toBeGreaterThan(0);
      const [popup] = await Promise.all([page.waitForEvent('popup', { timeout: 30_000 }), button.click()]);
      await expectKeycloakLoginForm(popup);
      await popup.fill('#username', alice.username);
      await popup.fill('#password', alice.password);
      await popup.click('#kc-login');
      await page.getByTestId('user-entity-ref').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
      await screenshot(page, `${shot}-alice`);
      const [ended] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${sso.keycloak.issuer}/protocol/openid-connect/logout`), { timeout: 30_000 }),
        page.getByTestId('sign-out').click(),
      ]);
      expect(new URL(ended.url()).searchParams.get('id_token_hint')).toBeTruthy();
      await page.waitForURL((u) => u.toString().startsWith(sso.publicUrl), { timeout: 30_000 });
      const again = page.getByRole('button', { name: /sign in/i });
      await again.waitFor({ timeout: 60_000 });
      const [second] = await Promise.all([page.waitForEvent('popup', { timeout: 30_000 }), again.click()]);
      await expectKeycloakLoginForm(second);
      await screenshot(second, `${shot}-after-sign-out`);
      await second.close();
      await page.close();
    } finally {
      await app.proc.stop(15_000);
    }
  }, 300_000);
});
