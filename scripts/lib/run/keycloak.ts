/**
 * A real Keycloak (keycloak-quarkus-dist, `kc.sh start-dev`) on loopback for the SSO tier.
 *
 *   const kc = await startKeycloak({ publicUrl: `http://127.0.0.1:${port}`, port, env: realmEnv(proxyUrl) });
 *   kc.issuer            // `${publicUrl}/realms/backstage`
 *   await kc.stop();     // outage: process group gone, data kept
 *   await kc.start();    // back again, same port, same data (sessions survive; realm not re-imported)
 *   await kc.dispose();  // stop and delete the private home
 *
 * Each instance gets a private Keycloak "home" in a temp dir: bin/kc.sh and conf/ are copied, the
 * 170 MB of jars are symlinked from the tools cache, data/ (H2 dev-file database, data/import) is
 * its own. The first start-dev re-augments Quarkus for the dev profile (~25 s); the result is cached
 * next to the distribution (lib/quarkus-dev) so later instances skip it.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureJava, ensureKeycloak, KEYCLOAK_VERSION } from '../tools/index.ts';
import { repoRoot } from '../paths.ts';
import { DEV_KEYCLOAK_ADMIN, DEV_REALM, DEV_REALM_FILE } from '../dev-credentials.ts';
import { freePort, httpOk, inCI, progress, startProcess, waitUntil, type Log, type Managed } from './process.ts';

export const DEFAULT_REALM_FILE = path.join(repoRoot, DEV_REALM_FILE);

export interface KeycloakOptions {
  /** URL browsers use for Keycloak, becomes KC_HOSTNAME; e.g. http://127.0.0.1:8080 or http://keycloak.localhost:8080. */
  publicUrl: string;
  /** HTTP port, bound on 127.0.0.1 only. */
  port: number;
  /** Management port (health) on 127.0.0.1; default: a free port. */
  managementPort?: number;
  /** Realm JSON copied into data/import; default charts/keycloak-dev/files/realm-backstage.json. */
  realmFile?: string;
  /** Realm name whose discovery document gates readiness; default `backstage`. */
  realm?: string;
  /** Extra env for kc.sh: the realm's placeholders (see realmEnv()) and any KC_* override. */
  env?: Record<string, string>;
  /** Progress lines; default stderr with elapsed time. */
  log?: Log;
  /** Reuse/keep this home directory instead of a fresh temp dir. */
  homeDir?: string;
  /** Readiness timeout; default 240 s (cold start on 2 busy cores is ~80 s). */
  startTimeoutMs?: number;
  /** Appended to the JVM options; default `-XX:TieredStopAtLevel=1` (faster start on few cores). */
  javaOptsAppend?: string;
}

export interface KeycloakHandle {
  /** Loopback base URL for back-channel calls from tests: http://127.0.0.1:<port>. */
  url: string;
  publicUrl: string;
  /** `${publicUrl}/realms/<realm>`, exactly what discovery reports. */
  issuer: string;
  realm: string;
  port: number;
  managementPort: number;
  homeDir: string;
  logFile: string;
  /** Seconds the last start took until ready. */
  startSeconds: number;
  /** Master-realm admin access token (bootstrap admin). */
  adminToken(): Promise<string>;
  /** Stops the whole process tree; data is kept so start() can bring the same instance back. */
  stop(): Promise<void>;
  /** Starts again after stop() (same port, same data). */
  start(): Promise<void>;
  /** stop() and delete the private home (unless homeDir was given). */
  dispose(): Promise<void>;
}

/** Build options baked into the cached dev augmentation; must match the start-dev flags below. */
const AUGMENTED = 'quarkus-dev';

async function prepareHome(kcHome: string, home: string, realmFile: string): Promise<void> {
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return; // reused home (restart)
  await mkdir(path.join(home, 'bin'), { recursive: true });
  await mkdir(path.join(home, 'lib'), { recursive: true });
  await mkdir(path.join(home, 'data', 'import'), { recursive: true });
  // kc.sh resolves its own path with readlink -f, so it must be a real copy for kc.home.dir to be ours.
  await cp(path.join(kcHome, 'bin', 'kc.sh'), path.join(home, 'bin', 'kc.sh'));
  await cp(path.join(kcHome, 'conf'), path.join(home, 'conf'), { recursive: true });
  for (const d of ['themes', 'providers']) await symlink(path.join(kcHome, d), path.join(home, d));
  for (const d of ['lib', 'app']) await symlink(path.join(kcHome, 'lib', d), path.join(home, 'lib', d));
  await cp(path.join(kcHome, 'lib', 'quarkus-run.jar'), path.join(home, 'lib', 'quarkus-run.jar'));
  const augmented = path.join(kcHome, 'lib', AUGMENTED);
  await cp(existsSync(augmented) ? augmented : path.join(kcHome, 'lib', 'quarkus'), path.join(home, 'lib', 'quarkus'), { recursive: true });
  await cp(realmFile, path.join(home, 'data', 'import', path.basename(realmFile)));
}

async function cacheAugmentation(kcHome: string, home: string, log: Log): Promise<void> {
  const dest = path.join(kcHome, 'lib', AUGMENTED);
  if (existsSync(dest)) return;
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    await cp(path.join(home, 'lib', 'quarkus'), tmp, { recursive: true });
    await rename(tmp, dest);
    log(`keycloak: cached the dev-mode augmentation in ${dest} (later starts skip the ~25 s build)`);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    log(`keycloak: could not cache the augmentation (${(e as Error).message}); next start rebuilds`);
  }
}

