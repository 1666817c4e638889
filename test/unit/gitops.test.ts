import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { envOf, render } from '../support/chart.ts';
import { clusterBasics } from '../support/fake-apiserver.ts';
import { argoCdRender, fluxRender, readObjects, renderExample, type EngineRender } from '../support/gitops-engines.ts';

const GITOPS = path.join(repoRoot, 'values', 'gitops-example.yaml');
const KIND = path.join(repoRoot, 'values', 'kind.yaml');
const EXAMPLES = readdirSync(path.join(repoRoot, 'examples')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `examples/${f}`);
const MODES = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'] as const;
/** What switching to a native mode adds to the GitOps values (values/gitops-example.yaml says so). */
const modeValues = (mode: string): Record<string, unknown> => ({ global: { signIn: { mode, ...(mode === 'oidc' || mode === 'oauth2' ? { session: { existingSecret: 'backstage-session' } } : {}) } } });

async function docs(file: string): Promise<Record<string, any>[]> {
  return parseAllDocuments(await readFile(path.join(repoRoot, file), 'utf8')).map((d) => d.toJS());
}

const names = (objs: { kind: string; metadata: { name: string } }[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`);

describe('GitOps', () => {
  it('the GitOps values render byte-identically every time, with no Secret of ours and only existing Secrets referenced', async () => {
    const a = await render({ noExample: true, valuesFiles: [GITOPS] });
    const b = await render({ noExample: true, valuesFiles: [GITOPS] });
    expect(a.text).toBe(b.text);
    expect(a.all('Secret')).toEqual([]);
    const refs = envOf(a.sidecar()).secretRefs;
    expect(refs.OAUTH2_PROXY_CLIENT_SECRET).toEqual({ name: 'backstage-keycloak-client', key: 'client-secret' });
    expect(refs.OAUTH2_PROXY_COOKIE_SECRET).toEqual({ name: 'backstage-oauth2-proxy-cookie', key: 'cookie-secret' });
    expect(envOf(a.backstage()).secretRefs.POSTGRES_PASSWORD).toEqual({ name: 'backstage-postgresql', key: 'password' });
  });

  it('every file under examples/ is an Argo CD Application or a Flux GitRepository + HelmRelease of this repository', async () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(2);
    for (const file of EXAMPLES) {
      const kinds = (await readObjects(file)).map((d) => d.kind);
      expect(kinds.includes('Application') || kinds.includes('HelmRelease'), file).toBe(true);
    }
    const [app] = await docs('examples/argocd-application.yaml');
    expect(app!.spec.source.targetRevision).not.toMatch(/^(HEAD|main|master)$/);
    const [repo] = await docs('examples/flux-helmrelease.yaml');
    expect(repo!.spec.ref.tag).toBeTruthy();
  });

  describe.each(EXAMPLES)('%s, rendered as its engine does', (file) => {
    it.each(MODES)('sign-in mode %s: renders (schema included), twice byte-identical, existing Secrets only', async (mode) => {
      // A native mode adds its values file to the engine's list, as docs/gitops.md shows.
      const valuesFiles = mode === 'oidc' || mode === 'oauth2' ? ['values/modes/native.yaml'] : [];
      const a = await renderExample(file, modeValues(mode), { valuesFiles });
      expect(a.stderr).toBe('');
      expect(a.ok).toBe(true);
      const b = await renderExample(file, modeValues(mode), { valuesFiles });
      expect(b.text).toBe(a.text);
      expect(a.resources.filter((o) => o.kind === 'Secret')).toEqual([]);
      const deployment = a.resources.find((o) => o.kind === 'Deployment' && o.metadata.name === 'backstage') as any;
      // The mode took effect: the oauth2-proxy sidecar runs in the proxy modes only.
      const proxied = deployment.spec.template.spec.containers.some((c: { image: string }) => c.image.includes('oauth2-proxy'));
      expect(proxied).toBe(mode === 'oauth2Proxy' || mode === 'verifiedToken');
    });
  });

  it('Argo CD: the `helm test` pod is an unsupported hook, never applied; Flux: it is Helm\'s test hook, run by spec.test.enable', async () => {
    const argo: EngineRender = await renderExample('examples/argocd-application.yaml');
    expect(names(argo.ignored)).toEqual(['Pod/backstage-oauth2-proxy-test-redirect']);
    expect(names(argo.resources)).not.toContain('Pod/backstage-oauth2-proxy-test-redirect');
    const flux = await renderExample('examples/flux-helmrelease.yaml');
    expect(names(flux.hooks.test ?? [])).toEqual(['Pod/backstage-oauth2-proxy-test-redirect']);
    expect((await readObjects('examples/flux-helmrelease.yaml')).find((d) => d.kind === 'HelmRelease')!.spec.test.enable).toBe(true);
    // Both engines apply the same release resources.
    expect(names(flux.resources).sort()).toEqual(names(argo.resources).sort());
  });

  it('Flux: valuesFiles without the chart\'s own values.yaml first replace the defaults, and the render fails (the bug the example had)', async () => {
    const objs = await readObjects('examples/flux-helmrelease.yaml');
    const hr = objs.find((d) => d.kind === 'HelmRelease')!;
    expect(hr.spec.chart.spec.valuesFiles[0]).toBe('values.yaml');
    hr.spec.chart.spec.valuesFiles = ['values/gitops-example.yaml'];
    const broken = await fluxRender(objs);
    expect(broken.ok).toBe(false);
    expect(broken.stderr).toMatch(/schema/i);
  });

  it('Flux: spec.values and valuesFrom are merged over the packaged values, valuesFrom first', async () => {
    const objs = await readObjects('examples/flux-helmrelease.yaml');
    const hr = objs.find((d) => d.kind === 'HelmRelease')!;
    hr.spec.valuesFrom = [{ kind: 'ConfigMap', name: 'overrides' }];
    hr.spec.values = { global: { secretsVersion: 'from-values' } };
    const cm = { kind: 'ConfigMap', metadata: { name: 'overrides' }, data: { 'values.yaml': 'global:\n  secretsVersion: from-configmap\n  host: portal.example.org\n' } };
    const r = await fluxRender(objs, { valuesFrom: [cm] });
    expect(r.stderr).toBe('');
    const ing = r.resources.find((o) => o.kind === 'Ingress') as any;
    expect(ing.spec.rules[0].host).toBe('portal.example.org');
    // spec.values won over valuesFrom: the checksum is that of secretsVersion from-values.
    const checksum = (x: EngineRender): string => (x.resources.find((o) => o.kind === 'Deployment') as any).spec.template.metadata.annotations['checksum/oauth2-proxy-secret'];
    const only = await readObjects('examples/flux-helmrelease.yaml');
    only.find((d) => d.kind === 'HelmRelease')!.spec.values = { global: { secretsVersion: 'from-values' } };
    const plain = await fluxRender(await readObjects('examples/flux-helmrelease.yaml'));
    expect(checksum(r)).toBe(checksum(await fluxRender(only)));
    expect(checksum(r)).not.toBe(checksum(plain));
  });

  it('Argo CD: valueFiles outside the repository are refused, as Argo CD does', async () => {
    const [app] = await readObjects('examples/argocd-application.yaml');
    app!.spec.source.helm.valueFiles = ['../../etc/values.yaml'];
    await expect(argoCdRender(app!)).rejects.toThrow(/outside the repository/);
  });

  it('Flux with a cluster where the release namespace does not exist yet (install.createNamespace) still renders', async () => {
    const r = await fluxRender(await readObjects('examples/flux-helmrelease.yaml'), { clusterObjects: clusterBasics('other').slice(0, 1) });
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
  });
});

describe('kind values', () => {
  it('expose Backstage and the dev Keycloak on the NodePorts the kind config maps, with the in-cluster Keycloak URL', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const svc = m.service();
    expect(svc.spec!.type).toBe('NodePort');
    const cluster = (await docs('dev/kind/cluster.yaml'))[0]!;
    const mapped = cluster.nodes[0].extraPortMappings.map((p: { containerPort: number }) => p.containerPort);
    expect(mapped).toContain(svc.spec!.ports![0]!.nodePort);
    const kc = m.get<{ spec: { ports: { nodePort: number }[] } }>('Service', 'backstage-keycloak-dev');
    expect(mapped).toContain(kc.spec.ports[0]!.nodePort);
    const env = m.configMap('backstage-oauth2-proxy').data!;
    expect(env.OAUTH2_PROXY_OIDC_ISSUER_URL).toBe('http://keycloak.localhost:8080/realms/backstage');
    expect(env.OAUTH2_PROXY_REDEEM_URL).toBe('http://backstage-keycloak-dev:8080/realms/backstage/protocol/openid-connect/token');
    expect(m.backstage().imagePullPolicy).toBe('IfNotPresent');
    // The dev Keycloak reads the client secret from the same Secret the proxy uses.
    const kcDeploy = m.get<{ spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] }[] } } } }>('Deployment', 'backstage-keycloak-dev');
    const kcEnv = kcDeploy.spec.template.spec.containers[0]!.env;
    expect(kcEnv.find((e) => e.name === 'BACKSTAGE_CLIENT_SECRET')?.valueFrom?.secretKeyRef).toEqual(envOf(m.sidecar()).secretRefs.OAUTH2_PROXY_CLIENT_SECRET);
    expect(kcEnv.find((e) => e.name === 'KC_HOSTNAME')?.value).toBe('http://keycloak.localhost:8080');
  });
});

describe('docs/gitops.md', () => {
  it.each(EXAMPLES)('shows %s exactly as it is', async (file) => {
    const doc = await readFile(path.join(repoRoot, 'docs', 'gitops.md'), 'utf8');
    expect(doc).toContain(`\`\`\`yaml\n${await readFile(path.join(repoRoot, file), 'utf8')}\`\`\``);
  });
});
