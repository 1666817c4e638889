/**
 * The whole sign-in path on loopback, every component real and configured as the chart renders it:
 *   proxy modes (oauth2Proxy, verifiedToken):
 *     Keycloak (dev realm) <- browser -> oauth2-proxy (the rendered sidecar) -> Backstage (the
 *     rendered app-config, on PostgreSQL as the chart configures it) <- users/groups from Keycloak
 *   native modes (oidc, oauth2): no proxy process, as the chart renders no sidecar:
 *     Keycloak (dev realm) <- browser -> Backstage (its own oidc/oauth2 provider), same database
 *     and catalog.
 *
 * The chart is rendered from values/example.yaml (plus optional overrides). From the rendered
 * objects only addresses change, each one recorded in `rewrites`: the public origin becomes
 * http://localhost:<proxy port> (browsers treat localhost as a secure context, so the Secure
 * session cookie of the example values still works over http; in the native modes Backstage itself
 * listens there, on 127.0.0.1), Keycloak's origin becomes http://127.0.0.1:<keycloak port> (plain
 * http: no TLS here), and Backstage's loopback port moves to a free one. Used by the sso tier,
 * `npm run dev` and `npm run bench:proxy`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { K8sObject, SubchartMode } from '../chart/assemble.ts';
import { renderRelease } from '../chart/release.ts';
import { backstageAppConfig } from '../chart/app-config.ts';
import { modeOfValues, type SignInMode } from '../chart/modes.ts';
import { DEV_KEYCLOAK_ADMIN, realmEnv } from '../dev-credentials.ts';
import { containerEnv, localAlphaConfig, sidecarLaunch, type Rewrite, type SidecarLaunch } from '../chart/sidecar.ts';
import type { V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../paths.ts';
import { CookieJar, request } from '../http.ts';
import { loginNative, type NativeProvider } from '../login/native.ts';
import { loginThroughProxy } from '../login/proxy.ts';
import { DEV_USERS } from '../dev-credentials.ts';
import { poll } from '../poll.ts';
import { startBackstage, type BackstageHandle, type BackstageOptions } from './backstage.ts';
import { startKeycloak, type KeycloakHandle } from './keycloak.ts';
import { oauth2ProxyBinary, startOauth2Proxy, type Oauth2ProxyHandle } from './oauth2-proxy.ts';
import { startPostgres, type PostgresHandle } from './postgres.ts';
import { startRedis, type RedisHandle } from './redis.ts';
import { freePort, progress, type Log } from './process.ts';

export const EXAMPLE_VALUES = path.join(repoRoot, 'values', 'example.yaml');

export interface StackOptions {
  /** Values on top of values/example.yaml. */
  values?: Record<string, unknown>;
  log?: Log;
  /** Ports; free ones by default. */
  proxyPort?: number;
  keycloakPort?: number;
  /** Benchmarks only: another oauth2-proxy binary of the pinned version (the pprof build) and env added to the rendered sidecar's (BK_PPROF_ADDR). */
  proxyBin?: string;
  proxyEnv?: Record<string, string>;
}

export type { SignInMode };
export const PROVIDERS: Record<SignInMode, string> = { oauth2Proxy: 'oauth2Proxy', verifiedToken: 'oidcProxy', oidc: 'oidc', oauth2: 'oauth2' };

