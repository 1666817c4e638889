/**
 * The built Backstage backend of backstage/ as a local process: `node packages/backend --config ...`
 * in backstage/, like the chart runs it in /app. Readiness is the backend's own health endpoint.
 */
import { existsSync, statSync } from 'node:fs';
import { $ } from 'zx';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { ensureMkdocs } from '../tools/mkdocs.ts';
import path from 'node:path';
import { repoRoot } from '../paths.ts';
import { inCI, progress, startProcess, waitUntil, httpOk, type Log, type Managed } from './process.ts';

export const BACKSTAGE_DIR = path.join(repoRoot, 'backstage');

/**
 * The backend's workspace packages (backstage/plugins/, folders relative to backstage/): built
 * before the app, staged into the image with their links (scripts/images/catalog.ts).
 */
export const BACKEND_PLUGINS = ['plugins/auth-backend-module-keycloak', 'plugins/permission-backend-module-keycloak'];
/** The frontend's workspace package: bundled into packages/app/dist by backstage-cli, not needed at runtime. */
export const FRONTEND_PLUGINS = ['plugins/keycloak-react'];

/** Files the built app needs: the backend's dist and its plugins', and the frontend bundle app-backend serves. */
export const BUILD_OUTPUTS = [
  ...BACKEND_PLUGINS.map((p) => `${p}/dist/index.js`),
  ...FRONTEND_PLUGINS.map((p) => `${p}/dist/index.esm.js`),
  'packages/backend/dist/index.js',
  'packages/app/dist/index.html.tmpl',
  'packages/app/dist/.config-schema.json',
  'node_modules/@backstage/backend-defaults/package.json',
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
 * npm ci in backstage/ (only when node_modules is older than the lock file) and the production
 * build of app and backend, with a progress line per step.
 */
export async function buildBackstage(log: Log = progress('backstage:build')): Promise<void> {
  const t0 = Date.now();
  const step = (s: string): void => log(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);
  const lock = path.join(BACKSTAGE_DIR, 'package-lock.json');
  const marker = path.join(BACKSTAGE_DIR, 'node_modules', '.package-lock.json');
  if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    step('npm ci in backstage/ (Backstage packages from the npm registry; a few minutes the first time)');
    await $({ cwd: BACKSTAGE_DIR, stdio: ['ignore', 'inherit', 'inherit'] })`npm ci --no-audit --no-fund --loglevel=error`;
  } else {
    step('backstage/node_modules is up to date with package-lock.json');
  }
  step('declarations (tsc), workspace packages under plugins/ (tsc; backstage-cli for the frontend one), the app (backstage-cli package build: rspack bundle of the new frontend system) and the backend (tsc)');
  await $({ cwd: BACKSTAGE_DIR, stdio: ['ignore', 'inherit', 'inherit'] })`npm run build`;
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
  const args = ['packages/backend', ...configs.flatMap((c) => ['--config', c])];
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

