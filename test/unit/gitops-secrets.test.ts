/**
 * Secrets that cannot drift (issue 19, item 2): a render that cannot read the cluster refuses to
 * generate a secret unless global.secrets.allowGenerated; a render that can (helm install,
 * helm-controller; here `helm template --dry-run=server` against a fake API server) generates once
 * and keeps what it stored; global.secretsVersion rolls the pods after an external rotation.
 */
import { NATIVE_MODE_VALUES } from '../../scripts/lib/chart/modes.ts';
import { describe, expect, it } from 'vitest';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { EXAMPLE_VALUES, render, renderError } from '../support/chart.ts';
import { clusterBasics, type ApiObject } from '../support/fake-apiserver.ts';
import { renderAgainstCluster } from '../support/gitops-engines.ts';
import { helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { chartDir } from '../support/chart.ts';

/** The example values without the opt-in and without the cookie secret: the chart must generate one. */
const GENERATE = ['global.secrets.allowGenerated=false', 'global.oauth2Proxy.cookieSecret=', 'backstage.postgresql.auth.existingSecret=pg'];
const NATIVE = ['global.secrets.allowGenerated=false', 'global.signIn.mode=oidc', 'backstage.postgresql.auth.existingSecret=pg'];

const ourSecret = (data: Record<string, string>): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  // As the previous release left it: owned by the release, so the install path may take it over.
  metadata: { name: 'backstage-oauth2-proxy', namespace: 'backstage', labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'backstage', 'meta.helm.sh/release-namespace': 'backstage' } },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

function secretValue(objects: { kind: string; metadata: { name: string } }[], key: string): string {
  const s = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'backstage-oauth2-proxy') as { data: Record<string, string> } | undefined;
  return Buffer.from(s?.data[key] ?? '', 'base64').toString();
}

describe('a render that cannot read the cluster does not generate secrets', () => {
  it('helm template refuses to generate the cookie secret, naming the value, an existing Secret and the opt-in', async () => {
    const err = await renderError({ set: GENERATE });
    expect(err).toContain('global.oauth2Proxy.cookieSecret is empty, so the cookie secret would be generated, but this render cannot read the cluster');
    expect(err).toContain('Set global.oauth2Proxy.cookieSecret, or name an existing Secret in global.oauth2Proxy.existingSecret');
    expect(err).toContain('global.secrets.allowGenerated=true');
  });

  it('Helm 3 refuses the same way', async () => {
    const res = await helmTemplate(await chartDir(), { valuesFiles: [EXAMPLE_VALUES], set: GENERATE, helmBin: await ensureTool('helm3') });
    expect(res.ok).toBe(false);
    expect(res.stderr).toContain('global.oauth2Proxy.cookieSecret is empty, so the cookie secret would be generated');
  });

  it('the native modes refuse to generate the session secret', async () => {
    const err = await renderError({ set: NATIVE });
    expect(err).toContain('global.signIn.session.secret is empty, so the session secret would be generated');
    expect(err).toContain('global.signIn.session.existingSecret');
  });

  it("the bundled PostgreSQL's passwords count too", async () => {
    const err = await renderError({ set: ['global.secrets.allowGenerated=false'] });
    expect(err).toContain('backstage.postgresql.auth.postgresPassword is empty');
    expect(err).toContain('backstage.postgresql.auth.password is empty');
    expect(err).toContain('backstage.postgresql.auth.existingSecret');
  });

  it('given values or existing Secrets need no opt-in', async () => {
    await expect(render({ set: ['global.secrets.allowGenerated=false', 'backstage.postgresql.auth.existingSecret=pg'] })).resolves.toBeTruthy();
    await expect(render({ set: [...NATIVE, 'global.signIn.session.existingSecret=session'] })).resolves.toBeTruthy();
  });

  it('global.secrets.allowGenerated=true renders, with a new value each time (what docs/gitops.md tells Argo CD to ignore)', async () => {
    const [a, b] = await Promise.all([render({ set: [...GENERATE, 'global.secrets.allowGenerated=true'] }), render({ set: [...GENERATE, 'global.secrets.allowGenerated=true'] })]);
    expect(secretValue(a.objects, 'cookie-secret')).toHaveLength(32);
    expect(secretValue(a.objects, 'cookie-secret')).not.toBe(secretValue(b.objects, 'cookie-secret'));
  });
});

