/**
 * The chart against a real Kubernetes API server (etcd, kube-apiserver, controller-manager,
 * scheduler, kwok node; see test/support/control-plane.ts): install --wait, verify's object checks,
 * upgrades, a rollback, uninstall, and the API server's strict validation of every object.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { modeValues, type SignInMode } from '../../scripts/lib/chart/modes.ts';
import { selector, waitFor } from '../../scripts/lib/kube/client.ts';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { formatChecks, verifyObjects } from '../../scripts/lib/kube/verify.ts';
import { chartDir, EXAMPLE_VALUES } from '../support/chart.ts';
import { controlPlaneHelm, type ControlPlaneHelm } from '../support/control-plane-helm.ts';

const NS = 'bk-api';
const RELEASE = 'backstage';
// No storage provisioner in this cluster: the bundled database runs on an emptyDir here.
const BASE_SET = ['backstage.postgresql.primary.persistence.enabled=false'];

/** Paths of `sent` whose value is absent or different in `stored` (the server may add, never drop). */
function missingPaths(sent: unknown, stored: unknown, at = ''): string[] {
  if (sent === null || typeof sent !== 'object') return String(sent) === String(stored) ? [] : [`${at} (${JSON.stringify(sent)} -> ${JSON.stringify(stored)})`];
  if (stored === null || typeof stored !== 'object') return [at || '/'];
  if (Array.isArray(sent)) return sent.flatMap((v, i) => missingPaths(v, (stored as unknown[])[i], `${at}[${i}]`));
  // The client library camel-cases known fields and passes unknown ones through, so compare as JSON;
  // a field named like a JavaScript keyword comes back with a leading underscore (NetworkPolicy's
  // `from` is `_from` in the typed model).
  const s = stored as Record<string, unknown>;
  return Object.entries(sent as Record<string, unknown>).flatMap(([k, v]) => missingPaths(v, s[k] ?? s[`_${k}`], `${at}.${k}`));
}

/**
 * The object with JavaScript-keyword fields under their model names: the client library serialises
 * by its typed models, which call NetworkPolicy's `from` `_from`, so a plain object's `from` would be
 * dropped before the request left (the server never saw it).
 */
function asModel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asModel);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k === 'from' ? '_from' : k, asModel(x)]));
}

let kc: k8s.KubeConfig;
let kubeconfigPath: string;
let helm: string;
let helmRun: ControlPlaneHelm['helm'];

async function install(cmd: 'install' | 'upgrade', set: string[] = []): Promise<void> {
  const args = [cmd, RELEASE, await chartDir(), '--namespace', NS, '--values', EXAMPLE_VALUES, '--wait', '--timeout', '180s'];
  if (cmd === 'install') args.push('--create-namespace');
  for (const s of [...BASE_SET, ...set]) args.push('--set', s);
  await helmRun(args);
}

function apps(): k8s.AppsV1Api {
  return kc.makeApiClient(k8s.AppsV1Api);
}

async function replicaSets(): Promise<string[]> {
  const rs = await apps().listNamespacedReplicaSet({ namespace: NS, labelSelector: selector({ 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'backstage' }) });
  return rs.items.map((r) => r.metadata!.name!).sort();
}

beforeAll(async () => {
  ({ kc, kubeconfigPath, helmBin: helm, helm: helmRun } = await controlPlaneHelm());
});

afterAll(async () => {
  await $({ quiet: true, nothrow: true })`${helm} uninstall ${RELEASE} --namespace ${NS} --kubeconfig ${kubeconfigPath}`;
});