export async function startKeycloak(opts: KeycloakOptions): Promise<KeycloakHandle> {
  const t0 = Date.now();
  const log = opts.log ?? progress('keycloak', t0);
  const kcHome = await ensureKeycloak({ log, provision: !inCI }); // CI provisions in .ci/run; tests never download there
  const java = await ensureJava({ log });
  const realm = opts.realm ?? DEV_REALM;
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  const managementPort = opts.managementPort ?? (await freePort());
  const ownHome = !opts.homeDir;
  const home = opts.homeDir ?? (await mkdtemp(path.join(os.tmpdir(), 'bk-keycloak-')));
  await prepareHome(kcHome, home, opts.realmFile ?? DEFAULT_REALM_FILE);
  const logFile = path.join(repoRoot, 'artifacts', 'logs', `keycloak-${opts.port}.log`);
  const url = `http://127.0.0.1:${opts.port}`;
  const issuer = `${publicUrl}/realms/${realm}`;
  const adminUser = opts.env?.KC_BOOTSTRAP_ADMIN_USERNAME ?? DEV_KEYCLOAK_ADMIN.username;
  const adminPassword = opts.env?.KC_BOOTSTRAP_ADMIN_PASSWORD ?? DEV_KEYCLOAK_ADMIN.password;

  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    LANG: 'C.UTF-8',
    JAVA_HOME: java.home,
    // 2 cores / 24 GiB shared with other work: a fixed, modest heap instead of 70 % of RAM.
    JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx768m',
    JAVA_OPTS_APPEND: opts.javaOptsAppend ?? '-XX:TieredStopAtLevel=1',
    KC_BOOTSTRAP_ADMIN_USERNAME: adminUser,
    KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    ...opts.env,
  };
  // Keycloak imports an unresolved ${VAR} literally (verified on 26.7.3): refuse that up front.
  const realmText = await readFile(opts.realmFile ?? DEFAULT_REALM_FILE, 'utf8');
  const missing = [...new Set([...realmText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?\}/g)].filter((m) => m[2] === undefined && !env[m[1]!]).map((m) => m[1]!))];
  if (missing.length) {
    if (ownHome) await rm(home, { recursive: true, force: true });
    throw new Error(`startKeycloak: the realm file needs env ${missing.join(', ')} (Keycloak would import the literal placeholder). Pass them in opts.env, e.g. realmEnv(publicUrl).`);
  }
  const secrets = [adminPassword, ...Object.entries(opts.env ?? {}).filter(([k]) => /SECRET|PASSWORD/i.test(k)).map(([, v]) => v)];
  const args = [
    'start-dev',
    '--import-realm',
    `--hostname=${publicUrl}`,
    '--http-host=127.0.0.1',
    `--http-port=${opts.port}`,
    '--health-enabled=true',
    '--http-management-host=127.0.0.1',
    `--http-management-port=${managementPort}`,
  ];

  let proc: Managed | undefined;
  const handle: KeycloakHandle = {
    url,
    publicUrl,
    issuer,
    realm,
    port: opts.port,
    managementPort,
    homeDir: home,
    logFile,
    startSeconds: 0,
    async adminToken() {
      const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: adminUser, password: adminPassword }),
      });
      if (!res.ok) throw new Error(`keycloak admin token: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async stop() {
      if (!proc || proc.done) return;
      const t = Date.now();
      await proc.stop(15_000);
      log(`keycloak: stopped in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    },
    async start() {
      if (proc && !proc.done) return;
      const started = Date.now();
      const firstBuild = !existsSync(path.join(kcHome, 'lib', AUGMENTED));
      log(`keycloak: starting ${KEYCLOAK_VERSION} on ${url} (issuer ${issuer}, management 127.0.0.1:${managementPort}, Java ${java.major})${firstBuild ? '; first run builds the dev profile (~25 s extra)' : ''}`);
      proc = startProcess({
        name: 'keycloak',
        cmd: path.join(home, 'bin', 'kc.sh'),
        args,
        env,
        cwd: home,
        secrets,
        logFile,
        onLine: (line) => {
          if (/augmentation completed|Importing from|Import skipped|Realm '.*' imported|started in| (ERROR|FATAL) +\[/.test(line)) {
            log(`keycloak: ${line.replace(/^\S+ \S+ +/, '').slice(0, 220)}`);
          }
        },
      });
      await waitUntil('keycloak health', () => httpOk(`http://127.0.0.1:${managementPort}/health/ready`), {
        timeoutMs: opts.startTimeoutMs ?? 240_000,
        intervalMs: 1000,
        proc,
      });
      await waitUntil(`keycloak realm ${realm}`, () => httpOk(`${url}/realms/${realm}/.well-known/openid-configuration`), {
        timeoutMs: 30_000,
        proc,
      });
      handle.startSeconds = (Date.now() - started) / 1000;
      log(`keycloak: ready in ${handle.startSeconds.toFixed(1)}s`);
      if (firstBuild) await cacheAugmentation(kcHome, home, log);
    },
    async dispose() {
      await handle.stop();
      if (ownHome) await rm(home, { recursive: true, force: true });
    },
  };
  try {
    await handle.start();
  } catch (e) {
    await handle.dispose();
    throw e;
  }
  return handle;
}

/** Reads the realm JSON (for tests that assert on its contents). */
export async function readRealm(file = DEFAULT_REALM_FILE): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/** Writes a copy of the realm JSON with edits, for scenarios needing a variant realm. */
export async function writeRealmVariant(edit: (realm: Record<string, unknown>) => void, dir?: string): Promise<string> {
  const realm = await readRealm();
  edit(realm);
  const out = path.join(dir ?? (await mkdtemp(path.join(os.tmpdir(), 'bk-realm-'))), 'realm-backstage.json');
  await writeFile(out, JSON.stringify(realm, null, 2));
  return out;
}
