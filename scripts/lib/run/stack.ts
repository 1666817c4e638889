/**
 * The whole sign-in path on loopback, every component real and configured as the chart renders it:
 *   Keycloak (dev realm) <- browser -> oauth2-proxy (the rendered sidecar) -> Backstage (the rendered
 *   app-config, on PostgreSQL as the chart configures it) <- catalog users/groups from Keycloak.
 *
 * The chart is rendered from values/example.yaml (plus optional overrides). From the rendered
 * objects only addresses change, each one recorded in `rewrites`: the public origin becomes
 * http://localhost:<proxy port> (browsers treat localhost as a secure context, so the Secure
 * session cookie of the example values still works over http), Keycloak's origin becomes
 * http://127.0.0.1:<keycloak port> (plain http: no TLS here), and Backstage's loopback port moves
 * to a free one. Used by the sso tier, `npm run dev` and `npm run bench:proxy`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { K8sObject, SubchartMode } from '../chart.ts';
import { renderRelease } from '../release.ts';
import { DEV_KEYCLOAK_ADMIN, realmEnv } from '../dev-credentials.ts';
import { alphaConfigLaunch, containerEnv, sidecarLaunch, type Rewrite, type SidecarLaunch } from '../sidecar.ts';
import type { V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../paths.ts';
import { startBackstage, type BackstageHandle } from './backstage.ts';
import { startKeycloak, type KeycloakHandle } from './keycloak.ts';
import { oauth2ProxyBinary, startOauth2Proxy, type Oauth2ProxyHandle } from './oauth2-proxy.ts';
import { startPostgres, type PostgresHandle } from './postgres.ts';
import { freePort, progress, type Log } from './process.ts';

export const EXAMPLE_VALUES = path.join(repoRoot, 'values', 'example.yaml');

export interface StackOptions {
  /** Values on top of values/example.yaml. */
  values?: Record<string, unknown>;
  log?: Log;
  /** Ports; free ones by default. */
  proxyPort?: number;
  keycloakPort?: number;
}

