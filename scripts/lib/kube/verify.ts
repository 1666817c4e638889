/**
 * Checks of an installed release: objects through the Kubernetes API, then the login over HTTP.
 * Each check reports ok/failed with a detail naming what was found; nothing throws on a failed
 * check, so one run reports every problem.
 */
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { V1Deployment, V1Pod, } from '@kubernetes/client-node';
import { CookieJar } from '../http.ts';
import { loginNative, nativeStart, type NativeProvider } from '../login/native.ts';
import { loginThroughProxy, anonymousRedirect } from '../login/proxy.ts';
import { request } from '../http.ts';
import { cookieKeyBytes, VALID_KEY_LENGTHS } from '../chart/oauth2-proxy-rules.ts';
import { OAUTH2_PROXY_VERSION } from '../tools/index.ts';
import { selector } from './client.ts';
import { notYet, poll } from '../poll.ts';
import { hardeningProblems } from '../chart/release.ts';
import { backstageAppConfig } from '../chart/app-config.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ReleaseRef {
  namespace: string;
  release: string;
}

/** What the HTTP checks need, read from the release's own objects. */
export interface ReleaseFacts {
  /** global.signIn.mode of the release (BACKSTAGE_SIGNIN_MODE of its Backstage container). */
  mode?: string;
  publicUrl?: string;
  issuerUrl?: string;
  loginUrl?: string;
  clientId?: string;
}

const SECRET_ENV = ['OAUTH2_PROXY_CLIENT_ID', 'OAUTH2_PROXY_CLIENT_SECRET', 'OAUTH2_PROXY_COOKIE_SECRET'];

