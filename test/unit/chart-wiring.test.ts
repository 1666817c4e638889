import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envOf, render } from '../support/chart.ts';

const ISSUER = 'https://keycloak.example.com/realms/backstage';
const CM = 'backstage-oauth2-proxy';

describe('oauth2-proxy sidecar', () => {
  it('runs the pinned image with settings from our ConfigMap and credentials from secretKeyRef only', async () => {
    const m = await render();
    const c = m.sidecar();
    expect(c.image).toBe('quay.io/oauth2-proxy/oauth2-proxy:v7.15.6');
    expect(c.args).toEqual(['--alpha-config=']);
    expect(c.envFrom).toEqual([{ configMapRef: { name: CM } }]);
    const env = envOf(c);
    expect(env.values).toEqual({});
    expect(env.secretRefs).toEqual({
      OAUTH2_PROXY_CLIENT_ID: { name: CM, key: 'client-id' },
      OAUTH2_PROXY_CLIENT_SECRET: { name: CM, key: 'client-secret' },
      OAUTH2_PROXY_COOKIE_SECRET: { name: CM, key: 'cookie-secret' },
      // the Redis password only with a redis session store that has one (proxy-cost-options.test.ts)
    });
    expect(c.ports).toEqual([
      { name: 'oauth2-proxy', containerPort: 4180, protocol: 'TCP' },
      { name: 'oauth2-metrics', containerPort: 44180, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/ping', port: 'oauth2-proxy' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'oauth2-proxy' });
  });

  it('configures keycloak-oidc, the public redirect URL, a loopback upstream and safe header handling', async () => {
    const env = (await render()).configMap(CM).data!;
    expect(env).toMatchObject({
      OAUTH2_PROXY_PROVIDER: 'keycloak-oidc',
      OAUTH2_PROXY_OIDC_ISSUER_URL: ISSUER,
      OAUTH2_PROXY_REDIRECT_URL: 'https://backstage.example.com/oauth2/callback',
      OAUTH2_PROXY_HTTP_ADDRESS: '0.0.0.0:4180',
      OAUTH2_PROXY_METRICS_ADDRESS: '0.0.0.0:44180',
      OAUTH2_PROXY_UPSTREAMS: 'http://127.0.0.1:7007/',
      OAUTH2_PROXY_CODE_CHALLENGE_METHOD: 'S256',
      OAUTH2_PROXY_API_ROUTES: '^/api/',
      OAUTH2_PROXY_EMAIL_DOMAINS: '*',
      OAUTH2_PROXY_COOKIE_SECURE: 'true',
      OAUTH2_PROXY_COOKIE_HTTPONLY: 'true',
      OAUTH2_PROXY_COOKIE_SAMESITE: 'lax',
      OAUTH2_PROXY_COOKIE_REFRESH: '4m',
      OAUTH2_PROXY_COOKIE_EXPIRE: '30m',
      OAUTH2_PROXY_TRUSTED_PROXY_IPS: '10.42.7.0/26',
      // Backstage's own token travels in Authorization: the proxy must never replace it.
      OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER: 'false',
      OAUTH2_PROXY_SET_AUTHORIZATION_HEADER: 'false',
      OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: 'false',
    });
    // Unset lists are absent (an empty env value would be one empty entry).
    expect(env).not.toHaveProperty('OAUTH2_PROXY_ALLOWED_GROUPS');
    expect(env).not.toHaveProperty('OAUTH2_PROXY_SKIP_OIDC_DISCOVERY');
    // No route without a login: the probes use Backstage's health listener, not the proxy.
    expect(env).not.toHaveProperty('OAUTH2_PROXY_SKIP_AUTH_ROUTES');
    expect(env).not.toHaveProperty('OAUTH2_PROXY_SKIP_AUTH_REGEX');
    // oauth2-proxy settings, and the Go runtime settings of the process (global.oauth2Proxy.goRuntime)
    for (const k of Object.keys(env)) expect(k).toMatch(/^(OAUTH2_PROXY_[A-Z0-9_]+|GOGC|GOMEMLIMIT)$/);
  });

  it('with an in-cluster Keycloak URL, skips discovery: public login URL, in-cluster back-channel URLs', async () => {
    const env = (await render({ set: ['global.keycloak.internalUrl=http://keycloak.kc.svc:8080'] })).configMap(CM).data!;
    expect(env).toMatchObject({
      OAUTH2_PROXY_OIDC_ISSUER_URL: ISSUER,
      OAUTH2_PROXY_SKIP_OIDC_DISCOVERY: 'true',
      OAUTH2_PROXY_LOGIN_URL: `${ISSUER}/protocol/openid-connect/auth`,
      OAUTH2_PROXY_REDEEM_URL: 'http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/token',
      OAUTH2_PROXY_OIDC_JWKS_URL: 'http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/certs',
      OAUTH2_PROXY_PROFILE_URL: 'http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/userinfo',
    });
  });

  it('passes allowed groups and roles, cookie domains and extra settings', async () => {
    const env = (
      await render({
        values: {
          global: {
            keycloak: { allowedGroups: ['/admins', '/ops'], allowedRoles: ['backstage-user'] },
            oauth2Proxy: { cookie: { domains: ['.example.com'] }, extraEnv: { OAUTH2_PROXY_FORCE_JSON_ERRORS: 'true', OAUTH2_PROXY_FLUSH_INTERVAL: '2s' } },
          },
        },
      })
    ).configMap(CM).data!;
    expect(env.OAUTH2_PROXY_ALLOWED_GROUPS).toBe('/admins,/ops');
    expect(env.OAUTH2_PROXY_ALLOWED_ROLES).toBe('backstage-user');
    expect(env.OAUTH2_PROXY_COOKIE_DOMAINS).toBe('.example.com');
    expect(env.OAUTH2_PROXY_FORCE_JSON_ERRORS).toBe('true');
    expect(env.OAUTH2_PROXY_FLUSH_INTERVAL).toBe('2s');
  });

  it('derives http URLs and a non-Secure cookie only when insecure http is explicitly allowed', async () => {
    const m = await render({ set: ['global.allowInsecureHttp=true', 'backstage.backstage.appConfig.backend.csp.upgrade-insecure-requests=false', 'global.host=backstage.localhost:7007', 'global.keycloak.issuerUrl=http://keycloak.localhost:8080/realms/backstage'] });
    const env = m.configMap(CM).data!;
    expect(env.OAUTH2_PROXY_REDIRECT_URL).toBe('http://backstage.localhost:7007/oauth2/callback');
    expect(env.OAUTH2_PROXY_COOKIE_SECURE).toBe('false');
    const appConfig = m.appConfig(); // the sign-in configuration, then appConfig, as Backstage loads them
    expect(appConfig.app.baseUrl).toBe('http://backstage.localhost:7007');
  });

  it('uses a digest instead of the tag when one is given', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect((await render({ set: [`global.oauth2Proxy.image.digest=${digest}`] })).sidecar().image).toBe(`quay.io/oauth2-proxy/oauth2-proxy@${digest}`);
  });
});

describe('Backstage behind the proxy', () => {
  it('the Service sends traffic to the sidecar port, never to Backstage', async () => {
    const svc = (await render()).service();
    expect(svc.spec!.ports).toHaveLength(1);
    expect(svc.spec!.ports![0]).toMatchObject({ port: 7007, targetPort: 'oauth2-proxy' });
  });

  it('Backstage listens on loopback, with public base URLs and the oauth2Proxy provider configured without dead resolvers', async () => {
    const m = await render();
    const appConfig = m.appConfig(); // the sign-in configuration, then appConfig, as Backstage loads them
    expect(appConfig.backend.listen).toEqual({ host: '127.0.0.1', port: 7007 });
    expect(appConfig.app.baseUrl).toBe('https://backstage.example.com');
    expect(appConfig.backend.baseUrl).toBe('https://backstage.example.com');
    // Configured (Backstage serves only configured providers), but no signIn.resolvers: the app's own
    // module resolves users (preferred_username, then email) and would ignore them.
    expect(appConfig.auth.providers.oauth2Proxy).toEqual({});
    // Database settings come from the env the upstream chart wires; no literal password.
    expect(appConfig.backend.database.connection.password).toBe('${POSTGRES_PASSWORD}');
    const args = m.backstage().args!;
    expect(args.slice(0, 6)).toEqual(['--config', 'app-config.yaml', '--config', 'app-config.production.yaml', '--config', '/etc/backstage-keycloak/app-config.sign-in.yaml']);
    expect(args.at(-1)).toMatch(/app-config-from-configmap\.yaml$/);
  });

  it.each(['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'])("%s mode: probes Backstage's health listener (port health, the same in every mode), one handler per probe", async (mode) => {
    const m = await render({ values: { global: { signIn: { mode } } } });
    const b = m.backstage();
    expect(b.ports).toContainEqual({ name: 'health', containerPort: 7008, protocol: 'TCP' });
    for (const [probe, path] of [
      [b.readinessProbe, '/.backstage/health/v1/readiness'],
      [b.livenessProbe, '/.backstage/health/v1/liveness'],
      // Startup waits for readiness (fully started): a hung start is restarted after the budget.
      [b.startupProbe, '/.backstage/health/v1/readiness'],
    ] as const) {
      expect(probe?.httpGet).toMatchObject({ path, port: 'health' });
      expect(probe?.exec).toBeUndefined();
      expect(probe?.tcpSocket).toBeUndefined();
    }
    // Backstage starts the listener from the rendered config, on the port the probes name.
    const appConfig = m.appConfig();
    expect(appConfig.backstageKeycloak.health).toEqual({ listen: { host: '0.0.0.0', port: 7008 } });
  });

  it('the sidecar ports exist for the Service target and the NetworkPolicy', async () => {
    const m = await render();
    const names = m.sidecar().ports!.map((p) => p.name);
    expect(names).toContain(m.service().spec!.ports![0]!.targetPort);
    const np = m.networkPolicies().find((n) => n.metadata!.name === 'backstage-proxy-only')!;
    expect(np.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    const withMetrics = (await render({ values: { networkPolicy: { metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] } } })).networkPolicies().find((n) => n.metadata!.name === 'backstage-proxy-only')!;
    const ports = withMetrics.spec!.ingress!.flatMap((r) => r.ports!.map((p) => p.port));
    expect(ports.sort()).toEqual(['oauth2-metrics', 'oauth2-proxy']);
    for (const p of ports) expect(names).toContain(p);
    // It selects exactly the Backstage pods.
    const podLabels = m.deployment().spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(np.spec!.podSelector!.matchLabels!)) expect(podLabels[k]).toBe(v);
  });

  it('the NetworkPolicy can be switched off and restricted to given peers', async () => {
    expect((await render({ set: ['networkPolicy.enabled=false'] })).networkPolicies()).toHaveLength(0);
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } };
    const np = (await render({ values: { networkPolicy: { from: [peer] } } })).networkPolicies().find((n) => n.metadata!.name === 'backstage-proxy-only')!;
    expect((np.spec!.ingress![0] as unknown as { from: unknown }).from).toEqual([peer]);
  });

  it('keeps the writable /tmp volume (upstream renders extraVolumes only with extraVolumeMounts)', async () => {
    const m = await render();
    expect(m.podSpec().volumes!.map((v) => v.name)).toContain('tmp');
    expect(m.backstage().volumeMounts!.find((v) => v.name === 'tmp')?.mountPath).toBe('/tmp');
  });

  it('names objects after the release as the upstream chart does', async () => {
    const m = await render({ release: 'team-backstage' });
    expect(m.deployment().metadata!.name).toBe('team-backstage');
    expect(m.has('Secret', 'team-backstage-oauth2-proxy')).toBe(true);
    expect(m.sidecar().envFrom![0]!.configMapRef!.name).toBe('team-backstage-oauth2-proxy');
  });

  it('renders the Ingress with the host derived from global.host (port stripped)', async () => {
    const m = await render({ set: ['backstage.ingress.enabled=true', 'global.host=portal.example.com:8443'] });
    const ing = m.all<{ spec: { rules: { host: string; http: { paths: { backend: { service: { port: { number: number } } } }[] } }[] } }>('Ingress')[0]!;
    expect(ing.spec.rules[0]!.host).toBe('portal.example.com');
    expect(ing.spec.rules[0]!.http.paths[0]!.backend.service.port.number).toBe(7007);
  });
});

