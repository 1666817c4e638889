/**
 * The built Backstage backend of backstage/ as a local process: `node .deploy/packages/backend
 * --config ...` in backstage/ (the deployable app the image copies to /app, where the chart runs
 * `node packages/backend`). Readiness is the backend's own health endpoint.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { $ } from 'zx';
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { ensureMkdocs } from '../tools/mkdocs.ts';
import path from 'node:path';
import { repoRoot } from '../paths.ts';
import { pruneNodeModules, pruneSourceMaps } from './prune.ts';
import { inCI, progress, startProcess, waitUntil, httpOk, type Log, type Managed } from './process.ts';

export const BACKSTAGE_DIR = path.join(repoRoot, 'backstage');

/**
 * The deployable app (gitignored): the backend's production build as Backstage's host-build
 * Dockerfile lays it out in /app. `npm run backstage:build` writes it: the skeleton
 * (packages/backend/dist/skeleton.tar.gz: every workspace package.json the backend needs) with
 * yarn.lock, `yarn workspaces focus --all --production` there, then the bundle
 * (packages/backend/dist/bundle.tar.gz: each package's dist/) unpacked over it. The image copies
 * it to /app (backstage/Dockerfile); local runs start `node .deploy/packages/backend` from
 * backstage/, so tests run exactly the files the image holds.
 */
export const DEPLOY_DIR = path.join(BACKSTAGE_DIR, '.deploy');
/** DEPLOY_DIR relative to backstage/ (where the backend starts: its config paths are relative to it). */
const DEPLOY = path.relative(BACKSTAGE_DIR, DEPLOY_DIR);
/** The workspace files the deployable app's production install reads, besides the skeleton. */
const DEPLOY_MANIFESTS = ['yarn.lock', 'package.json', '.yarnrc.yml'];

/**
 * The backend's workspace packages (backstage/plugins/, folders relative to backstage/): in the
 * backend's bundle, linked from node_modules/@backstage-keycloak/ in the deployable app.
 */
export const BACKEND_PLUGINS = ['plugins/auth-backend-module-keycloak', 'plugins/permission-backend-module-keycloak'];
/** The frontend's workspace package: bundled into packages/app/dist by backstage-cli, not needed at runtime. */
export const FRONTEND_PLUGINS = ['plugins/keycloak-react'];

/** Files the built app needs: the packages' dist (what `npm pack` ships), the backend bundle, and the deployable app. */
export const BUILD_OUTPUTS = [
  ...BACKEND_PLUGINS.flatMap((p) => [`${p}/dist/index.cjs.js`, `${p}/dist/index.d.ts`]),
  ...FRONTEND_PLUGINS.map((p) => `${p}/dist/index.esm.js`),
  'packages/backend/dist/bundle.tar.gz',
  'packages/backend/dist/skeleton.tar.gz',
  `${DEPLOY}/packages/backend/dist/index.cjs.js`,
  `${DEPLOY}/packages/app/dist/index.html.tmpl`,
  `${DEPLOY}/packages/app/dist/.config-schema.json`,
  `${DEPLOY}/node_modules/@backstage/backend-defaults/package.json`,
];

export function backstageBuilt(): boolean {
  return BUILD_OUTPUTS.every((f) => existsSync(path.join(BACKSTAGE_DIR, f)));
}

/** Throws (naming the fix) when the app is not built. In CI the build is .ci/run's job, never a test's. */
export function requireBackstageBuild(): void {
  if (backstageBuilt()) return;
  const missing = BUILD_OUTPUTS.filter((f) => !existsSync(path.join(BACKSTAGE_DIR, f)));
  throw new Error(`the Backstage app is not built (missing ${missing.join(', ')}): run \`npm run backstage:build\`${inCI ? ' (CI: .ci/run must build it before npm test)' : ''}`);
}

/**
 * Yarn, the package manager of backstage/ (Backstage's default): the release of the repository's
 * devDependency @yarnpkg/cli-dist (from the npm registry), first on PATH so backstage-cli's own
 * `yarn` calls find the same one.
 */
export function yarnEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const bin = path.join(repoRoot, 'node_modules', '.bin');
  if (!existsSync(path.join(bin, 'yarn'))) throw new Error(`${path.join(bin, 'yarn')} is missing: run \`npm ci\` at the repository root first (Yarn comes from the devDependency @yarnpkg/cli-dist)`);
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, YARN_ENABLE_PROGRESS_BARS: 'false', YARN_ENABLE_TELEMETRY: 'false', ...extra };
}