/** The object checks of `npm run verify`. Returns the checks and the facts the HTTP checks need. */
export async function verifyObjects(kc: k8s.KubeConfig, ref: ReleaseRef): Promise<{ checks: Check[]; facts: ReleaseFacts }> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const { namespace, release } = ref;
  const checks: Check[] = [];
  const facts: ReleaseFacts = {};
  const add = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });

  const labels = { 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': 'backstage' };
  const deployments = (await apps.listNamespacedDeployment({ namespace, labelSelector: selector(labels) })).items;
  if (deployments.length !== 1) {
    add('Backstage Deployment exists', false, `found ${deployments.length} Deployments labelled ${selector(labels)} in ${namespace}; is the release "${release}" installed there?`);
    return { checks, facts };
  }
  const dep: V1Deployment = deployments[0]!;
  const depName = dep.metadata!.name!;
  const available = dep.status?.conditions?.find((c) => c.type === 'Available');
  const ready = dep.status?.availableReplicas ?? 0;
  add('Deployment is available', available?.status === 'True' && ready >= 1 && (dep.status?.updatedReplicas ?? 0) === (dep.spec?.replicas ?? 1), `${depName}: Available=${available?.status ?? 'unknown'}, ${ready}/${dep.spec?.replicas ?? 1} available, ${dep.status?.updatedReplicas ?? 0} updated`);

  const podSpec = dep.spec!.template.spec!;
  const backstage = podSpec.containers.find((c) => c.name === 'backstage-backend');
  // Releases from before the native modes carry no BACKSTAGE_SIGNIN_MODE: they are proxy releases.
  facts.mode = backstage?.env?.find((e) => e.name === 'BACKSTAGE_SIGNIN_MODE')?.value ?? 'oauth2Proxy';
  if (facts.mode === 'oidc' || facts.mode === 'oauth2') {
    await verifyNative(kc, ref, dep, checks, facts);
    return { checks, facts };
  }
  const sidecar = podSpec.containers.find((c) => c.name === 'oauth2-proxy');
  const pinned = `oauth2-proxy:${OAUTH2_PROXY_VERSION}`;
  // Pinned: by this project's version tag, or by digest (a release pins every image by digest).
  const image = sidecar?.image ?? '';
  add('oauth2-proxy sidecar with the pinned image', !!sidecar && (image.endsWith(pinned) || /\/oauth2-proxy(:[^@/]+)?@sha256:[0-9a-f]{64}$/.test(image)), sidecar ? `image ${image}` : `no container named oauth2-proxy in ${depName}`);
  const pods: V1Pod[] = (await core.listNamespacedPod({ namespace, labelSelector: selector(dep.spec!.selector.matchLabels ?? {}) })).items;
  const running = pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  add('a Backstage pod is Running', running.length > 0, `${running.length}/${pods.length} pods Running`);
  const livePod = running[0];
  const liveSidecar = livePod?.spec?.containers.find((c) => c.name === 'oauth2-proxy');
  const problems = [...(sidecar ? hardeningProblems(sidecar, podSpec) : ['missing']), ...podSpec.containers.filter((c) => c.name !== 'oauth2-proxy').flatMap((c) => hardeningProblems(c, podSpec).map((p) => `${c.name}: ${p}`))];
  add('hardened securityContext (non-root, read-only, no escalation, no capabilities, RuntimeDefault)', problems.length === 0, problems.length ? problems.join('; ') : `${podSpec.containers.map((c) => c.name).join(', ')} hardened`);
  if (livePod) add('the running pod has the sidecar', !!liveSidecar && liveSidecar.image === sidecar?.image, liveSidecar ? `pod ${livePod.metadata!.name}` : 'missing in the running pod');

  // Service.
  const services = (await core.listNamespacedService({ namespace, labelSelector: selector(labels) })).items;
  const svc = services[0];
  const target = svc?.spec?.ports?.[0]?.targetPort;
  const proxyPortNames = (sidecar?.ports ?? []).map((p) => p.name);
  add('Service targets the proxy port', !!svc && target === 'oauth2-proxy' && proxyPortNames.includes('oauth2-proxy') && (svc.spec?.ports?.length ?? 0) === 1, svc ? `${svc.metadata!.name} -> targetPort ${String(target)}` : 'no Service labelled for the release');

  // Secrets: the three keys the sidecar reads, present and sane.
  const secretValues: string[] = [];
  const missing: string[] = [];
  for (const envName of SECRET_ENV) {
    const ref = sidecar?.env?.find((e) => e.name === envName)?.valueFrom?.secretKeyRef;
    if (!ref?.name) {
      missing.push(`${envName} is not from a Secret`);
      continue;
    }
    try {
      const secret = await core.readNamespacedSecret({ name: ref.name, namespace });
      const raw = secret.data?.[ref.key];
      if (!raw) {
        missing.push(`${ref.name} has no key ${ref.key}`);
        continue;
      }
      const value = Buffer.from(raw, 'base64').toString('utf8');
      // The client id is public (it is in every login URL); only the two secrets must not leak.
      if (envName !== 'OAUTH2_PROXY_CLIENT_ID') secretValues.push(value);
      if (envName === 'OAUTH2_PROXY_CLIENT_ID') facts.clientId = value;
      if (envName === 'OAUTH2_PROXY_COOKIE_SECRET' && !VALID_KEY_LENGTHS.includes(cookieKeyBytes(value))) missing.push(`${ref.name}/${ref.key} gives a ${cookieKeyBytes(value)}-byte key (oauth2-proxy needs 16, 24 or 32)`);
    } catch (e) {
      missing.push(`Secret ${ref.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  add('Secret holds client-id, client-secret and cookie-secret', missing.length === 0, missing.length ? missing.join('; ') : SECRET_ENV.map((n) => sidecar!.env!.find((e) => e.name === n)!.valueFrom!.secretKeyRef!.key).join(', '));

  // No secret literal anywhere in the pod spec (template and live pod).
  const specText = JSON.stringify(podSpec) + JSON.stringify(livePod?.spec ?? {});
  const leaked = secretValues.filter((v) => v.length >= 8 && specText.includes(v)).length;
  const literalEnv = podSpec.containers.flatMap((c) => (c.env ?? []).filter((e) => /SECRET|PASSWORD|TOKEN/.test(e.name) && e.value !== undefined).map((e) => `${c.name}/${e.name}`));
  add('no secret literal in the pod spec', leaked === 0 && literalEnv.length === 0, leaked || literalEnv.length ? `${leaked} secret value(s) found in the spec; literal env: ${literalEnv.join(', ') || 'none'}` : 'secrets only through secretKeyRef');

  // Proxy settings (ConfigMap loaded with envFrom).
  const cmName = sidecar?.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
  if (cmName) {
    const env = (await core.readNamespacedConfigMap({ name: cmName, namespace })).data ?? {};
    facts.issuerUrl = env.OAUTH2_PROXY_OIDC_ISSUER_URL;
    facts.loginUrl = env.OAUTH2_PROXY_LOGIN_URL;
    facts.publicUrl = env.OAUTH2_PROXY_REDIRECT_URL?.replace(/\/oauth2\/callback$/, '');
    const unsafe = ['OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER', 'OAUTH2_PROXY_SET_AUTHORIZATION_HEADER', 'OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS'].filter((k) => env[k] !== 'false');
    add('proxy never replaces Authorization and upstream is loopback', unsafe.length === 0 && env.OAUTH2_PROXY_UPSTREAMS === 'http://127.0.0.1:7007/', `upstream ${env.OAUTH2_PROXY_UPSTREAMS ?? 'unset'}${unsafe.length ? `; not false: ${unsafe.join(', ')}` : ''}`);
  } else {
    add('proxy settings ConfigMap', false, 'the sidecar loads no ConfigMap');
  }

  // NetworkPolicy selecting the pod and admitting only the proxy ports.
  const podLabels = dep.spec!.template.metadata!.labels ?? {};
  const policies = (await net.listNamespacedNetworkPolicy({ namespace })).items.filter((p) =>
    Object.entries(p.spec?.podSelector?.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v) && Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length > 0,
  );
  const ours = policies.find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'backstage-keycloak');
  const ports = (ours?.spec?.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => String(p.port)));
  add('NetworkPolicy admits only the proxy ports', !!ours && (ours.spec?.policyTypes ?? []).includes('Ingress') && ports.every((p) => ['oauth2-proxy', 'oauth2-metrics'].includes(p)) && ports.includes('oauth2-proxy'), ours ? `${ours.metadata!.name}: ports ${ports.join(', ')}` : `no NetworkPolicy of this chart selects ${depName}'s pods`);

  return { checks, facts };
}

/** The object checks of a native-mode release (oidc, oauth2): no sidecar, Backstage's own port. */
async function verifyNative(kc: k8s.KubeConfig, ref: ReleaseRef, dep: V1Deployment, checks: Check[], facts: ReleaseFacts): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const { namespace, release } = ref;
  const add = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });
  const depName = dep.metadata!.name!;
  const podSpec = dep.spec!.template.spec!;
  const backstage = podSpec.containers.find((c) => c.name === 'backstage-backend');
  add(`no oauth2-proxy sidecar (sign-in mode ${facts.mode})`, podSpec.containers.length === 1 && !!backstage, `containers: ${podSpec.containers.map((c) => c.name).join(', ')}`);
  const pods: V1Pod[] = (await core.listNamespacedPod({ namespace, labelSelector: selector(dep.spec!.selector.matchLabels ?? {}) })).items;
  const running = pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  add('a Backstage pod is Running', running.length > 0, `${running.length}/${pods.length} pods Running`);
  const problems = podSpec.containers.flatMap((c) => hardeningProblems(c, podSpec).map((p) => `${c.name}: ${p}`));
  add('hardened securityContext (non-root, read-only, no escalation, no capabilities, RuntimeDefault)', problems.length === 0, problems.length ? problems.join('; ') : `${podSpec.containers.map((c) => c.name).join(', ')} hardened`);
  const labels = { 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': 'backstage' };
  const svc = (await core.listNamespacedService({ namespace, labelSelector: selector(labels) })).items[0];
  const target = svc?.spec?.ports?.[0]?.targetPort;
  add("Service targets Backstage's port", !!svc && target === 'backend' && (backstage?.ports ?? []).some((p) => p.name === 'backend'), svc ? `${svc.metadata!.name} -> targetPort ${String(target)}` : 'no Service labelled for the release');
  // The client id, client secret and session secret Backstage reads, from Secrets.
  const secretValues: string[] = [];
  const missing: string[] = [];
  for (const envName of ['KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CLIENT_SECRET', 'AUTH_SESSION_SECRET']) {
    const r = backstage?.env?.find((e) => e.name === envName)?.valueFrom?.secretKeyRef;
    if (!r?.name) {
      missing.push(`${envName} is not from a Secret`);
      continue;
    }
    try {
      const raw = (await core.readNamespacedSecret({ name: r.name, namespace })).data?.[r.key];
      if (!raw) {
        missing.push(`${r.name} has no key ${r.key}`);
        continue;
      }
      const value = Buffer.from(raw, 'base64').toString('utf8');
      if (envName === 'KEYCLOAK_CLIENT_ID') facts.clientId = value;
      else secretValues.push(value);
    } catch (e) {
      missing.push(`Secret ${r.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  add('Secrets hold the client id, client secret and session secret', missing.length === 0, missing.length ? missing.join('; ') : 'KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET, AUTH_SESSION_SECRET by secretKeyRef');
  const specText = JSON.stringify(podSpec) + JSON.stringify(running[0]?.spec ?? {});
  const leaked = secretValues.filter((v) => v.length >= 8 && specText.includes(v)).length;
  const literalEnv = podSpec.containers.flatMap((c) => (c.env ?? []).filter((e) => /SECRET|PASSWORD|TOKEN/.test(e.name) && e.value !== undefined).map((e) => `${c.name}/${e.name}`));
  add('no secret literal in the pod spec', leaked === 0 && literalEnv.length === 0, leaked || literalEnv.length ? `${leaked} secret value(s) found in the spec; literal env: ${literalEnv.join(', ') || 'none'}` : 'secrets only through secretKeyRef');
  // Public URL and issuer from the rendered app-config.
  const configMaps = (await core.listNamespacedConfigMap({ namespace, labelSelector: `app.kubernetes.io/instance=${release}` })).items;
  let appConfig: { app?: { baseUrl?: string }; backstageKeycloak?: { endSessionUrl?: string } } = {};
  try {
    appConfig = backstageAppConfig(configMaps, parseYaml);
  } catch {
    // reported by the check below (no public URL, no issuer)
  }
  facts.publicUrl = appConfig.app?.baseUrl;
  facts.issuerUrl = appConfig.backstageKeycloak?.endSessionUrl?.replace(/\/protocol\/openid-connect\/logout$/, '');
  add('app-config names the public URL and Keycloak', !!facts.publicUrl && !!facts.issuerUrl, `public ${facts.publicUrl ?? '?'}, issuer ${facts.issuerUrl ?? '?'}`);
  const podLabels = dep.spec!.template.metadata!.labels ?? {};
  const ours = (await net.listNamespacedNetworkPolicy({ namespace })).items.find(
    (p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'backstage-keycloak' && Object.entries(p.spec?.podSelector?.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v),
  );
  const ports = (ours?.spec?.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => String(p.port)));
  add("NetworkPolicy admits only Backstage's port", !!ours && ports.length > 0 && ports.every((p) => p === 'backend'), ours ? `${ours.metadata!.name}: ports ${ports.join(', ')}` : `no NetworkPolicy of this chart selects ${depName}'s pods`);
}

export interface HttpCheckOptions {
  /** Sign-in mode of the release (facts.mode); default oauth2Proxy. */
  mode?: string;
  publicUrl: string;
  clientId?: string;
  /** Keycloak authorization endpoint expected (login URL, or <issuer>/protocol/openid-connect/auth). */
  authorizeUrl?: string;
  user: string;
  password: string;
  /**
   * How long to keep trying while Backstage answers that the user has no catalog entity yet (the
   * catalog ingests Keycloak's users on a schedule; right after an install Keycloak may have come up
   * after Backstage's first ingestion). Default 180 s; 0 tries once.
   */
  userWaitMs?: number;
  log?: (line: string) => void;
}

/**
 * Connection-level failures (reset, refused, hang-up, timeout) right after a rollout: the node's
 * service and NetworkPolicy rules for a new pod are programmed a moment after it is Ready, so the
 * HTTP checks retry these for a bounded time; an HTTP answer, whatever it is, is final.
 */
const TRANSIENT = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|no answer within/;
const TRANSIENT_WAIT_MS = 60_000;

/** `fn` once it stops failing at the connection level (at most TRANSIENT_WAIT_MS), else its last error. */
async function afterTransients<T>(what: string, fn: () => Promise<T>, log?: (l: string) => void): Promise<T> {
  return poll(what, async () => {
    try {
      return await fn();
    } catch (e) {
      if (TRANSIENT.test((e as Error).message)) return notYet((e as Error).message);
      throw e;
    }
  }, { timeoutMs: TRANSIENT_WAIT_MS, intervalMs: 2000, onWait: (why, ms) => log?.(`${what}: retrying after a connection error (${Math.round(ms / 1000)}s): ${why.slice(0, 120)}`) });
}

/** The HTTP checks of `npm run verify`: anonymous redirect, then a real login. */
export async function verifyHttp(o: HttpCheckOptions): Promise<Check[]> {
  if (o.mode === 'oidc' || o.mode === 'oauth2') return verifyHttpNative(o, o.mode);
  const provider = o.mode === 'verifiedToken' ? 'oidcProxy' : 'oauth2Proxy';
  const checks: Check[] = [];
  const redirectUri = `${o.publicUrl}/oauth2/callback`;
  try {
    const r = await afterTransients('the anonymous request', () => anonymousRedirect(o.publicUrl), o.log);
    const endpointOk = !o.authorizeUrl || `${r.authorize.origin}${r.authorize.pathname}` === o.authorizeUrl;
    checks.push({
      name: 'anonymous request is redirected to Keycloak',
      ok: endpointOk && (!o.clientId || r.clientId === o.clientId) && r.redirectUri === redirectUri && r.codeChallengeMethod === 'S256',
      detail: `${r.authorize.origin}${r.authorize.pathname} client_id=${r.clientId} redirect_uri=${r.redirectUri} code_challenge_method=${r.codeChallengeMethod}`,
    });
  } catch (e) {
    checks.push({ name: 'anonymous request is redirected to Keycloak', ok: false, detail: (e as Error).message });
    return checks;
  }
  checks.push(
    await userLoginCheck(o, async () => {
      const { jar } = await loginThroughProxy(o.publicUrl, o.user, o.password);
      // The provider of the mode (verifiedToken's Backstage serves only oidcProxy).
      const res = await request(new URL(`/api/auth/${provider}/refresh`, o.publicUrl), { jar, headers: { 'x-requested-with': 'XMLHttpRequest' } });
      let body: { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } } } | undefined;
      try {
        body = JSON.parse(res.body);
      } catch {
        body = undefined;
      }
      const ref = body?.backstageIdentity?.identity.userEntityRef;
      return { ok: res.status === 200 && ref === `user:default/${o.user}`, detail: ref ? `${ref}, owns ${body!.backstageIdentity!.identity.ownershipEntityRefs.join(', ')}` : `HTTP ${res.status}: ${res.body.slice(0, 200)}` };
    }),
  );
  return checks;
}

/** The HTTP checks of a native-mode release: the sign-in start goes to Keycloak, then a real login. */
async function verifyHttpNative(o: HttpCheckOptions, provider: NativeProvider): Promise<Check[]> {
  const checks: Check[] = [];
  const redirectUri = `${o.publicUrl}/api/auth/${provider}/handler/frame`;
  try {
    const { authorize } = await afterTransients('the sign-in start', () => nativeStart(o.publicUrl, provider, new CookieJar()), o.log);
    const endpointOk = !o.authorizeUrl || `${authorize.origin}${authorize.pathname}` === o.authorizeUrl;
    const q = authorize.searchParams;
    checks.push({
      name: `the sign-in (${provider}) is redirected to Keycloak`,
      ok: endpointOk && (!o.clientId || q.get('client_id') === o.clientId) && q.get('redirect_uri') === redirectUri && q.get('code_challenge_method') === 'S256',
      detail: `${authorize.origin}${authorize.pathname} client_id=${q.get('client_id')} redirect_uri=${q.get('redirect_uri')} code_challenge_method=${q.get('code_challenge_method')}`,
    });
  } catch (e) {
    checks.push({ name: `the sign-in (${provider}) is redirected to Keycloak`, ok: false, detail: (e as Error).message });
    return checks;
  }
  checks.push(
    await userLoginCheck(o, async () => {
      const { response } = await loginNative(o.publicUrl, provider, o.user, o.password);
      const id = response.backstageIdentity?.identity;
      return { ok: id?.userEntityRef === `user:default/${o.user}`, detail: id ? `${id.userEntityRef}, owns ${id.ownershipEntityRefs.join(', ')}` : 'no identity' };
    }),
  );
  return checks;
}

/**
 * The check "login as <user> yields user:default/<user>": `attempt` signs in once. Only "no User
 * entity (yet)" (the catalog ingests Keycloak's users a while after a start) and connection-level
 * errors right after a rollout are worth waiting for; anything else is the answer.
 */
async function userLoginCheck(o: HttpCheckOptions, attempt: () => Promise<Omit<Check, 'name'>>): Promise<Check> {
  const name = `login as ${o.user} yields user:default/${o.user}`;
  let last: Check = { name, ok: false, detail: 'not tried' };
  try {
    await poll(`user:default/${o.user} in the catalog`, async () => {
      try {
        last = { name, ...(await attempt()) };
      } catch (e) {
        last = { name, ok: false, detail: (e as Error).message };
      }
      if (!last.ok && (/no User entity/.test(last.detail) || TRANSIENT.test(last.detail))) return notYet(last.detail);
      return true;
    }, { timeoutMs: o.userWaitMs ?? 180_000, intervalMs: 5000, onWait: (why, ms) => o.log?.(`waiting for the catalog to ingest ${o.user} from Keycloak (${Math.round(ms / 1000)}s): ${why.slice(0, 120)}`) });
  } catch (e) {
    if (last.detail === 'not tried') last = { name, ok: false, detail: (e as Error).message };
  }
  return last;
}

export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length), 10);
  return checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`).join('\n');
}
