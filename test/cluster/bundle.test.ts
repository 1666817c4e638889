/**
 * The bundle on a real kind cluster, as a user runs it: `npm run up` (offline node image, images
 * built here and pushed to the local registry, the packaged chart installed from
 * oci://localhost:5001), `npm run verify`, then what a platform engineer checks by hand:
 *   - Chromium signs alice in through Keycloak's page on the kind port mapping (127.0.0.1) and
 *     Backstage shows user:default/alice owning group:default/admins (screenshot kept);
 *   - a wrong password gives no session; the anonymous redirect carries client id, PKCE, redirect URI;
 *   - the portal in the pod: the image's catalog content, TechDocs built by mkdocs inside the pod
 *     (read-only root), bob's catalog change refused and alice's (admins) allowed;
 *   - Backstage's own port on the pod IP refuses another pod; our NetworkPolicy is enforced;
 *   - behind nginx (an ingress stand-in forwarding client headers) with every sender trusted, no
 *     X-Forwarded-Uri / X-Original-URI / ... header gets a request past the login;
 *   - least privilege: no API token in the pod, the metrics port and postgres-dev closed to other
 *     pods, Backstage's egress reaches Keycloak but not the Kubernetes API; with metrics on, both
 *     metrics endpoints scraped from the allowed namespace and refused from another;
 *   - a no-op `helm upgrade` starts no rollout, a client-secret change exactly one, and so does a
 *     bump of global.secretsVersion (the rotation of an external Secret);
 *   - a killed oauth2-proxy container comes back by itself and alice's session survives;
 *     Keycloak down and back: sign-in works again without a human;
 *   - `helm test` passes.
 * Only 127.0.0.1 port mappings and the pods this test creates are contacted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { $ } from 'zx';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { CookieJar, request } from '../../scripts/lib/http.ts';
import { anonymousRedirect, backstageIdentity, LoginError, loginThroughProxy } from '../../scripts/lib/login/proxy.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { poll } from '../../scripts/lib/poll.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { launchBrowser, screenshot } from '../support/browser.ts';
import { startNginx, type NginxHandle } from '../support/nginx.ts';
import { clusterApi } from './kube.ts';
import { ProbePods } from './probe-pods.ts';

const { cluster, kc, core, apps } = clusterApi();

const NS = 'backstage';
const RELEASE = 'backstage';
const PUBLIC_URL = 'http://backstage.localhost:7007';
const KIND_VALUES = path.join(repoRoot, 'values', 'kind.yaml');
const { alice, bob } = DEV_USERS;
const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, FORCE_COLOR: '0' };
const node = process.execPath;
const script = (name: string): string[] => ['--disable-warning=ExperimentalWarning', path.join(repoRoot, 'scripts', `${name}.ts`)];
const log = (l: string): void => void process.stderr.write(`[bundle] ${l}\n`);

let helm = '';
let chartRef = '';
let upOutput = '';
const probes = new ProbePods(kc, cluster.name, `bk-probe-${Date.now().toString(36)}`, log);

function helmArgs(...args: string[]): string[] {
  return [...args, '--kube-context', cluster.context, '--kubeconfig', cluster.kubeconfigPath];
}

/** Names of the Backstage ReplicaSets of the release. */
async function replicaSets(): Promise<string[]> {
  const list = await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=backstage` });
  return list.items.map((r) => r.metadata!.name!).sort();
}

async function backstagePod(): Promise<k8s.V1Pod> {
  return poll('a Ready Backstage pod', async () => {
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=backstage` });
    return pods.items.find((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, { timeoutMs: 300_000, intervalMs: 2000 });
}

async function helmUpgrade(extra: string[]): Promise<void> {
  const r = await $({ env, nothrow: true, quiet: true })`${helm} ${helmArgs('upgrade', RELEASE, chartRef, '--plain-http', '-n', NS, '-f', KIND_VALUES, '--wait', '--timeout', '8m', ...extra)}`;
  expect(r.exitCode, r.stderr).toBe(0);
}

async function identityOf(jar: CookieJar): Promise<string | undefined> {
  const r = await backstageIdentity(PUBLIC_URL, jar);
  return r.status === 200 && typeof r.body === 'object' ? r.body.backstageIdentity?.identity.userEntityRef : undefined;
}

