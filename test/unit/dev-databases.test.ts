/**
 * The dev database and dev Keycloak of the kind values, as rendered:
 * - Backstage uses PostgreSQL as an EXTERNAL database (no bitnami subchart): the postgres-dev
 *   Secret holds exactly POSTGRES_HOST/PORT/USER/PASSWORD and Backstage loads it whole through
 *   extraEnvVarsSecrets, the way a production Secret for a managed database would be used;
 * - both dev pods are hardened (non-root, read-only root, no capabilities) with emptyDirs where
 *   they write, and no secret appears outside Secrets.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { render, renderError } from '../support/chart.ts';

const KIND = path.join(repoRoot, 'values', 'kind.yaml');
const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

describe('postgres-dev (kind values)', () => {
  it('renders a Secret with the POSTGRES_* connection settings and a generated password', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const s = m.secret('backstage-postgres-dev');
    expect(Object.keys(s.data ?? {}).sort()).toEqual(['POSTGRES_HOST', 'POSTGRES_PASSWORD', 'POSTGRES_PORT', 'POSTGRES_USER']);
    expect(b64(s.data!.POSTGRES_HOST)).toBe('backstage-postgres-dev.backstage.svc');
    expect(b64(s.data!.POSTGRES_PORT)).toBe('5432');
    expect(b64(s.data!.POSTGRES_USER)).toBe('backstage');
    expect(b64(s.data!.POSTGRES_PASSWORD)).toMatch(/^[A-Za-z0-9]{32}$/);
    const svc = m.get<{ spec: { ports: { port: number; targetPort: string }[]; selector: Record<string, string> } }>('Service', 'backstage-postgres-dev');
    expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres' }]);
  });

  it('Backstage takes the database as an external one: envFrom that Secret, no bundled PostgreSQL', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    expect(m.backstage().envFrom).toContainEqual({ secretRef: { name: 'backstage-postgres-dev' } });
    expect((m.backstage().env ?? []).map((e) => e.name)).not.toContain('POSTGRES_HOST');
    expect(m.objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    expect(m.has('Secret', 'backstage-postgresql')).toBe(false);
  });

  it('runs PostgreSQL non-root (999) on a read-only root with emptyDirs for data, socket and /tmp', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const d = m.get<V1Deployment>('Deployment', 'backstage-postgres-dev');
    const pod = d.spec!.template.spec!;
    expect(d.spec!.strategy?.type).toBe('Recreate');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0]!;
    expect(c.image).toBe('localhost:5001/backstage-keycloak/postgres:15-bookworm');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((v) => [v.mountPath, v.name]));
    expect(mounts).toEqual({ '/var/lib/postgresql/data': 'data', '/var/run/postgresql': 'run', '/tmp': 'tmp' });
    for (const v of pod.volumes ?? []) expect(v.emptyDir, v.name).toBeDefined();
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
    expect(env.PGDATA?.value).toBe('/var/lib/postgresql/data/pgdata');
    expect(env.POSTGRES_PASSWORD?.valueFrom?.secretKeyRef).toEqual({ name: 'backstage-postgres-dev', key: 'POSTGRES_PASSWORD' });
    expect(c.readinessProbe?.exec?.command).toEqual(['pg_isready', '--host=/var/run/postgresql', '--port=5432']);
  });

  it('the generated password appears only in its Secret', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const password = b64(m.secret('backstage-postgres-dev').data!.POSTGRES_PASSWORD);
    for (const o of m.objects) {
      if (o.kind === 'Secret') continue;
      expect(JSON.stringify(o).includes(password), `${o.kind}/${o.metadata.name}`).toBe(false);
    }
  });

  it('refuses a user name PostgreSQL cannot take, naming the value', async () => {
    const err = await renderError({ noExample: true, valuesFiles: [KIND], set: ['postgresDev.username=Back-Stage'] });
    expect(err).toMatch(/postgresDev\.username="Back-Stage": use a PostgreSQL role name/);
  });

  it('is off by default', async () => {
    const m = await render();
    expect(m.has('Secret', 'backstage-postgres-dev')).toBe(false);
  });
});

describe('keycloak-dev (kind values)', () => {
  it("runs the project's pre-built image with start --optimized on a read-only root, data and /tmp on emptyDirs", async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const pod = m.get<V1Deployment>('Deployment', 'backstage-keycloak-dev').spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.image).toBe('localhost:5001/backstage-keycloak/keycloak:26.7.4');
    expect(c.args).toEqual(['start', '--optimized', '--import-realm', '--http-enabled=true']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((v) => [v.mountPath, v.name]));
    expect(mounts).toEqual({ '/opt/keycloak/data': 'data', '/opt/keycloak/data/import': 'realm', '/tmp': 'tmp' });
    const vols = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    expect(vols.data?.emptyDir).toBeDefined();
    expect(vols.tmp?.emptyDir).toBeDefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  it('can still run the official image (start-dev, writable root) through values', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND], values: { global: { imageRegistry: '' }, keycloakDev: { image: { registry: 'quay.io', repository: 'keycloak/keycloak' }, args: ['start-dev', '--import-realm'], readOnlyRootFilesystem: false } } });
    const c = m.get<V1Deployment>('Deployment', 'backstage-keycloak-dev').spec!.template.spec!.containers[0]!;
    expect(c.image).toBe('quay.io/keycloak/keycloak:26.7.4');
    expect(c.args).toEqual(['start-dev', '--import-realm']);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(false);
  });
});