describe('credentials', () => {
  it('our Secret holds the three keys with the given values', async () => {
    expect((await render()).secretData('backstage-oauth2-proxy')).toEqual({
      'client-id': 'backstage',
      'client-secret': 'example-client-secret-NOT-REAL',
      'catalog-client-secret': 'example-catalog-secret-NOT-REAL',
      'cookie-secret': 'fake-cookie-secret-for-docs-0001',
    });
  });

  it('existing Secrets are referenced with their key names; ours keeps only what they do not hold', async () => {
    const m = await render({
      values: {
        global: {
          keycloak: { clientSecret: '', existingSecret: 'kc-client', existingSecretKeys: { clientId: 'id', clientSecret: 'secret' } },
        },
      },
    });
    expect(envOf(m.sidecar()).secretRefs).toEqual({
      OAUTH2_PROXY_CLIENT_ID: { name: 'kc-client', key: 'id' },
      OAUTH2_PROXY_CLIENT_SECRET: { name: 'kc-client', key: 'secret' },
      OAUTH2_PROXY_COOKIE_SECRET: { name: 'backstage-oauth2-proxy', key: 'cookie-secret' },
    });
    expect(Object.keys(m.secretData('backstage-oauth2-proxy'))).toEqual(['catalog-client-secret', 'cookie-secret']);
  });

  it('renders no Secret of its own when both come from existing Secrets', async () => {
    const m = await render({
      values: {
        global: {
          keycloak: { clientSecret: '', existingSecret: 'kc-client', catalogSync: { clientSecret: '', existingSecret: 'kc-client', existingSecretKey: 'catalog' } },
          oauth2Proxy: { cookieSecret: '', existingSecret: 'cookie', existingSecretKeys: { cookieSecret: 'value' } },
        },
      },
    });
    expect(m.has('Secret', 'backstage-oauth2-proxy')).toBe(false);
    expect(envOf(m.sidecar()).secretRefs.OAUTH2_PROXY_COOKIE_SECRET).toEqual({ name: 'cookie', key: 'value' });
  });
});