beforeAll(async () => {
  helm = await ensureTool('helm');
  // `npm run up` as a user runs it: it reuses the tier's cluster (same name), builds what is
  // missing, pushes the images and the packaged chart to localhost:5001, installs from there, verifies.
  const t0 = Date.now();
  // The tier's release (global setup: npm run release into localhost:5001): up verifies it with
  // cosign and installs the chart at its digest, the images it pins by digest.
  const release = inject('release');
  const up = await $({ cwd: repoRoot, env, nothrow: true, quiet: true, timeout: '20m' })`${node} ${script('up')} --skip-build --from-release ${release.manifest} --key ${release.publicKey}`;
  upOutput = `${up.stdout}\n${up.stderr}`;
  log(`npm run up exited ${up.exitCode} after ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  if (up.exitCode !== 0) throw new Error(`npm run up failed (exit ${up.exitCode}):\n${upOutput.slice(-6000)}`);
  const m = /installed (oci:\/\/\S+) version (\S+)/.exec(upOutput);
  if (!m) throw new Error(`npm run up did not say which chart it installed:\n${upOutput.slice(-3000)}`);
  chartRef = m[1]!;
  await probes.setup();
}, 1_500_000);

afterAll(async () => {
  await probes.teardown();
  // Frees NodePort 30080 for the cluster tier's other files; `npm run down` (global teardown) follows.
  if (helm) await $({ env, nothrow: true, quiet: true })`${helm} ${helmArgs('uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '3m')}`;
});

describe('npm run up and verify on the offline kind cluster', () => {
  it('up verified the release (chart and every image: signature and SBOM attestation), installed the chart at its digest, and verify passed', async () => {
    expect(chartRef).toMatch(/^oci:\/\/localhost:5001\/charts\/backstage-keycloak@sha256:[0-9a-f]{64}$/);
    expect(upOutput).toMatch(/ok {6}signature {8}localhost:5001\/charts\/backstage-keycloak@sha256:/);
    expect(upOutput.match(/^ {4}ok {6}SBOM attestation/gm)?.length).toBeGreaterThanOrEqual(6);
    // Every pod runs an image by digest (the chart the release pinned).
    const pods = (await core.listNamespacedPod({ namespace: NS })).items;
    for (const c of pods.flatMap((p) => [...p.spec!.containers, ...(p.spec!.initContainers ?? [])])) expect(c.image, c.name).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(upOutput).toMatch(/done in \d/);
    expect(upOutput).not.toMatch(/verify FAILED/);
    expect(upOutput).toContain(PUBLIC_URL);
  });

  it('npm run verify: every object check and the HTTP login pass', async () => {
    const r = await $({ cwd: repoRoot, env, nothrow: true, quiet: true })`${node} ${script('verify')} --context ${cluster.context}`;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/hardened securityContext/);
  });
});

describe('sign-in through the kind port mapping', () => {
  it('the anonymous redirect carries the client id, PKCE S256 and the redirect URI', async () => {
    const r = await anonymousRedirect(PUBLIC_URL);
    expect(r.authorize.origin).toBe('http://keycloak.localhost:8080');
    expect(r.authorize.pathname).toBe('/realms/backstage/protocol/openid-connect/auth');
    expect(r.clientId).toBe('backstage');
    expect(r.codeChallengeMethod).toBe('S256');
    expect(r.redirectUri).toBe(`${PUBLIC_URL}/oauth2/callback`);
  });

  it('alice signs in with Chromium and Backstage shows user:default/alice owning group:default/admins', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${PUBLIC_URL}/`);
      await page.waitForSelector('#username', { timeout: 60_000 });
      expect(new URL(page.url()).host).toBe('keycloak.localhost:8080');
      await page.fill('#username', alice.username);
      await page.fill('#password', alice.password);
      await page.click('#kc-login');
      await page.getByTestId('user-entity-ref').waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
      expect(await page.getByTestId('ownership').textContent()).toContain('group:default/admins');
      log(`screenshot: ${await screenshot(page, 'cluster-backstage-alice')}`);
    } finally {
      await browser.close();
    }
  });

  it('a wrong password gives no session', async () => {
    const jar = new CookieJar();
    await expect(loginThroughProxy(PUBLIC_URL, alice.username, 'not-her-password', jar)).rejects.toThrow(LoginError);
    expect(await identityOf(jar)).toBeUndefined();
  });
});

describe('the portal in the pod', () => {
  /** A signed-in user's proxy cookies and Backstage token, through the real login. */
  async function session(user: { username: string; password: string }): Promise<{ jar: CookieJar; headers: Record<string, string> }> {
    const { jar } = await loginThroughProxy(PUBLIC_URL, user.username, user.password);
    const id = await backstageIdentity(PUBLIC_URL, jar);
    const token = typeof id.body === 'object' ? id.body.backstageIdentity?.token : undefined;
    expect(token, `no Backstage token for ${user.username}: ${JSON.stringify(id.body).slice(0, 300)}`).toBeTruthy();
    return { jar, headers: { authorization: `Bearer ${token}` } };
  }

  it("TechDocs of the image's demo component are built by mkdocs in the pod (read-only root) and served", async () => {
    const { jar, headers } = await session(alice);
    const entity = await request(`${PUBLIC_URL}/api/catalog/entities/by-name/component/default/hello-service`, { jar, headers });
    expect(entity.status).toBe(200);
    // What the TechDocs page does on a first visit: the sync stream builds the site, then it is read.
    const sync = await request(`${PUBLIC_URL}/api/techdocs/sync/default/component/hello-service`, { jar, headers: { ...headers, accept: 'text/event-stream' }, timeoutMs: 240_000 });
    expect(sync.status, sync.body.slice(-2000)).toBe(200);
    expect(sync.body, sync.body.slice(-2000)).toMatch(/event: finish/);
    const page = await request(`${PUBLIC_URL}/api/techdocs/static/docs/default/component/hello-service/index.html`, { jar, headers });
    expect(page.status).toBe(200);
    expect(page.body).toContain('How it knows who you are');
  }, 300_000);

  it("bob (users) may read but not refresh an entity; alice (admins) may", async () => {
    const body = JSON.stringify({ entityRef: 'component:default/hello-service' });
    const refresh = async (who: { jar: CookieJar; headers: Record<string, string> }) =>
      request(`${PUBLIC_URL}/api/catalog/refresh`, { method: 'POST', jar: who.jar, headers: { ...who.headers, 'content-type': 'application/json' }, body });
    const b = await session(bob);
    expect((await request(`${PUBLIC_URL}/api/catalog/entities/by-name/component/default/hello-service`, { jar: b.jar, headers: b.headers })).status).toBe(200);
    const refused = await refresh(b);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.name).toBe('NotAllowedError');
    expect((await refresh(await session(alice))).status).toBe(200);
  }, 120_000);
});

describe('what the pod lets in', () => {
  it("another pod cannot reach Backstage's own port on the pod IP (it listens on loopback); the proxy port answers", async () => {
    const pod = await backstagePod();
    const ip = pod.status!.podIP!;
    const direct = await probes.run('direct-7007', ['get', `http://${ip}:7007/.backstage/health/v1/readiness`, '3s', '2']);
    expect(direct.ok).toBe(false);
    expect(direct.log).toMatch(/connection refused/);
    const proxied = await probes.run('proxy-4180', ['get', `http://${ip}:4180/ping`, '5s', '10']);
    expect(proxied.ok, proxied.log).toBe(true);
    // The health listener is for the kubelet (which probes from the node): the NetworkPolicy keeps
    // other pods off it, and the pod is Ready because the kubelet's probes reach it.
    const health = await probes.run('health-7008', ['get', `http://${ip}:7008/.backstage/health/v1/readiness`, '3s', '2']);
    expect(health.ok, health.log).toBe(false);
    expect(pod.spec!.containers.find((c) => c.name === 'backstage-backend')!.readinessProbe!.httpGet).toMatchObject({ port: 'health', path: '/.backstage/health/v1/readiness' });
  });

  it('our NetworkPolicy is enforced (kube-router): with networkPolicy.from set, an unlisted pod is cut off and a listed one gets in', async () => {
    await helmUpgrade(['--set', 'networkPolicy.from[0].podSelector.matchLabels.bk-allowed=yes', '--set', `networkPolicy.from[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=${probes.namespace}`]);
    try {
      const ip = (await backstagePod()).status!.podIP!;
      const allowed = await probes.run('np-allowed', ['get', `http://${ip}:4180/ping`, '3s', '15'], { 'bk-allowed': 'yes' });
      expect(allowed.ok, allowed.log).toBe(true);
      const denied = await probes.run('np-denied', ['get', `http://${ip}:4180/ping`, '3s', '3']);
      expect(denied.ok, denied.log).toBe(false);
      expect(denied.log).toMatch(/timeout|deadline|i\/o timeout|refused/i);
    } finally {
      await helmUpgrade([]);
    }
  });
});

describe('an ingress in front that forwards client headers (nginx, ingress defaults), every sender trusted', () => {
  // The worst case of global.oauth2Proxy.trustedProxyIPs: every address is trusted, so oauth2-proxy
  // runs with --reverse-proxy and believes X-Forwarded-* from whoever sends them.
  const PATH_HEADERS = ['X-Forwarded-Uri', 'X-Original-URI', 'X-Original-URL', 'X-Forwarded-Prefix', 'X-Rewrite-URL'];
  const FREE = ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness', '/ping'];
  let nginx: NginxHandle | undefined;
  const GATEWAY = [502, 503, 504];

  /**
   * One request through nginx. A gateway error is nginx's own answer (it could not reach the proxy,
   * e.g. a connection to a pod that is going away): asked again, a few times, until the proxy
   * answers; the proxy's answer is returned, or the last gateway error.
   */
  async function viaIngress(target: string, opts: { method?: string; headers?: Record<string, string> } = {}) {
    let r = await request(`${nginx!.url}${target}`, opts);
    for (let i = 0; i < 10 && GATEWAY.includes(r.status); i++) {
      await new Promise((res) => setTimeout(res, 500));
      r = await request(`${nginx!.url}${target}`, opts);
    }
    return r;
  }

  beforeAll(async () => {
    await helmUpgrade(['--set', 'global.oauth2Proxy.trustedProxyIPs[0]=0.0.0.0/0']);
    // The rollout settled: the old pod gone (a pod being deleted can still get connections), then
    // ten answers from the proxy in a row through nginx.
    await poll('one Backstage pod left after the rollout', async () => {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=backstage` });
      return pods.items.length === 1 && !pods.items[0]!.metadata?.deletionTimestamp ? true : undefined;
    }, { timeoutMs: 300_000, intervalMs: 2000 });
    await backstagePod();
    nginx = await startNginx({ upstream: 'http://127.0.0.1:7007', host: 'backstage.localhost:7007' });
    let inRow = 0;
    await poll('ten proxy answers in a row through nginx', async () => {
      const r = await request(`${nginx!.url}/`);
      inRow = r.status === 302 ? inRow + 1 : 0;
      return inRow >= 10 ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200 });
  }, 900_000);

  afterAll(async () => {
    await nginx?.stop();
    await helmUpgrade([]);
    await backstagePod();
  }, 900_000);

  it('the ingress works: an anonymous page is sent to Keycloak, an anonymous API call gets 401', async () => {
    const page = await viaIngress('/');
    expect(page.status).toBe(302);
    expect(new URL(page.headers.location!).pathname).toBe('/realms/backstage/protocol/openid-connect/auth');
    expect((await viaIngress('/api/catalog/entities')).status).toBe(401);
  });

  it('no path header, login-free path, target or method reaches Backstage without a session (the X-Forwarded-Uri bypass, end to end)', async () => {
    const leaked: string[] = [];
    const unanswered: string[] = [];
    let sent = 0;
    for (const header of PATH_HEADERS) {
      for (const free of FREE) {
        for (const target of ['/', '/api/catalog/entities', '/catalog', '/.backstage/health/v1/readiness']) {
          for (const method of ['GET', 'POST']) {
            const r = await viaIngress(target, { method, headers: { [header]: free, 'x-forwarded-preferred-username': 'alice', 'x-requested-with': 'XMLHttpRequest' } });
            sent++;
            const what = `${method} ${target} ${header}: ${free} -> ${r.status}`;
            if (GATEWAY.includes(r.status)) unanswered.push(what);
            else if (![302, 401, 403].includes(r.status) || /"status"\s*:\s*"ok"|"items"|backstageIdentity/.test(r.body)) leaked.push(what);
          }
        }
      }
    }
    log(`ingress bypass attempts through nginx: ${sent} sent, ${leaked.length} reached Backstage, ${unanswered.length} never got an answer from the proxy`);
    expect(leaked).toEqual([]);
    // Every attempt was answered by the proxy (with the login), none only by nginx.
    expect(unanswered).toEqual([]);
    const lines = (await nginx!.accessLog()).split('\n').filter((l) => / (302|401|403) /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(sent);
  });
});

/** A TCP connection from the Backstage container (node's net module): 'connected', 'timeout' or 'error <code>'. */
function connectFromBackstage(pod: k8s.V1Pod, host: string, port: number): string {
  const js = "const s=require('net').connect({host:process.argv[1],port:+process.argv[2],timeout:4000});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(0)});s.on('error',(e)=>{console.log('error '+e.code);process.exit(0)})";
  const r = spawnSync('docker', ['exec', cluster.nodeContainer, 'kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'exec', '-n', NS, pod.metadata!.name!, '-c', 'backstage-backend', '--', 'node', '-e', js, host, String(port)], { encoding: 'utf8', timeout: 30_000 });
  return `${r.stdout}`.trim() || `no answer: ${r.stderr}`;
}

/**
 * A TCP connection from the kind node that runs `pod` (host network: kube-router lets a pod's own
 * node in, as the kubelet's probes need): true when it opens, whatever is answered on it. The
 * control that makes "refused from a pod" mean "refused by the NetworkPolicy", not "nothing
 * listens". (In kind a node's name is its container's.)
 */
function opensFromNode(pod: k8s.V1Pod | undefined, url: string): boolean {
  const r = spawnSync('docker', ['exec', pod?.spec?.nodeName ?? cluster.nodeContainer, 'curl', '-sk', '-o', '/dev/null', '--max-time', '5', url], { encoding: 'utf8', timeout: 30_000 });
  // 0: an answer; 52: empty reply; 56: reset after connecting (PostgreSQL closes on HTTP). 7: refused, 28: timeout.
  return [0, 52, 56].includes(r.status ?? -1);
}

/** kube-router rejects what a policy does not admit: the client sees a refusal or, with a drop, a timeout. */
const DENIED = /refused|timeout|deadline/i;

describe('least privilege (issue 17), enforced by kube-router', () => {
  it('the pod has no Kubernetes API token', async () => {
    const pod = await backstagePod();
    expect((pod.spec!.volumes ?? []).map((v) => v.name).filter((n) => n.startsWith('kube-api-access'))).toEqual([]);
    expect(pod.spec!.serviceAccountName).toBe(`${RELEASE}`);
  });

  it("the proxy's metrics port is closed to other pods (networkPolicy.metricsFrom empty)", async () => {
    const pod = await backstagePod();
    const ip = pod.status!.podIP!;
    expect(opensFromNode(pod, `http://${ip}:44180/metrics`), 'oauth2-proxy serves metrics on the pod address').toBe(true);
    const metrics = await probes.run('np-metrics', ['get', `http://${ip}:44180/metrics`, '3s', '3']);
    expect(metrics.ok, metrics.log).toBe(false);
    expect(metrics.log).toMatch(DENIED);
  });

  it('with global.metrics.enabled, both metrics endpoints are scraped from the namespace networkPolicy.metricsFrom names, and refused from another (issue 19)', async () => {
    const other = new ProbePods(kc, cluster.name, `bk-probe-other-${Date.now().toString(36)}`, log);
    await other.setup();
    try {
      const from = JSON.stringify([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': probes.namespace } } }]);
      await helmUpgrade(['--set', 'global.metrics.enabled=true', '--set-json', `networkPolicy.metricsFrom=${from}`]);
      await backstagePod();
      const svc = `http://${RELEASE}-metrics.${NS}.svc.cluster.local`;
      const proxy = await probes.run('scrape-proxy', ['get', `${svc}:44180/metrics`, '5s', '20']);
      expect(proxy.ok, proxy.log).toBe(true);
      expect(proxy.log).toMatch(/^oauth2_proxy_\w+/m);
      const backstage = await probes.run('scrape-backstage', ['get', `${svc}:9464/metrics`, '5s', '20']);
      expect(backstage.ok, backstage.log).toBe(true);
      expect(backstage.log).toMatch(/^(catalog_entities_count|http_server_request_duration_count|target_info)\b/m);
      for (const port of [44180, 9464]) {
        const denied = await other.run(`scrape-${port}`, ['get', `${svc}:${port}/metrics`, '3s', '2']);
        expect(denied.ok, denied.log).toBe(false);
        expect(denied.log).toMatch(DENIED);
      }
    } finally {
      await other.teardown();
      await helmUpgrade([]);
      await backstagePod();
    }
  }, 600_000);

  it('postgres-dev admits only the Backstage pods (Backstage is Ready on it; another pod is refused)', async () => {
    await backstagePod();
    const pg = (await core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/name=postgres-dev,app.kubernetes.io/instance=${RELEASE}` })).items.find((p) => p.status?.podIP)!;
    // Without the policy the connection opens and PostgreSQL closes it on the HTTP request (EOF/malformed answer).
    expect(opensFromNode(pg, `http://${pg.status!.podIP!}:5432/`), 'PostgreSQL listens on the pod address').toBe(true);
    const db = await probes.run('np-postgres', ['get', `http://${pg.status!.podIP!}:5432/`, '3s', '2']);
    expect(db.ok, db.log).toBe(false);
    expect(db.log).toMatch(DENIED);
  });

  it('egress: Backstage reaches the dev Keycloak (by name: DNS works) but not the Kubernetes API', async () => {
    const pod = await backstagePod();
    expect(connectFromBackstage(pod, `${RELEASE}-keycloak-dev`, 8080)).toBe('connected');
    const api = (await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' })).spec!.clusterIP!;
    expect(opensFromNode(undefined, `https://${api}:443/`), 'the API answers on its Service address').toBe(true);
    expect(connectFromBackstage(pod, api, 443)).toMatch(/^(timeout|error ECONNREFUSED)$/);
  });
});

describe('upgrades and failures', () => {
  it('a no-op helm upgrade starts no rollout; a client-secret change rolls exactly once', async () => {
    const before = await replicaSets();
    await helmUpgrade([]);
    expect(await replicaSets()).toEqual(before);
    await helmUpgrade(['--set', 'global.keycloak.clientSecret=dev-only-rotated-secret']);
    const after = await replicaSets();
    expect(after.filter((n) => !before.includes(n))).toHaveLength(1);
    // Back to the realm's secret (one more rollout), so the sign-in works for the tests that follow.
    await helmUpgrade([]);
    await backstagePod();
  });

  it('an external Secret rotated: bumping global.secretsVersion rolls the pods exactly once, the same value again not at all (issue 19)', async () => {
    const before = await replicaSets();
    await helmUpgrade(['--set', 'global.secretsVersion=2026-12-07']);
    const after = await replicaSets();
    expect(after.filter((n) => !before.includes(n))).toHaveLength(1);
    await helmUpgrade(['--set', 'global.secretsVersion=2026-12-07']);
    expect(await replicaSets()).toEqual(after);
    await backstagePod();
  });

  it("a killed oauth2-proxy container is restarted by the kubelet and alice's session survives", async () => {
    // Right after the previous test's rollout the NodePort may still lead to the old pod for a moment.
    const { jar } = await poll('a sign-in through the rolled-out pod', () => loginThroughProxy(PUBLIC_URL, alice.username, alice.password), { timeoutMs: 120_000, intervalMs: 3000 });
    expect(await identityOf(jar)).toBe('user:default/alice');
    const pod = await backstagePod();
    const restarts = pod.status!.containerStatuses!.find((c) => c.name === 'oauth2-proxy')!.restartCount;
    const node = pod.spec!.nodeName!;
    const id = execFileSync('docker', ['exec', node, 'crictl', 'ps', '--name', '^oauth2-proxy$', '--label', `io.kubernetes.pod.name=${pod.metadata!.name}`, '-q']).toString().trim();
    expect(id).toMatch(/^[a-f0-9]+$/);
    execFileSync('docker', ['exec', node, 'crictl', 'stop', '--timeout', '0', id]);
    await poll('oauth2-proxy to be restarted and Ready', async () => {
      const p = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace: NS });
      const s = p.status?.containerStatuses?.find((c) => c.name === 'oauth2-proxy');
      return s && s.restartCount > restarts && s.ready ? true : undefined;
    }, { timeoutMs: 180_000, intervalMs: 2000 });
    expect(await poll('alice through the restarted proxy', () => identityOf(jar), { timeoutMs: 60_000, intervalMs: 2000 })).toBe('user:default/alice');
  });

  it('Keycloak down and back: sign-in fails while it is down and works again without a human', async () => {
    const scale = (replicas: number) => apps.patchNamespacedDeploymentScale({ name: `${RELEASE}-keycloak-dev`, namespace: NS, body: { spec: { replicas } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await scale(0);
    await poll('Keycloak pods gone', async () => ((await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/name=keycloak-dev' })).items.length === 0 ? true : undefined), { timeoutMs: 120_000 });
    await expect(loginThroughProxy(PUBLIC_URL, alice.username, alice.password)).rejects.toThrow();
    await scale(1);
    const ok = await poll('a sign-in after Keycloak is back', async () => {
      const { jar } = await loginThroughProxy(PUBLIC_URL, alice.username, alice.password);
      return identityOf(jar);
    }, { timeoutMs: 420_000, intervalMs: 5000 });
    expect(ok).toBe('user:default/alice');
  });

  it('helm test passes', async () => {
    const r = await $({ env, nothrow: true, quiet: true })`${helm} ${helmArgs('test', RELEASE, '-n', NS, '--logs', '--timeout', '5m')}`;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Phase:\s+Succeeded/);
  });
});