describe('a render that reads the cluster generates once and keeps it', () => {
  it('first install into an existing namespace: generates, probing only the namespace (no cluster-scoped read)', async () => {
    for (const helmBin of [await ensureTool('helm'), await ensureTool('helm3')]) {
      const r = await renderAgainstCluster({ valuesFiles: [EXAMPLE_VALUES], set: GENERATE, clusterObjects: clusterBasics('backstage'), helmBin });
      expect(r.stderr, helmBin).toBe('');
      expect(secretValue(r.objects, 'cookie-secret')).toHaveLength(32);
      expect(r.requests).toContain('GET /api/v1/namespaces/backstage/configmaps/kube-root-ca.crt');
      expect(r.requests).not.toContain('GET /api/v1/namespaces/kube-system');
    }
  });

  it('first install with --create-namespace (the namespace does not exist yet): kube-system proves the cluster', async () => {
    const r = await renderAgainstCluster({ valuesFiles: [EXAMPLE_VALUES, NATIVE_MODE_VALUES], set: NATIVE, clusterObjects: clusterBasics('elsewhere').slice(0, 1) });
    expect(r.stderr).toBe('');
    expect(secretValue(r.objects, 'session-secret')).toHaveLength(32);
    expect(r.requests).toContain('GET /api/v1/namespaces/kube-system');
  });

  it('an upgrade reuses the stored value: two renders are byte-identical', async () => {
    const cluster = [...clusterBasics('backstage'), ourSecret({ 'cookie-secret': 'stored-cookie-secret-0123456789ab' })];
    const a = await renderAgainstCluster({ valuesFiles: [EXAMPLE_VALUES], set: GENERATE, clusterObjects: cluster });
    const b = await renderAgainstCluster({ valuesFiles: [EXAMPLE_VALUES], set: GENERATE, clusterObjects: cluster });
    expect(a.stderr).toBe('');
    expect(secretValue(a.objects, 'cookie-secret')).toBe('stored-cookie-secret-0123456789ab');
    expect(a.text).toBe(b.text);
  });

  it('an API that answers but has neither the namespace nor kube-system is not taken for a cluster', async () => {
    const r = await renderAgainstCluster({ valuesFiles: [EXAMPLE_VALUES], set: GENERATE, clusterObjects: [] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('this render cannot read the cluster');
  });
});

describe('global.secretsVersion', () => {
  const checksum = async (set: string[]): Promise<string> => (await render({ set })).deployment().spec!.template.metadata!.annotations!['checksum/oauth2-proxy-secret']!;

  it('changing it changes the pod template\'s secret checksum; changing nothing keeps it', async () => {
    const [none, empty, v1, v1again, v2] = await Promise.all([checksum([]), checksum(['global.secretsVersion=']), checksum(['global.secretsVersion=1']), checksum(['global.secretsVersion=1']), checksum(['global.secretsVersion=v2'])]);
    expect(empty).toBe(none);
    expect(v1).toBe(v1again);
    expect(v1).not.toBe(none);
    expect(v2).not.toBe(v1);
  });

  it('works with existing Secrets only (the GitOps values), where the render cannot see their data', async () => {
    const gitops = ['global.keycloak.existingSecret=kc', 'global.keycloak.clientSecret=', 'global.keycloak.clientId=', 'global.oauth2Proxy.existingSecret=cookie', 'global.oauth2Proxy.cookieSecret='];
    const [a, b] = await Promise.all([checksum(gitops), checksum([...gitops, 'global.secretsVersion=2026-12-rotation'])]);
    expect(a).not.toBe(b);
  });
});