describe('on a real API server', () => {
  it.each([
    ['example', EXAMPLE_VALUES, []],
    ['kind (with the dev Keycloak subchart)', path.join(repoRoot, 'values', 'kind.yaml'), []],
    ['GitOps', path.join(repoRoot, 'values', 'gitops-example.yaml'), []],
    ['example, sign-in mode verifiedToken', EXAMPLE_VALUES, [], 'verifiedToken'],
    ['example, sign-in mode oidc', EXAMPLE_VALUES, [], 'oidc'],
    ['example, sign-in mode oauth2', EXAMPLE_VALUES, [], 'oauth2'],
    ['GitOps, sign-in mode oidc', path.join(repoRoot, 'values', 'gitops-example.yaml'), ['global.signIn.session.existingSecret=backstage-session'], 'oidc'],
  ] as const)('the API server accepts every object rendered from the %s values and keeps every field of it (server-side dry run)', async (_name, valuesFile, set, mode?: SignInMode) => {
    const res = await helmTemplate(await chartDir(), { valuesFiles: [valuesFile], mode, set: [...BASE_SET, ...set], namespace: 'default', release: RELEASE });
    expect(res.ok, res.stderr).toBe(true);
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    // Pods are admitted only once the controller-manager has made the namespace's default ServiceAccount.
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await waitFor('the default ServiceAccount', async () => ((await core.listNamespacedServiceAccount({ namespace: 'default' })).items.some((a) => a.metadata!.name === 'default') ? true : 'not yet'), { timeoutMs: 60_000 });
    const rejected: string[] = [];
    const dropped: string[] = [];
    for (const o of res.objects) {
      try {
        const stored = await api.create(asModel({ ...o, metadata: { ...o.metadata, namespace: 'default' } }) as k8s.KubernetesObject, undefined, 'All');
        // A field the server does not know is dropped from what it would store: compare.
        for (const p of missingPaths(o, stored)) dropped.push(`${o.kind}/${o.metadata.name}: ${p}`);
      } catch (e) {
        const body = (e as { body?: unknown }).body;
        rejected.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message.split('\n')[0]} ${typeof body === 'string' ? body : JSON.stringify(body ?? '')}`.slice(0, 600));
      }
    }
    expect(rejected).toEqual([]);
    expect(dropped).toEqual([]);
    expect(res.objects.length).toBeGreaterThan(6);
  });

  it('helm install --wait succeeds and every object check of `npm run verify` passes', async () => {
    await install('install');
    const { checks } = await verifyObjects(kc, { namespace: NS, release: RELEASE });
    expect(checks.filter((c) => !c.ok), formatChecks(checks)).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(9);
  });

  it('`npm run verify` prints its table and exits 0 on the installed release; it refuses a non-kind context without --yes', async () => {
    const run = (args: string[], namespace = NS) => $({ cwd: repoRoot, quiet: true, nothrow: true })`${process.execPath} --disable-warning=ExperimentalWarning scripts/verify.ts --kubeconfig ${kubeconfigPath} --namespace ${namespace} --release ${RELEASE} --api-only ${args}`;
    const ok = await run(['--yes']);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^PASS {2}Service targets the proxy port/m);
    expect(ok.stdout).toMatch(/^PASS {2}no secret literal in the pod spec/m);
    expect(ok.stdout).not.toMatch(/^FAIL/m);
    expect(ok.stdout).toMatch(/(\d+)\/\1 checks passed/);
    const refused = await run([]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/refusing to verify on context ".*", which is not a kind cluster\. Re-run with --yes/);
    const wrongNs = await run(['--yes'], 'nowhere');
    expect(wrongNs.exitCode).toBe(1);
    expect(wrongNs.stdout).toMatch(/^FAIL {2}Backstage Deployment exists .*is the release "backstage" installed there\?/m);
  });

  it('an upgrade with unchanged values creates no new ReplicaSet', async () => {
    const before = await replicaSets();
    expect(before).toHaveLength(1);
    await install('upgrade');
    expect(await replicaSets()).toEqual(before);
  });

  it('changing the client secret rolls the Deployment out exactly once', async () => {
    const before = await replicaSets();
    await install('upgrade', ['global.keycloak.clientSecret=rotated-client-secret']);
    const after = await replicaSets();
    expect(after).toHaveLength(before.length + 1);
    await install('upgrade', ['global.keycloak.clientSecret=rotated-client-secret']);
    expect(await replicaSets()).toEqual(after);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: `${RELEASE}-oauth2-proxy`, namespace: NS });
    expect(Buffer.from(secret.data!['client-secret']!, 'base64').toString()).toBe('rotated-client-secret');
  });

  it('a generated cookie secret is made once and kept across upgrades (looked up, not regenerated)', async () => {
    const ns = 'bk-api-generated';
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const args = (cmd: string) => [cmd, 'gen', await0, '--namespace', ns, '--values', EXAMPLE_VALUES, '--set', 'global.oauth2Proxy.cookieSecret=', '--set', BASE_SET[0]!, '--wait', '--timeout', '180s'];
    const await0 = await chartDir();
    await helmRun([...args('install'), '--create-namespace']);
    const read = async () => Buffer.from((await core.readNamespacedSecret({ name: 'gen-oauth2-proxy', namespace: ns })).data!['cookie-secret']!, 'base64').toString();
    const first = await read();
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);
    const rs = await apps().listNamespacedReplicaSet({ namespace: ns });
    await helmRun(args('upgrade'));
    expect(await read()).toBe(first);
    // The first upgrade after install does not roll the pod either (the checksum covers inputs).
    expect((await apps().listNamespacedReplicaSet({ namespace: ns })).items.map((r) => r.metadata!.name).sort()).toEqual(rs.items.map((r) => r.metadata!.name).sort());
    await helmRun(['uninstall', 'gen', '--namespace', ns, '--wait']);
  });

  it('helm upgrade with the mode and its values file swaps the sidecar out and back, the mode alone is refused before anything changes, NOTES say what to change in Keycloak, and the generated session secret is kept', async () => {
    const ns = 'bk-api-modes';
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const dir = await chartDir();
    const helmMode = (cmd: string, mode: SignInMode, files: string[]) =>
      $({ quiet: true, nothrow: true })`${helm} ${cmd} modes ${dir} --namespace ${ns} --values ${EXAMPLE_VALUES} ${files.flatMap((f) => ['--values', f])} --set ${BASE_SET[0]!} --set global.signIn.mode=${mode} --wait --timeout 180s --kubeconfig ${kubeconfigPath} ${cmd === 'install' ? ['--create-namespace'] : []}`;
    // As the docs say: the mode, and for the native modes values/modes/native.yaml with it.
    const run = async (cmd: string, mode: SignInMode) => {
      const out = await helmMode(cmd, mode, modeValues(mode).valuesFiles);
      if (!out.ok) throw new Error(`helm ${cmd} (${mode}) failed:\n${out.stderr}`);
      return out.stdout;
    };
    const containers = async () => (await apps().readNamespacedDeployment({ name: 'modes-backstage', namespace: ns })).spec!.template.spec!.containers.map((c) => c.name);
    const target = async () => (await core.readNamespacedService({ name: 'modes-backstage', namespace: ns })).spec!.ports![0]!.targetPort;
    const secret = async () => (await core.readNamespacedSecret({ name: 'modes-oauth2-proxy', namespace: ns })).data ?? {};
    const verifyAll = async () => (await verifyObjects(kc, { namespace: ns, release: 'modes' })).checks;

    expect(await run('install', 'oauth2Proxy')).not.toContain('SIGN-IN MODE CHANGES');
    expect(await containers()).toEqual(['backstage-backend', 'oauth2-proxy']);

    // The mode alone: refused at render, naming the two values and the file; the release is untouched.
    const alone = await helmMode('upgrade', 'oidc', []);
    expect(alone.ok).toBe(false);
    expect(alone.stderr).toMatch(/global\.signIn\.mode=oidc runs no oauth2-proxy sidecar, .*apply values\/modes\/native\.yaml \(backstage\.backstage\.extraContainers: \[\] and backstage\.service\.ports\.targetPort: backend\)/);
    expect(await containers()).toEqual(['backstage-backend', 'oauth2-proxy']);

    const toOidc = await run('upgrade', 'oidc');
    expect(toOidc).toContain('SIGN-IN MODE CHANGES from oauth2Proxy to oidc');
    expect(toOidc).toContain('https://backstage.example.com/api/auth/oidc/handler/frame');
    expect(toOidc).toMatch(/remove https:\/\/backstage\.example\.com\/oauth2\/callback once the rollout is done/);
    expect(await containers()).toEqual(['backstage-backend']);
    expect(await target()).toBe('backend');
    const checks = await verifyAll();
    expect(checks.filter((c) => !c.ok), formatChecks(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toContain("Service targets Backstage's port");
    const session = (await secret())['session-secret'];
    expect(Buffer.from(session!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await secret())['cookie-secret']).toBeUndefined();
    expect((await core.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata!.name)).not.toContain('modes-oauth2-proxy');

    const rs = (await apps().listNamespacedReplicaSet({ namespace: ns })).items.map((r) => r.metadata!.name).sort();
    expect(await run('upgrade', 'oidc')).not.toContain('SIGN-IN MODE CHANGES');
    expect((await secret())['session-secret']).toBe(session);
    expect((await apps().listNamespacedReplicaSet({ namespace: ns })).items.map((r) => r.metadata!.name).sort()).toEqual(rs);

    const toOauth2 = await run('upgrade', 'oauth2');
    expect(toOauth2).toContain('SIGN-IN MODE CHANGES from oidc to oauth2');
    expect((await secret())['session-secret']).toBe(session);

    const back = await run('upgrade', 'oauth2Proxy');
    expect(back).toContain('SIGN-IN MODE CHANGES from oauth2 to oauth2Proxy');
    expect(await containers()).toEqual(['backstage-backend', 'oauth2-proxy']);
    expect(await target()).toBe('oauth2-proxy');
    const proxyChecks = await verifyAll();
    expect(proxyChecks.filter((c) => !c.ok), formatChecks(proxyChecks)).toEqual([]);
    await helmRun(['uninstall', 'modes', '--namespace', ns, '--wait']);
  });

  it('helm rollback returns to the first revision', async () => {
    await helmRun(['rollback', RELEASE, '1', '--namespace', NS, '--wait', '--timeout', '180s']);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: `${RELEASE}-oauth2-proxy`, namespace: NS });
    expect(Buffer.from(secret.data!['client-secret']!, 'base64').toString()).toBe('example-client-secret-NOT-REAL');
    const { checks } = await verifyObjects(kc, { namespace: NS, release: RELEASE });
    expect(checks.filter((c) => !c.ok), formatChecks(checks)).toEqual([]);
  });

  it('uninstall leaves no object of the release behind', async () => {
    await helmRun(['uninstall', RELEASE, '--namespace', NS, '--wait']);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    const sel = { labelSelector: `app.kubernetes.io/instance=${RELEASE}`, namespace: NS };
    const left = [
      ...(await apps.listNamespacedDeployment(sel)).items.map((o) => `Deployment/${o.metadata!.name}`),
      ...(await apps.listNamespacedStatefulSet(sel)).items.map((o) => `StatefulSet/${o.metadata!.name}`),
      ...(await core.listNamespacedService(sel)).items.map((o) => `Service/${o.metadata!.name}`),
      ...(await core.listNamespacedConfigMap(sel)).items.map((o) => `ConfigMap/${o.metadata!.name}`),
      ...(await net.listNamespacedNetworkPolicy(sel)).items.map((o) => `NetworkPolicy/${o.metadata!.name}`),
      ...(await core.listNamespacedPersistentVolumeClaim(sel)).items.map((o) => `PVC/${o.metadata!.name}`),
      // Secrets: ours, the database's, and Helm's own release records.
      ...(await core.listNamespacedSecret({ namespace: NS })).items.filter((s) => s.type !== 'kubernetes.io/service-account-token').map((o) => `Secret/${o.metadata!.name}`),
      ...(await core.listNamespacedConfigMap({ namespace: NS })).items.filter((c) => c.metadata!.name !== 'kube-root-ca.crt').map((o) => `ConfigMap/${o.metadata!.name}`),
    ];
    expect(left).toEqual([]);
  });
});
