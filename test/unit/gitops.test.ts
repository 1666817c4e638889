import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { envOf, render } from '../support/chart.ts';

const GITOPS = path.join(repoRoot, 'values', 'gitops-example.yaml');
const KIND = path.join(repoRoot, 'values', 'kind.yaml');

async function docs(file: string): Promise<Record<string, any>[]> {
  return parseAllDocuments(await readFile(path.join(repoRoot, file), 'utf8')).map((d) => d.toJS());
}

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

  it('the Argo CD Application installs this chart with the GitOps values', async () => {
    const [app] = await docs('examples/argocd-application.yaml');
    expect(app!.kind).toBe('Application');
    expect(app!.spec.source.path).toBe('.');
    for (const f of app!.spec.source.helm.valueFiles) expect(existsSync(path.join(repoRoot, f)), f).toBe(true);
    expect(app!.spec.source.helm.valueFiles).toContain('values/gitops-example.yaml');
    expect(app!.spec.source.targetRevision).not.toMatch(/^(HEAD|main|master)$/);
  });

  it('the Flux HelmRelease installs this chart from the GitRepository with the GitOps values', async () => {
    const [repo, release] = await docs('examples/flux-helmrelease.yaml');
    expect(repo!.kind).toBe('GitRepository');
    expect(release!.kind).toBe('HelmRelease');
    expect(release!.spec.chart.spec.sourceRef).toMatchObject({ kind: 'GitRepository', name: repo!.metadata.name, namespace: repo!.metadata.namespace });
    for (const f of release!.spec.chart.spec.valuesFiles) expect(existsSync(path.join(repoRoot, f)), f).toBe(true);
    expect(repo!.spec.ref.tag).toBeTruthy();
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