export interface Stack {
  /** Where the browser goes: http://localhost:<port>, oauth2-proxy's listener or (native modes) Backstage's. */
  publicUrl: string;
  /** global.signIn.mode of the rendered chart, and Backstage's provider for it. */
  mode: SignInMode;
  provider: string;
  /** True in the native modes (oidc, oauth2): no oauth2-proxy runs. */
  native: boolean;
  keycloak: KeycloakHandle;
  postgres: PostgresHandle;
  backstage: BackstageHandle;
  /** Backstage's health listener (GET /.backstage/health/v1/readiness|liveness only), where the kubelet's probes go in the pod. */
  healthUrl: string;
  /** The oauth2-proxy process (proxy modes; throws in the native modes). */
  proxy: Oauth2ProxyHandle;
  /** The rendered sidecar as launched (args, env) and the address rewrites applied to it (proxy modes). */
  launch: SidecarLaunch;
  /** The Keycloak client secret the chart stored (the realm has the same). */
  clientSecret: string;
  /** Backstage's env as the chart renders it (database moved to the local PostgreSQL). */
  backstageEnv: Record<string, string>;
  /** Secret of the catalog's service-account client, as the chart stored it (the realm has the same). */
  catalogClientSecret: string;
  /** Every address rewrite, sidecar and Backstage config alike. */
  rewrites: Rewrite[];
  /** The local redis-server when the rendered sidecar uses the redis session store (started with the rendered password). */
  redis: RedisHandle | undefined;
  /**
   * Another oauth2-proxy in front of the same Backstage, rendered with `values` on top of the
   * stack's, on its own public port (registered as a redirect URI of the realm's client). Benchmarks
   * compare chart options with it in one run. Proxy modes. Stopped with the stack.
   */
  addProxy(values: Record<string, unknown>, env?: Record<string, string>): Promise<{ publicUrl: string; proxy: Oauth2ProxyHandle; launch: SidecarLaunch }>;
  /** Restarts oauth2-proxy, optionally re-rendering with other values (e.g. allowed groups). Proxy modes. */
  restartProxy(values?: Record<string, unknown>): Promise<void>;
  /** Restarts Backstage with the same configuration, or re-rendered with other values (native modes: e.g. allowed groups). */
  restartBackstage(values?: Record<string, unknown>): Promise<void>;
  /** Signs `username` in through the mode's real path until it works (the catalog ingests after start). */
  waitForSignIn(username?: string): Promise<void>;
  stop(): Promise<void>;
}

/** `b` deep-merged over `a` (maps merge, anything else replaces), as Helm merges values files. */
export function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Renders the chart with values/example.yaml plus `values` (subchart resolved once per process). */
export async function renderExample(values: Record<string, unknown> = {}): Promise<K8sObject[]> {
  const mode = (process.env.BK_SUBCHART as SubchartMode | undefined) ?? 'auto';
  // The sign-in mode the values ask for comes with the values it needs (values/modes/*.yaml).
  const release = await renderRelease({ subchart: mode, valuesFiles: [EXAMPLE_VALUES], mode: modeOfValues(values), values, skipTests: true });
  return release.objects;
}