export interface Stack {
  /** Where the browser goes: the oauth2-proxy listener, http://localhost:<port>. */
  publicUrl: string;
  keycloak: KeycloakHandle;
  postgres: PostgresHandle;
  backstage: BackstageHandle;
  proxy: Oauth2ProxyHandle;
  /** The rendered sidecar as launched (args, env) and the address rewrites applied to it. */
  launch: SidecarLaunch;
  /** Secret of the catalog's service-account client, as the chart stored it (the realm has the same). */
  catalogClientSecret: string;
  /** Every address rewrite, sidecar and Backstage config alike. */
  rewrites: Rewrite[];
  /** Restarts oauth2-proxy, optionally re-rendering with other values (e.g. allowed groups). */
  restartProxy(values?: Record<string, unknown>): Promise<void>;
  /** Restarts Backstage with the same configuration. */
  restartBackstage(): Promise<void>;
  stop(): Promise<void>;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Renders the chart with values/example.yaml plus `values` (subchart resolved once per process). */
export async function renderExample(values: Record<string, unknown> = {}): Promise<K8sObject[]> {
  const mode = (process.env.BK_SUBCHART as SubchartMode | undefined) ?? 'auto';
  const release = await renderRelease({ subchart: mode, valuesFiles: [EXAMPLE_VALUES], values, skipTests: true });
  return release.objects;
}

/** The catalog client secret the chart stored (the dev realm gets the same value). */
function catalogSecret(objects: K8sObject[]): string {
  const s = objects.find((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-oauth2-proxy')) as (K8sObject & { data: Record<string, string> }) | undefined;
  const v = s?.data['catalog-client-secret'];
  if (!v) throw new Error('the rendered Secret has no catalog-client-secret (global.keycloak.catalogSync)');
  return Buffer.from(v, 'base64').toString();
}

function renderedAppConfig(objects: K8sObject[]): Record<string, any> {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-app-config')) as (K8sObject & { data: Record<string, string> }) | undefined;
  if (!cm) throw new Error('no app-config ConfigMap in the rendered release');
  return parseYaml(cm.data['app-config.yaml']!);
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? progress('stack');
  const proxyPort = opts.proxyPort ?? (await freePort());
  const metricsPort = await freePort();
  const keycloakPort = opts.keycloakPort ?? (await freePort());
  const backstagePort = await freePort();
  const publicUrl = `http://localhost:${proxyPort}`;
  const keycloakOrigin = `http://127.0.0.1:${keycloakPort}`;
  const backstageOrigin = `http://127.0.0.1:${backstagePort}`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-stack-'));
  const started: { stop(): Promise<void> }[] = [];
  const rewrites: Rewrite[] = [];
  const local = { proxyPort, metricsPort, publicOrigin: publicUrl, keycloakOrigin, backstageOrigin };

  try {
    log('rendering the chart with values/example.yaml');
    let objects = await renderExample(opts.values);
    const prepareLaunch = async (objs: K8sObject[]): Promise<SidecarLaunch> => {
      const l = sidecarLaunch(objs, local);
      const alphaArg = l.args.find((a) => a.startsWith('--alpha-config=') && a.length > '--alpha-config='.length);
      if (alphaArg) {
        // verifiedToken mode: the mounted alpha config, addresses moved like the env's.
        const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-oauth2-proxy-alpha')) as (K8sObject & { data: Record<string, string> }) | undefined;
        const text = cm?.data['alpha-config.yaml'];
        if (!text) throw new Error('the rendered alpha ConfigMap has no alpha-config.yaml');
        const issuerOrigin = new URL(String(parseYaml(text).providers[0].oidcConfig.issuerURL)).origin;
        const moved = alphaConfigLaunch(text, local, [issuerOrigin]);
        const file = path.join(tmp, 'alpha-config.yaml');
        await writeFile(file, moved.text);
        l.args = l.args.map((a) => (a === alphaArg ? `--alpha-config=${file}` : a));
        l.rewritten.push(...moved.rewritten, { key: '--alpha-config', from: alphaArg.slice('--alpha-config='.length), to: file });
      }
      return l;
    };
    let launch = await prepareLaunch(objects);
    rewrites.push(...launch.rewritten);

    // Keycloak: the dev realm, its client secret being the one the chart put in the Secret.
    const keycloak = await startKeycloak({
      publicUrl: keycloakOrigin,
      port: keycloakPort,
      env: { ...realmEnv(publicUrl), BACKSTAGE_CLIENT_SECRET: launch.env.OAUTH2_PROXY_CLIENT_SECRET!, BACKSTAGE_CATALOG_CLIENT_SECRET: catalogSecret(objects), KC_BOOTSTRAP_ADMIN_USERNAME: DEV_KEYCLOAK_ADMIN.username, KC_BOOTSTRAP_ADMIN_PASSWORD: DEV_KEYCLOAK_ADMIN.password },
      log,
    });
    started.push({ stop: () => keycloak.dispose() });

    const postgres = await startPostgres();
    started.push(postgres);

    // Backstage with the rendered app-config; only its public URLs move to the local origin.
    const appConfig = renderedAppConfig(objects);
    for (const [key, holder] of [['app.baseUrl', appConfig.app], ['backend.baseUrl', appConfig.backend]] as const) {
      rewrites.push({ key: `app-config ${key}`, from: holder.baseUrl, to: publicUrl });
      holder.baseUrl = publicUrl;
    }
    rewrites.push({ key: 'app-config backend.listen.port', from: String(appConfig.backend.listen.port), to: String(backstagePort) });
    appConfig.backend.listen.port = backstagePort;
    // Loopback is plain http: the CSP must not upgrade the app's own scripts to https (the chart
    // requires the same setting whenever global.allowInsecureHttp is set).
    rewrites.push({ key: 'app-config backend.csp.upgrade-insecure-requests', from: '(default: on)', to: 'false' });
    appConfig.backend.csp = { ...appConfig.backend.csp, 'upgrade-insecure-requests': false };
    const renderedFile = path.join(tmp, 'app-config-from-configmap.yaml');
    await writeFile(renderedFile, stringify(appConfig));
    // Users and groups come from Keycloak itself (the chart's catalogSync), at the local address.
    const kcOrg = appConfig.catalog.providers.keycloakOrg.default;
    rewrites.push({ key: 'app-config catalog.providers.keycloakOrg.default.baseUrl', from: kcOrg.baseUrl, to: keycloakOrigin });
    kcOrg.baseUrl = keycloakOrigin;
    await writeFile(renderedFile, stringify(appConfig));
    // The Backstage container's env as Kubernetes builds it, database address moved to the local
    // PostgreSQL (its generated password replaced by the local one).
    const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'backstage') as unknown as V1Deployment;
    const bsContainer = dep.spec!.template.spec!.containers.find((c) => c.name === 'backstage-backend')!;
    const renderedEnv = containerEnv(objects, bsContainer);
    for (const [k, v] of Object.entries(postgres.env)) {
      if (renderedEnv[k] !== undefined && renderedEnv[k] !== v) rewrites.push({ key: `backstage env ${k}`, from: k === 'POSTGRES_PASSWORD' ? '(generated)' : renderedEnv[k]!, to: k === 'POSTGRES_PASSWORD' ? '(local)' : v });
    }
    delete renderedEnv.APP_CONFIG_backend_listen_port; // the harness sets the local port
    // In verifiedToken mode Backstage verifies against the local Keycloak.
    if (appConfig.auth?.providers?.oidcProxy) {
      const o = appConfig.auth.providers.oidcProxy;
      for (const key of ['issuer', 'jwksUrl'] as const) {
        if (!o[key]) continue;
        const to = keycloakOrigin + o[key].slice(new URL(o[key]).origin.length);
        rewrites.push({ key: `app-config auth.providers.oidcProxy.${key}`, from: o[key], to });
        o[key] = to;
      }
      await writeFile(renderedFile, stringify(appConfig));
    }
    const backstageOpts = {
      host: '127.0.0.1',
      port: backstagePort,
      // As the chart runs it: the image's files, then the rendered ConfigMap (last wins).
      configs: ['app-config.production.yaml', renderedFile],
      env: { ...renderedEnv, ...postgres.env },
      secrets: [postgres.env.POSTGRES_PASSWORD, renderedEnv.KEYCLOAK_CATALOG_CLIENT_SECRET ?? ''],
      log,
      waitForUser: 'alice',
    };
    let backstage = await startBackstage(backstageOpts);
    const bsRef = { stop: () => backstage.stop() };
    started.push(bsRef);

    const bin = await oauth2ProxyBinary();
    let proxy = await startOauth2Proxy({ bin, args: launch.args, env: launch.env, log });
    const proxyRef = { stop: () => proxy.stop() };
    started.push(proxyRef);
    log(`stack ready: ${publicUrl} (Keycloak ${keycloakOrigin}, Backstage ${backstageOrigin})`);

    const stack: Stack = {
      publicUrl,
      keycloak,
      postgres,
      get backstage() {
        return backstage;
      },
      get proxy() {
        return proxy;
      },
      get launch() {
        return launch;
      },
      rewrites,
      catalogClientSecret: catalogSecret(objects),
      async restartProxy(values) {
        await proxy.stop();
        if (values) {
          objects = await renderExample(merge(opts.values ?? {}, values));
          launch = await prepareLaunch(objects);
        }
        proxy = await startOauth2Proxy({ bin, args: launch.args, env: launch.env, log });
      },
      async restartBackstage() {
        await backstage.stop();
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