/** sha256 over what decides the deployable app's node_modules (and how it is pruned). */
async function deployInputs(): Promise<string> {
  const h = createHash('sha256');
  for (const f of [...DEPLOY_MANIFESTS.map((m) => path.join(BACKSTAGE_DIR, m)), path.join(BACKSTAGE_DIR, 'packages', 'backend', 'dist', 'skeleton.tar.gz'), path.join(repoRoot, 'scripts', 'lib', 'run', 'prune.ts')]) {
    h.update(`${path.basename(f)}\0`);
    h.update(await readFile(f));
  }
  return h.digest('hex');
}

/**
 * backstage/.deploy from the backend's build (see DEPLOY_DIR). The production install is redone
 * only when its inputs change; the bundle is unpacked every time.
 */
async function deploy(step: (s: string) => void): Promise<void> {
  const dist = path.join(BACKSTAGE_DIR, 'packages', 'backend', 'dist');
  const stamp = path.join(DEPLOY_DIR, '.inputs');
  const want = await deployInputs();
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === want) {
    step('.deploy: production node_modules up to date with yarn.lock and the skeleton');
  } else {
    step('.deploy: skeleton + yarn.lock, yarn workspaces focus --all --production (from the Yarn cache), pruned (scripts/lib/run/prune.ts)');
    await rm(DEPLOY_DIR, { recursive: true, force: true });
    await mkdir(DEPLOY_DIR, { recursive: true });
    await $({ quiet: true })`tar xzf ${path.join(dist, 'skeleton.tar.gz')} -C ${DEPLOY_DIR}`;
    for (const f of DEPLOY_MANIFESTS) await cp(path.join(BACKSTAGE_DIR, f), path.join(DEPLOY_DIR, f));
    // The lockfile also lists the workspaces the backend does not need (the app's frontend
    // package): focus installs only what the skeleton's workspaces depend on.
    await $({ cwd: DEPLOY_DIR, env: yarnEnv({ YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' }), stdio: ['ignore', 'inherit', 'inherit'] })`yarn workspaces focus --all --production`;
    const pruned = await pruneNodeModules(path.join(DEPLOY_DIR, 'node_modules'));
    step(`.deploy: left out ${pruned.files} files the backend never reads (${(pruned.bytes / 1048576).toFixed(1)} MiB)`);
    await writeFile(stamp, want);
  }
  for (const d of ['packages', 'plugins']) await rm(path.join(DEPLOY_DIR, d), { recursive: true, force: true });
  await $({ quiet: true })`tar xzf ${path.join(dist, 'bundle.tar.gz')} -C ${DEPLOY_DIR}`;
  // The app's static files keep no source maps (app-backend would serve them); the backend's
  // own, a few hundred KiB, stay for stack traces.
  const maps = await pruneSourceMaps(path.join(DEPLOY_DIR, 'packages', 'app', 'dist'));
  step(`.deploy: the backend bundle unpacked (the app's source maps left out: ${(maps.bytes / 1048576).toFixed(1)} MiB)`);
}

/**
 * `yarn install --immutable` in backstage/ (only when node_modules is older than yarn.lock), the
 * production build as Backstage's own commands do it (`yarn tsc`: declarations in dist-types/;
 * `yarn build:all`: backstage-cli repo build --all, every package's dist/, the app's rspack
 * bundle, and the backend's skeleton and bundle), then backstage/.deploy. A progress line per step.
 */
export async function buildBackstage(log: Log = progress('backstage:build')): Promise<void> {
  const t0 = Date.now();
  const step = (s: string): void => log(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);
  const lock = path.join(BACKSTAGE_DIR, 'yarn.lock');
  const marker = path.join(BACKSTAGE_DIR, 'node_modules', '.yarn-state.yml');
  const yarn = $({ cwd: BACKSTAGE_DIR, env: yarnEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    step('yarn install --immutable in backstage/ (Backstage packages from the npm registry; a few minutes the first time)');
    await yarn`yarn install --immutable`;
    // Yarn leaves its state file alone when nothing changed: mark this install as the current one.
    const now = new Date();
    await utimes(marker, now, now);
  } else {
    step('backstage/node_modules is up to date with yarn.lock');
  }
  step('yarn tsc (declarations in dist-types/), yarn build:all (backstage-cli repo build --all: the packages, the app bundle, the backend bundle)');
  await yarn`yarn tsc`;
  await yarn`yarn build:all`;
  await deploy(step);
  step('built');
}

/** The app built, building it first when needed, except in CI (see requireBackstageBuild). */
export async function ensureBackstageBuild(log?: Log): Promise<void> {
  if (backstageBuilt()) return;
  if (inCI) requireBackstageBuild();
  (log ?? progress('backstage:build'))('the Backstage app is not built yet: building it now (first use only)');
  await buildBackstage(log);
}

export interface BackstageOptions {
  host?: string;
  port?: number;
  /** Config files, relative to backstage/ or absolute; loaded in order after app-config.yaml. */
  configs?: string[];
  /** Extra environment (e.g. POSTGRES_*, APP_CONFIG_* overrides). */
  env?: Record<string, string>;
  log?: Log;
  /** Values to mask in logs. */
  secrets?: string[];
  startTimeoutMs?: number;
  /**
   * Also wait until this catalog User can sign in (the catalog ingests a few seconds after start),
   * through the oauth2Proxy provider: sign-in mode oauth2Proxy only (BACKSTAGE_SIGNIN_MODE unset).
   */
  waitForUser?: string;
  /** Also wait until `check(url)` holds (e.g. a sign-in through the mode's real path); a throw is "not yet", its message the reason. */
  waitFor?: { what: string; check: (url: string) => Promise<boolean> };
}

export interface BackstageHandle {
  url: string;
  pid: number;
  proc: Managed;
  /** Milliseconds from spawn to a ready health endpoint. */
  startMs: number;
  logs(): string[];
  stop(): Promise<void>;
}

export async function startBackstage(opts: BackstageOptions = {}): Promise<BackstageHandle> {
  await ensureBackstageBuild(opts.log);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 7007;
  const log = opts.log ?? progress('backstage');
  const configs = ['app-config.yaml', ...(opts.configs ?? [])];
  const args = [path.join(DEPLOY, 'packages', 'backend'), ...configs.flatMap((c) => ['--config', c])];
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // TechDocs: the pinned mkdocs first on PATH (as /opt/techdocs/bin in the image), and a fresh
  // publish directory per start (so every page a run shows was generated by that run).
  const mkdocs = await ensureMkdocs(log);
  const techdocsDir = opts.env?.TECHDOCS_PUBLISH_DIR ? undefined : await mkdtemp(path.join(os.tmpdir(), 'bk-techdocs-'));
  const started = Date.now();
  log(`starting the Backstage backend on ${url} (${configs.join(', ')})`);
  const proc = startProcess({
    name: 'backstage',
    cmd: process.execPath,
    args,
    cwd: BACKSTAGE_DIR,
    env: {
      PATH: `${mkdocs.bin}${path.delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      ...(techdocsDir ? { TECHDOCS_PUBLISH_DIR: techdocsDir } : {}),
      NODE_ENV: 'production',
      NODE_OPTIONS: '--no-node-snapshot',
      APP_CONFIG_backend_listen_host: host,
      APP_CONFIG_backend_listen_port: String(port),
      ...opts.env,
    },
    secrets: opts.secrets,
  });
  await waitUntil(`Backstage on ${url}`, () => httpOk(`${url}/.backstage/health/v1/readiness`), { timeoutMs: opts.startTimeoutMs ?? 180_000, proc, intervalMs: 300 });
  const startMs = Date.now() - started;
  log(`Backstage ready in ${(startMs / 1000).toFixed(1)}s`);
  if (opts.waitForUser) {
    const user = opts.waitForUser;
    const mode = opts.env?.BACKSTAGE_SIGNIN_MODE ?? 'oauth2Proxy';
    if (mode !== 'oauth2Proxy') throw new Error(`startBackstage: waitForUser signs in through the oauth2Proxy provider, which sign-in mode ${mode} does not register; use waitFor`);
    await waitUntil(
      `catalog User ${user} in Backstage`,
      async () => (await fetch(`${url}/api/auth/oauth2Proxy/refresh`, { headers: { 'x-forwarded-preferred-username': user, 'x-requested-with': 'XMLHttpRequest' }, signal: AbortSignal.timeout(5000) })).status === 200,
      { timeoutMs: 120_000, proc, intervalMs: 500 },
    );
    log(`catalog has ${user} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  if (opts.waitFor) {
    const { what, check } = opts.waitFor;
    await waitUntil(what, () => check(url), { timeoutMs: 120_000, proc, intervalMs: 1000 });
    log(`${what} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  return {
    url,
    pid: proc.child.pid!,
    proc,
    startMs,
    logs: () => [...proc.lines],
    stop: async () => {
      await proc.stop(15_000);
      if (techdocsDir) await rm(techdocsDir, { recursive: true, force: true });
    },
  };
}

