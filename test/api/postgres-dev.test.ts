/**
 * The kind values' database on a real API server: the postgres-dev password is generated once and
 * kept across upgrades (looked up from the live Secret, like the cookie secret), and Backstage's
 * Deployment takes that Secret whole as an external database's settings.
 */
import * as k8s from '@kubernetes/client-node';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { chartDir } from '../support/chart.ts';
import { controlPlaneHelm, type ControlPlaneHelm } from '../support/control-plane-helm.ts';

const NS = 'bk-api-pgdev';
let kc: k8s.KubeConfig;
let helmRun: ControlPlaneHelm['helm'];

beforeAll(async () => {
  ({ kc, helm: helmRun } = await controlPlaneHelm());
});

describe('postgres-dev on a real API server (kind values)', () => {
  it('generates the database password once and keeps it across upgrades; Backstage reads the Secret whole', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // No --wait: the kwok node runs no containers' probes the way a kubelet would for these images.
    const dir = await chartDir();
    const args = (cmd: string) => [cmd, 'backstage', dir, '--namespace', NS, '--values', path.join(repoRoot, 'values', 'kind.yaml')];
    await helmRun([...args('install'), '--create-namespace']);
    const read = async () => (await core.readNamespacedSecret({ name: 'backstage-postgres-dev', namespace: NS })).data!;
    const first = await read();
    expect(Buffer.from(first.POSTGRES_PASSWORD!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    await helmRun(args('upgrade'));
    expect((await read()).POSTGRES_PASSWORD).toBe(first.POSTGRES_PASSWORD);
    const deploys = await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: NS });
    const bs = deploys.items.find((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'backstage')!;
    const container = bs.spec!.template.spec!.containers.find((c) => c.name === 'backstage-backend')!;
    expect(container.envFrom).toContainEqual({ secretRef: { name: 'backstage-postgres-dev' } });
    await helmRun(['uninstall', 'backstage', '--namespace', NS, '--wait']);
  });
});