describe('catalog sync from Keycloak', () => {
  it('configures the Keycloak catalog module with the realm, the catalog client and its secret from a Secret', async () => {
    const m = await render();
    const appConfig = m.appConfig(); // the sign-in configuration, then appConfig, as Backstage loads them
    expect(appConfig.catalog.providers.keycloakOrg.default).toMatchObject({ baseUrl: 'https://keycloak.example.com', realm: 'backstage', loginRealm: 'backstage', clientId: 'backstage-catalog', clientSecret: '${KEYCLOAK_CATALOG_CLIENT_SECRET}' });
    const env = envOf(m.backstage());
    expect(env.values.BACKSTAGE_KEYCLOAK_CATALOG_SYNC).toBe('true');
    expect(env.secretRefs.KEYCLOAK_CATALOG_CLIENT_SECRET).toEqual({ name: 'backstage-oauth2-proxy', key: 'catalog-client-secret' });
  });

  it('goes through the in-cluster Keycloak URL when one is set, and can be switched off', async () => {
    const internal = parseYaml((await render({ set: ['global.keycloak.internalUrl=http://keycloak.kc.svc:8080'] })).configMap('backstage-app-config').data!['app-config.yaml']!);
    expect(internal.catalog.providers.keycloakOrg.default.baseUrl).toBe('http://keycloak.kc.svc:8080');
    const off = await render({ set: ['global.keycloak.catalogSync.enabled=false', 'global.keycloak.catalogSync.clientSecret='] });
    expect(envOf(off.backstage()).values.BACKSTAGE_KEYCLOAK_CATALOG_SYNC).toBe('false');
    expect(off.secretData('backstage-oauth2-proxy')).not.toHaveProperty('catalog-client-secret');
  });
});
