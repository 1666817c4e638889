/**
 * Runs the oauth2-proxy sidecar outside Kubernetes exactly as the chart renders it: the container's
 * args, the env Kubernetes would build (envFrom ConfigMap, then env, with secretKeyRef values read
 * from the rendered Secret), and nothing else. Only addresses change: listen addresses move to
 * loopback ports and the public/Keycloak/upstream origins move to the local processes. Every
 * rewrite is returned so callers can report it.
 */
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { K8sObject } from './assemble.ts';
import { containerEnv } from './release.ts';

export interface Rewrite {
  key: string;
  from: string;
  to: string;
}

export interface SidecarLaunch {
  args: string[];
  env: Record<string, string>;
  rewritten: Rewrite[];
}

export interface LocalAddresses {
  /** Port for the proxy's HTTP listener (was 0.0.0.0:4180). */
  proxyPort: number;
  /** Port for the proxy's metrics listener (was 0.0.0.0:44180). */
  metricsPort: number;
  /** Origin replacing the rendered public origin (e.g. http://localhost:14180). */
  publicOrigin: string;
  /** Origin replacing the rendered Keycloak origin (e.g. http://127.0.0.1:18080). */
  keycloakOrigin: string;
  /** Origin replacing the rendered in-cluster Keycloak origin, when the chart renders one. */
  keycloakInternalOrigin?: string;
  /** Origin replacing Backstage's loopback listener http://127.0.0.1:7007. */
  backstageOrigin: string;
}

const URL_KEYS = ['OAUTH2_PROXY_OIDC_ISSUER_URL', 'OAUTH2_PROXY_BACKEND_LOGOUT_URL', 'OAUTH2_PROXY_REDIRECT_URL', 'OAUTH2_PROXY_UPSTREAMS', 'OAUTH2_PROXY_LOGIN_URL', 'OAUTH2_PROXY_REDEEM_URL', 'OAUTH2_PROXY_OIDC_JWKS_URL', 'OAUTH2_PROXY_PROFILE_URL', 'OAUTH2_PROXY_VALIDATE_URL'];

/** The sidecar container of the rendered Backstage Deployment. */
export function renderedSidecar(objects: K8sObject[]): V1Container {
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'backstage') as unknown as V1Deployment | undefined;
  const c = dep?.spec?.template.spec?.containers.find((x) => x.name === 'oauth2-proxy');
  if (!c) throw new Error('the rendered Backstage Deployment has no oauth2-proxy container');
  return c;
}

export { containerEnv };

/** Launch spec for the rendered sidecar, with addresses moved to the local processes. */
export function sidecarLaunch(objects: K8sObject[], local: LocalAddresses): SidecarLaunch {
  const c = renderedSidecar(objects);
  const env = containerEnv(objects, c);
  const rewritten: Rewrite[] = [];
  const set = (key: string, to: string): void => {
    if (env[key] === undefined || env[key] === to) return;
    rewritten.push({ key, from: env[key]!, to });
    env[key] = to;
  };
  set('OAUTH2_PROXY_HTTP_ADDRESS', `127.0.0.1:${local.proxyPort}`);
  set('OAUTH2_PROXY_METRICS_ADDRESS', `127.0.0.1:${local.metricsPort}`);
  const issuer = env.OAUTH2_PROXY_OIDC_ISSUER_URL ? new URL(env.OAUTH2_PROXY_OIDC_ISSUER_URL) : undefined;
  const redirect = env.OAUTH2_PROXY_REDIRECT_URL ? new URL(env.OAUTH2_PROXY_REDIRECT_URL) : undefined;
  const origins = new Map<string, string>();
  if (issuer) origins.set(issuer.origin, local.keycloakOrigin);
  if (redirect) origins.set(redirect.origin, local.publicOrigin);
  origins.set('http://127.0.0.1:7007', local.backstageOrigin);
  for (const key of URL_KEYS) {
    const value = env[key];
    if (!value) continue;
    const u = new URL(value);
    const to = origins.get(u.origin) ?? (local.keycloakInternalOrigin && /\/realms\//.test(u.pathname) ? local.keycloakInternalOrigin : undefined);
    if (!to) throw new Error(`${key}=${value}: no local address for origin ${u.origin}`);
    // Keep path, query and the exact trailing form of the rendered value.
    set(key, to + value.slice(u.origin.length));
  }
  return { args: [...(c.args ?? [])], env, rewritten };
}

/**
 * The rendered alpha config (verifiedToken mode) with the same address moves as sidecarLaunch:
 * listeners to loopback ports, Keycloak and Backstage origins to the local processes.
 */
export function alphaConfigLaunch(text: string, local: LocalAddresses, keycloakRenderedOrigins: string[]): { text: string; rewritten: Rewrite[] } {
  const rewritten: Rewrite[] = [];
  let out = text;
  const swap = (key: string, from: string, to: string): void => {
    if (!out.includes(from)) return;
    out = out.split(from).join(to);
    rewritten.push({ key: `alpha-config ${key}`, from, to });
  };
  swap('server.bindAddress', 'bindAddress: 0.0.0.0:4180', `bindAddress: 127.0.0.1:${local.proxyPort}`);
  swap('metricsServer.bindAddress', 'bindAddress: 0.0.0.0:44180', `bindAddress: 127.0.0.1:${local.metricsPort}`);
  swap('upstreams[0].uri', 'http://127.0.0.1:7007/', `${local.backstageOrigin}/`);
  for (const origin of keycloakRenderedOrigins) swap('Keycloak URLs', origin, local.keycloakOrigin);
  return { text: out, rewritten };
}

/**
 * The launch's `--alpha-config` (verifiedToken mode) for a local run: the rendered ConfigMap's
 * alpha config with the addresses alphaConfigLaunch moves (the issuer's origin to the local
 * Keycloak), to be written to `file`, and `args` pointing at `file`. Undefined when the launch has
 * no alpha config (every other mode).
 */
export function localAlphaConfig(objects: K8sObject[], args: string[], local: LocalAddresses, file: string): { args: string[]; text: string; rewritten: Rewrite[] } | undefined {
  const alphaArg = args.find((a) => a.startsWith('--alpha-config=') && a.length > '--alpha-config='.length);
  if (!alphaArg) return undefined;
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-oauth2-proxy-alpha')) as (K8sObject & { data: Record<string, string> }) | undefined;
  const text = cm?.data['alpha-config.yaml'];
  if (!text) throw new Error('the rendered alpha ConfigMap has no alpha-config.yaml');
  const issuerOrigin = new URL(String(parseYaml(text).providers[0].oidcConfig.issuerURL)).origin;
  const moved = alphaConfigLaunch(text, local, [issuerOrigin]);
  return {
    args: args.map((a) => (a === alphaArg ? `--alpha-config=${file}` : a)),
    text: moved.text,
    rewritten: [...moved.rewritten, { key: '--alpha-config', from: alphaArg.slice('--alpha-config='.length), to: file }],
  };
}