/** The catalog client secret the chart stored (the dev realm gets the same value). */
function catalogSecret(objects: K8sObject[]): string {
  const s = objects.find((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-oauth2-proxy')) as (K8sObject & { data: Record<string, string> }) | undefined;
  const v = s?.data['catalog-client-secret'];
  if (!v) throw new Error('the rendered Secret has no catalog-client-secret (global.keycloak.catalogSync)');
  return Buffer.from(v, 'base64').toString();
}

/** global.signIn.mode of a render, from the Backstage container's BACKSTAGE_SIGNIN_MODE. */
function renderedMode(objects: K8sObject[]): SignInMode {
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'backstage') as unknown as V1Deployment | undefined;
  const env = dep?.spec?.template.spec?.containers.find((c) => c.name === 'backstage-backend')?.env ?? [];
  const mode = env.find((e) => e.name === 'BACKSTAGE_SIGNIN_MODE')?.value as SignInMode | undefined;
  if (!mode || !(mode in PROVIDERS)) throw new Error(`the rendered Backstage container has no known BACKSTAGE_SIGNIN_MODE (${String(mode)})`);
  return mode;
}

function renderedAppConfig(objects: K8sObject[]): Record<string, any> {
  return backstageAppConfig(objects.filter((o) => o.kind === 'ConfigMap') as { data?: Record<string, string> }[], parseYaml);
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? progress('stack');
  const proxyPort = opts.proxyPort ?? (await freePort());
  const metricsPort = await freePort();
  const keycloakPort = opts.keycloakPort ?? (await freePort());
  const publicUrl = `http://localhost:${proxyPort}`;
  const keycloakOrigin = `http://127.0.0.1:${keycloakPort}`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-stack-'));
  const started: { stop(): Promise<void> }[] = [];
  const rewrites: Rewrite[] = [];

  try {
    log('rendering the chart with values/example.yaml');
    let objects = await renderExample(opts.values);
    const mode = renderedMode(objects);
    const native = mode === 'oidc' || mode === 'oauth2';
    const provider = PROVIDERS[mode];
    // Native modes: the browser talks to Backstage itself, on the public port.
    const backstagePort = native ? proxyPort : await freePort();
    const backstageOrigin = `http://127.0.0.1:${backstagePort}`;
    const local = { proxyPort, metricsPort, publicOrigin: publicUrl, keycloakOrigin, backstageOrigin };
    log(`sign-in mode ${mode}: ${native ? `no oauth2-proxy; Backstage's ${provider} provider on ${publicUrl}` : `oauth2-proxy on ${publicUrl} in front of Backstage`}`);
    let redis: RedisHandle | undefined;
    const prepareLaunch = async (objs: K8sObject[], at: typeof local = local): Promise<SidecarLaunch> => {
      const l = sidecarLaunch(objs, at);
      if (l.env.OAUTH2_PROXY_SESSION_STORE_TYPE === 'redis') {
        // The redis session store: a local redis-server with the rendered password (from the Secret).
        if (!redis) {
          redis = await startRedis({ password: l.env.OAUTH2_PROXY_REDIS_PASSWORD, log });
          started.push(redis);
        }
        l.rewritten.push({ key: 'OAUTH2_PROXY_REDIS_CONNECTION_URL', from: l.env.OAUTH2_PROXY_REDIS_CONNECTION_URL ?? '', to: redis.url });
        l.env.OAUTH2_PROXY_REDIS_CONNECTION_URL = redis.url;
      }
      // verifiedToken mode: the mounted alpha config, addresses moved like the env's.
      const alphaFile = path.join(tmp, `alpha-config-${at.proxyPort}.yaml`);
      const alpha = localAlphaConfig(objs, l.args, at, alphaFile);
      if (alpha) {
        await writeFile(alphaFile, alpha.text);
        l.args = alpha.args;
        l.rewritten.push(...alpha.rewritten);
      }
      return l;
    };
    let launch: SidecarLaunch | undefined = native ? undefined : await prepareLaunch(objects);
    if (launch) rewrites.push(...launch.rewritten);
    const postgres = await startPostgres();
    started.push(postgres);

    // Backstage's health listener (the kubelet's probes in the pod), moved to a local port.
    const healthPort = await freePort();
    /** Backstage as the chart configures it (rendered app-config and env), addresses moved. */
    const backstageLaunch = async (objs: K8sObject[], record: boolean): Promise<BackstageOptions & { env: Record<string, string> }> => {
      const note = (r: Rewrite): void => {
        if (record) rewrites.push(r);
      };
      const appConfig = renderedAppConfig(objs);
      for (const [key, holder] of [['app.baseUrl', appConfig.app], ['backend.baseUrl', appConfig.backend]] as const) {
        note({ key: `app-config ${key}`, from: holder.baseUrl, to: publicUrl });
        holder.baseUrl = publicUrl;
      }
      note({ key: 'app-config backend.listen', from: `${appConfig.backend.listen.host}:${appConfig.backend.listen.port}`, to: `127.0.0.1:${backstagePort}` });
      appConfig.backend.listen = { host: '127.0.0.1', port: backstagePort };
      const health = appConfig.backstageKeycloak?.health;
      if (health?.listen) {
        note({ key: 'app-config backstageKeycloak.health.listen', from: `${health.listen.host}:${health.listen.port}`, to: `127.0.0.1:${healthPort}` });
        health.listen = { host: '127.0.0.1', port: healthPort };
      }
      // Loopback is plain http: the CSP must not upgrade the app's own scripts to https (the chart
      // requires the same setting whenever global.allowInsecureHttp is set).
      note({ key: 'app-config backend.csp.upgrade-insecure-requests', from: '(default: on)', to: 'false' });
      appConfig.backend.csp = { ...appConfig.backend.csp, 'upgrade-insecure-requests': false };
      // Users and groups come from Keycloak itself (the chart's catalogSync), at the local address.
      const kcOrg = appConfig.catalog.providers.keycloakOrg.default;
      note({ key: 'app-config catalog.providers.keycloakOrg.default.baseUrl', from: kcOrg.baseUrl, to: keycloakOrigin });
      kcOrg.baseUrl = keycloakOrigin;
      // Every Keycloak URL of the sign-in configuration moves to the local Keycloak.
      const moveUrl = (holder: Record<string, any> | undefined, key: string, at: string): void => {
        if (!holder?.[key]) return;
        const to = keycloakOrigin + holder[key].slice(new URL(holder[key]).origin.length);
        note({ key: `app-config ${at}.${key}`, from: holder[key], to });
        holder[key] = to;
      };
      const env = appConfig.auth?.environment ?? 'production';
      const providers = appConfig.auth?.providers ?? {};
      for (const key of ['issuer', 'jwksUrl']) moveUrl(providers.oidcProxy, key, 'auth.providers.oidcProxy');
      moveUrl(providers.oidc?.[env], 'metadataUrl', `auth.providers.oidc.${env}`);
      for (const key of ['authorizationUrl', 'tokenUrl']) moveUrl(providers.oauth2?.[env], key, `auth.providers.oauth2.${env}`);
      for (const key of ['userinfoUrl', 'endSessionUrl']) moveUrl(appConfig.backstageKeycloak, key, 'backstageKeycloak');
      const file = path.join(tmp, `app-config-from-configmap-${Date.now()}.yaml`);
      await writeFile(file, stringify(appConfig));
      // The Backstage container's env as Kubernetes builds it, database address moved to the local
      // PostgreSQL (its generated password replaced by the local one).
      const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'backstage') as unknown as V1Deployment;
      const bsContainer = dep.spec!.template.spec!.containers.find((c) => c.name === 'backstage-backend')!;
      const renderedEnv = containerEnv(objs, bsContainer);
      for (const [k, v] of Object.entries(postgres.env)) {
        if (renderedEnv[k] !== undefined && renderedEnv[k] !== v) note({ key: `backstage env ${k}`, from: k === 'POSTGRES_PASSWORD' ? '(generated)' : renderedEnv[k]!, to: k === 'POSTGRES_PASSWORD' ? '(local)' : v });
      }
      delete renderedEnv.APP_CONFIG_backend_listen_port; // the harness sets the local port
      return {
        host: '127.0.0.1',
        port: backstagePort,
        // As the chart runs it: the image's files, then the rendered ConfigMap (last wins).
        configs: ['app-config.production.yaml', file],
        env: { ...renderedEnv, ...postgres.env },
        secrets: [postgres.env.POSTGRES_PASSWORD, renderedEnv.KEYCLOAK_CATALOG_CLIENT_SECRET ?? '', renderedEnv.KEYCLOAK_CLIENT_SECRET ?? '', renderedEnv.AUTH_SESSION_SECRET ?? ''].filter(Boolean),
        log,
        // Only the oauth2Proxy provider takes identity headers; other modes wait below through their real path.
        waitForUser: mode === 'oauth2Proxy' ? 'alice' : undefined,
      };
    };
    let backstageOpts = await backstageLaunch(objects, true);
    const clientSecret = launch ? launch.env.OAUTH2_PROXY_CLIENT_SECRET! : backstageOpts.env.KEYCLOAK_CLIENT_SECRET!;

    // Keycloak: the dev realm, its client secret being the one the chart put in the Secret.
    const keycloak = await startKeycloak({
      publicUrl: keycloakOrigin,
      port: keycloakPort,
      env: { ...realmEnv(publicUrl), BACKSTAGE_CLIENT_SECRET: clientSecret, BACKSTAGE_CATALOG_CLIENT_SECRET: catalogSecret(objects), KC_BOOTSTRAP_ADMIN_USERNAME: DEV_KEYCLOAK_ADMIN.username, KC_BOOTSTRAP_ADMIN_PASSWORD: DEV_KEYCLOAK_ADMIN.password },
      log,
    });
    started.unshift({ stop: () => keycloak.dispose() });

    let backstage = await startBackstage(backstageOpts);
    const bsRef = { stop: () => backstage.stop() };
    started.push(bsRef);

    const bin = native ? '' : (opts.proxyBin ?? (await oauth2ProxyBinary()));
    let proxy: Oauth2ProxyHandle | undefined = launch ? await startOauth2Proxy({ bin, args: launch.args, env: { ...launch.env, ...opts.proxyEnv }, log }) : undefined;
    started.push({ stop: async () => proxy?.stop() });

    /** One sign-in of `username` through the mode's real path; throws (LoginError) when refused. */
    const signInOnce = async (username: string): Promise<void> => {
      const password = Object.values(DEV_USERS).find((u) => u.username === username)?.password;
      if (!password) throw new Error(`no dev password for ${username}`);
      if (native) {
        await loginNative(publicUrl, provider as NativeProvider, username, password);
        return;
      }
      const { jar } = await loginThroughProxy(publicUrl, username, password, new CookieJar());
      const res = await request(new URL(`/api/auth/${provider}/refresh`, publicUrl), { jar, headers: { 'x-requested-with': 'XMLHttpRequest' } });
      if (res.status !== 200) throw new Error(`${provider}/refresh answered ${res.status}: ${res.body.slice(0, 200)}`);
    };
    const waitForSignIn = async (username = 'alice'): Promise<void> => {
      const t0 = Date.now();
      await poll(`${username} signs in (${mode})`, async () => {
        await signInOnce(username);
        return true;
      }, { timeoutMs: 120_000, intervalMs: 1000 });
      log(`${username} signs in through ${native ? `Backstage's ${provider} provider` : 'oauth2-proxy'} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    };
    if (mode !== 'oauth2Proxy') await waitForSignIn();
    log(`stack ready: ${publicUrl} (Keycloak ${keycloakOrigin}, Backstage ${backstageOrigin}${native ? ', no proxy' : ''})`);

    const noProxy = (): never => {
      throw new Error(`global.signIn.mode=${mode} runs no oauth2-proxy`);
    };
    const stack: Stack = {
      publicUrl,
      healthUrl: `http://127.0.0.1:${healthPort}`,
      mode,
      provider,
      native,
      keycloak,
      postgres,
      clientSecret,
      get backstageEnv() {
        return backstageOpts.env;
      },
      get backstage() {
        return backstage;
      },
      get proxy() {
        return proxy ?? noProxy();
      },
      get launch() {
        return launch ?? noProxy();
      },
      get redis() {
        return redis;
      },
      async addProxy(values, env = {}) {
        if (native) noProxy();
        const port = await freePort();
        const at = { ...local, proxyPort: port, metricsPort: await freePort(), publicOrigin: `http://localhost:${port}` };
        const l = await prepareLaunch(await renderExample(merge(opts.values ?? {}, values)), at);
        // The realm's client accepts this proxy's callback too.
        const admin = { authorization: `Bearer ${await keycloak.adminToken()}`, 'content-type': 'application/json' };
        const base = `${keycloak.url}/admin/realms/${keycloak.realm}/clients`;
        const [client] = (await (await fetch(`${base}?clientId=${encodeURIComponent(l.env.OAUTH2_PROXY_CLIENT_ID ?? 'backstage')}`, { headers: admin })).json()) as { id: string; redirectUris: string[] }[];
        if (!client) throw new Error('addProxy: no such client in the realm');
        const put = await fetch(`${base}/${client.id}`, { method: 'PUT', headers: admin, body: JSON.stringify({ ...client, redirectUris: [...client.redirectUris, `${at.publicOrigin}/oauth2/callback`] }) });
        if (!put.ok) throw new Error(`addProxy: Keycloak refused the redirect URI: ${put.status}`);
        const extra = await startOauth2Proxy({ bin, args: l.args, env: { ...l.env, ...opts.proxyEnv, ...env }, log });
        started.push(extra);
        return { publicUrl: at.publicOrigin, proxy: extra, launch: l };
      },
      rewrites,
      catalogClientSecret: catalogSecret(objects),
      waitForSignIn,
      async restartProxy(values) {
        if (!launch || !proxy) noProxy();
        await proxy!.stop();
        if (values) {
          objects = await renderExample(merge(opts.values ?? {}, values));
          launch = await prepareLaunch(objects);
        }
        proxy = await startOauth2Proxy({ bin, args: launch!.args, env: { ...launch!.env, ...opts.proxyEnv }, log });
      },
      async restartBackstage(values) {
        await backstage.stop();
        if (values) {
          objects = await renderExample(merge(opts.values ?? {}, values));
          const next = await backstageLaunch(objects, false);
          // Same secrets as the running stack (the realm has the client secret; sessions keep the session secret).
          backstageOpts = { ...next, env: { ...next.env, KEYCLOAK_CLIENT_SECRET: backstageOpts.env.KEYCLOAK_CLIENT_SECRET ?? '', AUTH_SESSION_SECRET: backstageOpts.env.AUTH_SESSION_SECRET ?? '' } };
          for (const k of ['KEYCLOAK_CLIENT_SECRET', 'AUTH_SESSION_SECRET']) if (!backstageOpts.env[k]) delete backstageOpts.env[k];
        }
        backstage = await startBackstage(backstageOpts);
      },
      async stop() {
        for (const s of started.reverse()) await s.stop().catch(() => undefined);
        await rm(tmp, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (e) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
