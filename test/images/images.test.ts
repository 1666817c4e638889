/**
 * Every image the chart runs, as a container hardened the way the chart runs it: its non-root
 * uid, `--read-only`, `--cap-drop=ALL`, no new privileges, tmpfs where the chart mounts emptyDirs.
 * Each one does its job:
 *   postgres      accepts a password connection over TCP, refuses a wrong password;
 *   backstage     starts on that PostgreSQL (its own POSTGRES_* env, the chart's extra config file),
 *                 answers /.backstage/health/v1/liveness and signs alice in from proxy headers;
 *   oauth2-proxy  reports v7.15.6 and starts with the configuration the chart renders for kind:
 *                 /ping answers, an anonymous request is redirected to Keycloak with PKCE;
 *   busybox       runs the chart's rendered `helm test` script against that proxy and passes;
 *   keycloak      starts (no rebuild: `start --optimized` on a read-only root) and serves the dev
 *                 realm's discovery document with the configured public issuer.
 * Network: one docker network of this run; the host talks to 127.0.0.1 port mappings only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { KEYCLOAK_UID, NONROOT_UID, POSTGRES_UID } from '../../scripts/images/catalog.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { OAUTH2_PROXY_VERSION } from '../../scripts/lib/tools/index.ts';
import { DEV_REALM_FILE } from '../../scripts/lib/dev-credentials.ts';
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { render, type Manifest } from '../support/chart.ts';
import { freePort } from '../../scripts/lib/run/process.ts';
import { cleanup, createNetwork, dockerProblem, ensureImages, hostPort, inspect, logs, processUid, runContainer, waitFor } from './docker.ts';

const problem = await dockerProblem();

const KIND_VALUES = path.join(repoRoot, 'values', 'kind.yaml');

/** A rendered container's env with secretKeyRefs resolved from the rendered Secrets (as kubelet would). */
function resolvedEnv(m: Manifest, env: V1EnvVar[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    if (e.value !== undefined) out[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const data = m.secret(ref.name!).data ?? {};
    if (data[ref.key] !== undefined) out[e.name] = Buffer.from(data[ref.key]!, 'base64').toString('utf8');
    else if (!ref.optional) throw new Error(`rendered Secret ${ref.name} has no key ${ref.key}`);
  }
  return out;
}

describe.skipIf(!!problem)('images (hardened containers)', () => {
  let refs: Record<string, string>;
  let network: string;
  let tmp: string;
  const pgPassword = randomBytes(18).toString('base64url');
  let pg: string;

  beforeAll(async () => {
    refs = await ensureImages(['backstage', 'oauth2-proxy', 'keycloak', 'postgres', 'busybox']);
    network = await createNetwork('net');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-imgtest-'));
  });

  afterAll(async () => {
    await cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('postgres', () => {
    let port: number;
    beforeAll(async () => {
      pg = await runContainer({
        name: 'postgres',
        image: refs.postgres!,
        network,
        user: `${POSTGRES_UID}:${POSTGRES_UID}`,
        env: { POSTGRES_USER: 'backstage', POSTGRES_PASSWORD: pgPassword, PGDATA: '/var/lib/postgresql/data/pgdata' },
        // The chart's emptyDirs: data, socket dir, /tmp.
        tmpfs: { '/var/lib/postgresql/data': `uid=${POSTGRES_UID},gid=${POSTGRES_UID}`, '/var/run/postgresql': `uid=${POSTGRES_UID},gid=${POSTGRES_UID}`, '/tmp': '' },
        publish: { 5432: 0 },
      });
      port = await hostPort(pg, 5432);
      await waitFor('postgres accepts connections', async () => ((await $({ quiet: true, nothrow: true })`docker exec ${pg} pg_isready --host=/var/run/postgresql`).ok ? true : undefined), { timeoutMs: 60_000, container: pg });
    });

    it('runs as uid 999 on a read-only root with no capabilities', async () => {
      expect(await processUid(pg)).toBe(POSTGRES_UID);
      const i = await inspect(pg);
      expect(i.ReadonlyRootfs).toBe(true);
      expect(i.CapDrop).toContain('ALL');
    });

    it('accepts the password over TCP and refuses a wrong one', async () => {
      const psql = (password: string) =>
        $({ quiet: true, nothrow: true, env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' } })`psql -h 127.0.0.1 -p ${port} -U backstage -d backstage -tAc ${'select current_user, version()'}`;
      const ok = await psql(pgPassword);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/^backstage\|PostgreSQL 15\./);
      const bad = await psql('wrong-password');
      expect(bad.ok).toBe(false);
      expect(bad.stderr).toMatch(/password authentication failed/);
    });
  });

  describe('backstage', () => {
    let bs: string;
    const exec = async (script: string): Promise<string> => (await $({ quiet: true })`docker exec ${bs} node -e ${script}`).stdout;
    const get = (p: string, headers: Record<string, string> = {}) =>
      exec(`fetch('http://127.0.0.1:7007${p}', { headers: ${JSON.stringify(headers)} }).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.log(JSON.stringify({ status: 0, body: String(e) })); })`).then((s) => JSON.parse(s) as { status: number; body: string });

    beforeAll(async () => {
      // What the chart's ConfigMap adds (mounted at /app/app-config-from-configmap.yaml and passed
      // with --config): the provider of the sign-in mode (oauth2Proxy; the image configures none
      // itself), and the demo organisation so a sign-in can resolve a catalog user.
      const extra = path.join(tmp, 'app-config-from-configmap.yaml');
      await writeFile(extra, ['auth:', '  providers:', '    oauth2Proxy: {}', 'catalog:', '  locations:', '    - type: file', '      target: ./catalog/demo-org.yaml', '      rules:', '        - allow: [User, Group]', ''].join('\n'));
      bs = await runContainer({
        name: 'backstage',
        alias: 'backstage-app',
        image: refs.backstage!,
        network,
        user: '1000:1000',
        env: { POSTGRES_HOST: 'postgres', POSTGRES_PORT: '5432', POSTGRES_USER: 'backstage', POSTGRES_PASSWORD: pgPassword, APP_CONFIG_backend_listen_port: '7007', BACKSTAGE_SIGNIN_MODE: 'oauth2Proxy' },
        tmpfs: { '/tmp': '' },
        binds: { [extra]: '/app/app-config-from-configmap.yaml' },
        args: ['node', 'packages/backend', '--config', 'app-config.yaml', '--config', 'app-config.production.yaml', '--config', 'app-config-from-configmap.yaml'],
      });
      await waitFor('backstage liveness', async () => ((await get('/.backstage/health/v1/liveness')).status === 200 ? true : undefined), { timeoutMs: 240_000, container: bs });
    });

    it('runs as uid 1000 on a read-only root with no capabilities', async () => {
      expect(await processUid(bs)).toBe(1000);
      const i = await inspect(bs);
      expect(i.ReadonlyRootfs).toBe(true);
      expect(i.CapDrop).toContain('ALL');
    });

    it('answers liveness and readiness, its database is the PostgreSQL container', async () => {
      expect((await get('/.backstage/health/v1/liveness')).status).toBe(200);
      const ready = await waitFor('backstage readiness', async () => ((await get('/.backstage/health/v1/readiness')).status === 200 ? true : undefined), { timeoutMs: 120_000, container: bs });
      expect(ready).toBe(true);
      const dbs = await $({ quiet: true, env: { ...process.env, PGPASSWORD: pgPassword } })`docker exec --env PGPASSWORD ${pg} psql -h 127.0.0.1 -U backstage -d backstage -tAc ${"select datname from pg_database where datname like 'backstage_plugin_%' order by 1"}`;
      expect(dbs.stdout.split('\n')).toContain('backstage_plugin_catalog');
    });

    it('signs alice in from the identity headers (oauth2Proxy provider) and serves the frontend', async () => {
      const r = await waitFor('alice in the catalog', async () => {
        const res = await get('/api/auth/oauth2Proxy/refresh', { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': 'alice@example.com', 'x-forwarded-user': 'f5b4c2e0-0000-4000-8000-000000000001' });
        return res.status === 200 ? res : undefined;
      }, { timeoutMs: 120_000, container: bs });
      const body = JSON.parse(r.body) as { backstageIdentity: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } } };
      expect(body.backstageIdentity.identity.userEntityRef).toBe('user:default/alice');
      expect(body.backstageIdentity.identity.ownershipEntityRefs).toContain('group:default/admins');
      const index = await get('/');
      expect(index.status).toBe(200);
      expect(index.body).toMatch(/<html/i);
    });

    it('listens on loopback only: nothing answers on the container network address', async () => {
      // (No `wget -T`: Debian's busybox-static 1.35 wget segfaults on a refused connection with -T.)
      const out = await $({ quiet: true, nothrow: true })`docker run --rm --network ${network} --read-only --cap-drop=ALL --user 65534:65534 ${refs.busybox!} wget -O /dev/null http://backstage-app:7007/.backstage/health/v1/liveness`;
      expect(out.ok).toBe(false);
      expect(out.stderr).toMatch(/Connection refused/);
    });
  });

  describe('oauth2-proxy and the helm test pod (busybox)', () => {
    let proxy: string;
    let port: number;
    let testPod: { command: string[]; args: string[]; env: Record<string, string>; user: string };
    beforeAll(async () => {
      // The sidecar exactly as the chart renders it for kind (ConfigMap env + Secret env + args).
      // Service port 4180 so the rendered helm-test script addresses the proxy container directly.
      const m = await render({ noExample: true, valuesFiles: [KIND_VALUES], set: ['backstage.service.ports.backend=4180'] });
      const sidecar = m.sidecar();
      expect(sidecar.image).toBe(`localhost:5001/oauth2-proxy/oauth2-proxy:${OAUTH2_PROXY_VERSION}`);
      const env: Record<string, string> = { ...m.configMap('backstage-oauth2-proxy').data, ...resolvedEnv(m, sidecar.env) };
      const sc = sidecar.securityContext!;
      proxy = await runContainer({
        name: 'proxy',
        alias: 'backstage', // the Service name the helm test script calls (release "backstage")
        image: refs['oauth2-proxy']!,
        network,
        user: `${sc.runAsUser}:${sc.runAsGroup}`,
        env,
        publish: { 4180: 0 },
        args: (sidecar.args ?? []).filter((a) => a !== ''),
      });
      port = await hostPort(proxy, 4180);
      await waitFor('oauth2-proxy /ping', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      }, { timeoutMs: 30_000, container: proxy });
      const pod = m.all<{ metadata: { annotations?: Record<string, string> }; spec: { containers: (V1Container & { command: string[]; args: string[] })[]; securityContext: { runAsUser: number; runAsGroup: number } } }>('Pod').find((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test');
      expect(pod, 'helm test pod rendered').toBeDefined();
      const c = pod!.spec.containers[0]!;
      expect(c.image).toBe(refs.busybox);
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
      testPod = { command: c.command, args: c.args, env: resolvedEnv(m, c.env), user: `${pod!.spec.securityContext.runAsUser}:${pod!.spec.securityContext.runAsGroup}` };
    });

    it(`reports ${OAUTH2_PROXY_VERSION} and runs as 65532 on a read-only root`, async () => {
      const v = await $({ quiet: true })`docker run --rm --network none --read-only --cap-drop=ALL ${refs['oauth2-proxy']!} --version`;
      expect(v.stdout).toMatch(new RegExp(`^oauth2-proxy ${OAUTH2_PROXY_VERSION.replace(/\./g, '\\.')} `));
      expect(await processUid(proxy)).toBe(NONROOT_UID);
      expect((await inspect(proxy)).ReadonlyRootfs).toBe(true);
    });

    it('accepts the rendered kind configuration: anonymous request -> Keycloak with client id, PKCE and redirect URI', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect([302, 303]).toContain(r.status);
      let loc = new URL(r.headers.get('location')!, `http://127.0.0.1:${port}`);
      if (loc.pathname === '/oauth2/start') {
        const r2 = await fetch(loc, { redirect: 'manual' });
        loc = new URL(r2.headers.get('location')!);
      }
      expect(`${loc.origin}${loc.pathname}`).toBe('http://keycloak.localhost:8080/realms/backstage/protocol/openid-connect/auth');
      expect(loc.searchParams.get('client_id')).toBe('backstage');
      expect(loc.searchParams.get('code_challenge_method')).toBe('S256');
      expect(loc.searchParams.get('redirect_uri')).toBe('http://backstage.localhost:7007/oauth2/callback');
    });

    it("the busybox image runs the chart's helm test script (uid 65534, read-only) and it passes", async () => {
      const envArgs = Object.keys(testPod.env).flatMap((k) => ['--env', k]);
      const out = await $({ quiet: true, nothrow: true, env: { ...process.env, ...testPod.env } })`docker run --rm --network ${network} --read-only --cap-drop=ALL --security-opt no-new-privileges --user ${testPod.user} ${envArgs} --entrypoint ${testPod.command[0]!} ${refs.busybox!} ${[...testPod.command.slice(1), ...testPod.args]}`;
      expect(out.stdout, out.stderr).toMatch(/^OK: /m);
      expect(out.exitCode).toBe(0);
    });
  });

  describe('keycloak (dev chart image)', () => {
    let kc: string;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      kc = await runContainer({
        name: 'keycloak',
        image: refs.keycloak!,
        network,
        user: `${KEYCLOAK_UID}:0`,
        env: {
          KC_HOSTNAME: publicUrl,
          KC_HOSTNAME_BACKCHANNEL_DYNAMIC: 'true',
          KC_HEALTH_ENABLED: 'true',
          KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
          KC_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(12).toString('base64url'),
          JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx768m',
          BACKSTAGE_PUBLIC_URL: 'http://backstage.localhost:7007',
          BACKSTAGE_CLIENT_SECRET: randomBytes(12).toString('base64url'),
          BACKSTAGE_CATALOG_CLIENT_SECRET: randomBytes(12).toString('base64url'),
        },
        // The dev chart's emptyDirs (data, /tmp) and its realm ConfigMap at data/import.
        tmpfs: { '/opt/keycloak/data': `uid=${KEYCLOAK_UID},gid=0`, '/tmp': '' },
        binds: { [path.join(repoRoot, DEV_REALM_FILE)]: '/opt/keycloak/data/import/realm-backstage.json' },
        publish: { 8080: port, 9000: 0 },
      });
      await waitFor('keycloak /health/ready', async () => {
        const r = await fetch(`http://127.0.0.1:${await hostPort(kc, 9000)}/health/ready`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      }, { timeoutMs: 300_000, container: kc });
    });

    it('runs as uid 1000 on a read-only root and did not rebuild at start', async () => {
      expect(await processUid(kc)).toBe(KEYCLOAK_UID);
      expect((await inspect(kc)).ReadonlyRootfs).toBe(true);
      const log = await logs(kc);
      expect(log).not.toMatch(/Updating the configuration and installing your custom providers/);
      expect(log).toMatch(/Realm 'backstage' imported|Imported realm backstage/i);
    });

    it("serves the dev realm's discovery document with the public issuer", async () => {
      const r = await fetch(`http://127.0.0.1:${port}/realms/backstage/.well-known/openid-configuration`);
      expect(r.status).toBe(200);
      const d = (await r.json()) as { issuer: string; authorization_endpoint: string; code_challenge_methods_supported: string[] };
      expect(d.issuer).toBe(`http://127.0.0.1:${port}/realms/backstage`);
      expect(d.code_challenge_methods_supported).toContain('S256');
    });
  });
});
