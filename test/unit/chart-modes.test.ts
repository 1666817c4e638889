/**
 * global.signIn.mode: each of the four modes renders the objects it needs and none it must not,
 * with Helm 4 and Helm 3 alike (the native modes rely on the wiring of templates/_mode.tpl, which
 * edits the Backstage chart's values while Helm renders). Secrets only through secretKeyRef.
 */
import { NATIVE_MODE_VALUES } from '../../scripts/lib/chart/modes.ts';
import { describe, expect, it } from 'vitest';
import type { V1Container } from '@kubernetes/client-node';
import { helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { Release } from '../../scripts/lib/chart/release.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { chartDir, EXAMPLE_VALUES, envOf, render, renderError } from '../support/chart.ts';

const MODES = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'] as const;
const NATIVE = new Set(['oidc', 'oauth2']);
const PROVIDER = { oauth2Proxy: 'oauth2Proxy', verifiedToken: 'oidcProxy', oidc: 'oidc', oauth2: 'oauth2' } as const;
const EXAMPLE_SECRETS = ['example-client-secret-NOT-REAL', 'example-catalog-secret-NOT-REAL', 'fake-cookie-secret-for-docs-0001'];

/** Every literal value of every container's env and args in the release. */
function literals(m: Release): string[] {
  return m.podSpecs().flatMap(({ spec }) => [...spec.containers, ...(spec.initContainers ?? [])].flatMap((c: V1Container) => [...(c.env ?? []).map((e) => e.value ?? ''), ...(c.args ?? []), ...(c.command ?? [])]));
}

describe.each(MODES)('global.signIn.mode=%s', (mode) => {
  const native = NATIVE.has(mode);

  it(native ? 'no sidecar, no proxy ConfigMaps, no cookie secret: the Service reaches Backstage itself, which listens on the pod address; probes ask its health listener' : 'the oauth2-proxy sidecar in front: the Service reaches the proxy, Backstage listens on loopback; probes ask its health listener', async () => {
    const m = await render({ set: [`global.signIn.mode=${mode}`] });
    const containers = m.podSpec().containers.map((c) => c.name);
    const volumes = (m.podSpec().volumes ?? []).map((v) => v.name);
    const port = m.service().spec!.ports![0]!;
    const probes = ['readinessProbe', 'livenessProbe', 'startupProbe'].map((p) => (m.backstage() as unknown as Record<string, { httpGet: { port: unknown; path: string } }>)[p]!.httpGet);
    const data = m.secretData('backstage-oauth2-proxy');
    const policy = m.networkPolicies().filter((p) => p.metadata!.labels!['app.kubernetes.io/component'] === 'backstage');
    expect(policy).toHaveLength(1);
    if (native) {
      expect(containers).toEqual(['backstage-backend']);
      expect(volumes).not.toContain('oauth2-proxy-alpha');
      expect(m.has('ConfigMap', 'backstage-oauth2-proxy')).toBe(false);
      expect(m.has('ConfigMap', 'backstage-oauth2-proxy-alpha')).toBe(false);
      expect(port.targetPort).toBe('backend');
      expect(m.backstage().ports!.map((p) => p.name)).toContain('backend');
      expect(m.appConfig().backend.listen.host).toBe('0.0.0.0');
      expect(Object.keys(data).sort()).toEqual(['catalog-client-secret', 'client-id', 'client-secret', 'session-secret']);
      expect(data['session-secret']).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(policy[0]!.spec!.ingress!.map((r) => r.ports!.map((p) => p.port))).toEqual([['backend']]);
    } else {
      expect(containers).toEqual(['backstage-backend', 'oauth2-proxy']);
      expect(m.has('ConfigMap', 'backstage-oauth2-proxy')).toBe(true);
      expect(port.targetPort).toBe('oauth2-proxy');
      expect(m.appConfig().backend.listen.host).toBe('127.0.0.1');
      expect(Object.keys(data).sort()).toEqual(['catalog-client-secret', 'client-id', 'client-secret', 'cookie-secret']);
      // the metrics port stays closed until networkPolicy.metricsFrom names a source
      expect(policy[0]!.spec!.ingress!.map((r) => r.ports!.map((p) => p.port))).toEqual([['oauth2-proxy']]);
    }
    for (const p of probes) expect(p.path).toMatch(/^\/\.backstage\/health\/v1\/(readiness|liveness)$/);
    // The same probes in every mode: nothing about them depends on the mode's wiring.
    for (const p of probes) expect(p.port).toBe('health');
  });

  it('Backstage gets the mode, and secrets only through secretKeyRef (the client secret only in the native modes)', async () => {
    const m = await render({ set: [`global.signIn.mode=${mode}`] });
    const { values, secretRefs } = envOf(m.backstage());
    expect(values.BACKSTAGE_SIGNIN_MODE).toBe(mode);
    if (native) {
      expect(secretRefs.KEYCLOAK_CLIENT_SECRET).toEqual({ name: 'backstage-oauth2-proxy', key: 'client-secret' });
      expect(secretRefs.AUTH_SESSION_SECRET).toEqual({ name: 'backstage-oauth2-proxy', key: 'session-secret' });
    } else {
      expect(Object.keys(secretRefs)).not.toContain('KEYCLOAK_CLIENT_SECRET');
      expect(Object.keys(secretRefs)).not.toContain('AUTH_SESSION_SECRET');
    }
    const all = [...literals(m), m.appConfig() && JSON.stringify(m.appConfig()), ...m.all('ConfigMap').map((c) => JSON.stringify(c))].join('\n');
    for (const secret of EXAMPLE_SECRETS) expect(all).not.toContain(secret);
    for (const name of ['KEYCLOAK_CLIENT_SECRET', 'AUTH_SESSION_SECRET']) expect(values[name]).toBeUndefined();
  });

  it(`configures exactly one auth provider, ${PROVIDER[mode]}, and the sign-in page for it`, async () => {
    const app = (await render({ set: [`global.signIn.mode=${mode}`] })).appConfig();
    expect(Object.keys(app.auth.providers)).toEqual([PROVIDER[mode]]);
    expect(app.app.signInProvider).toBe(PROVIDER[mode]);
    expect(app.permission).toEqual({ enabled: true });
    expect(app.backstageKeycloak.permissions).toEqual({ adminGroups: ['/admins'], grants: { runTemplates: ['*'], registerEntities: [], deleteEntities: [], buildTechDocs: ['*'] } });
    expect(app.catalog.readonly).toBe(false);
    if (native) {
      expect(app.auth.session).toEqual({ secret: '${AUTH_SESSION_SECRET}' });
      expect(app.backstageKeycloak.endSessionUrl).toBe('https://keycloak.example.com/realms/backstage/protocol/openid-connect/logout');
    } else {
      expect(app.auth.session).toBeUndefined();
      expect(app.backstageKeycloak.endSessionUrl).toBeUndefined();
    }
  });

  it('renders with Helm 3 exactly as with Helm 4', async () => {
    const opts = { valuesFiles: [EXAMPLE_VALUES], mode, set: ['backstage.postgresql.auth.existingSecret=pg', `global.signIn.session.existingSecret=${native ? 'session' : ''}`] };
    const dir = await chartDir();
    const [v4, v3] = await Promise.all([helmTemplate(dir, opts), helmTemplate(dir, { ...opts, helmBin: await ensureTool('helm3') })]);
    expect(v4.ok, v4.stderr).toBe(true);
    expect(v3.ok, v3.stderr).toBe(true);
    expect(v3.objects).toEqual(v4.objects);
    expect(new Release(v3.objects).podSpec().containers.length).toBe(native ? 1 : 2);
  });
});

describe('native providers', () => {
  it('oidc: discovery from the issuer, the client id and secret by ${ENV}, prompt auto; groups scope and allowed groups/roles for the resolver', async () => {
    const app = (await render({ values: { global: { signIn: { mode: 'oidc' }, keycloak: { allowedGroups: ['/admins'], allowedRoles: ['backstage:user'] } } } })).appConfig();
    expect(app.auth.providers.oidc).toEqual({
      production: {
        metadataUrl: 'https://keycloak.example.com/realms/backstage/.well-known/openid-configuration',
        clientId: '${KEYCLOAK_CLIENT_ID}',
        clientSecret: '${KEYCLOAK_CLIENT_SECRET}',
        prompt: 'auto',
        additionalScopes: ['groups'],
      },
    });
    expect(app.backstageKeycloak.signIn).toEqual({ allowedGroups: ['/admins'], allowedRoles: ['backstage:user'] });
    expect(app.backstageKeycloak.userinfoUrl).toBeUndefined();
  });

  it('oidc with internalUrl: discovery in-cluster (Keycloak answers with the public issuer)', async () => {
    const app = (await render({ set: ['global.signIn.mode=oidc', 'global.keycloak.internalUrl=http://keycloak.kc.svc:8080'] })).appConfig();
    expect(app.auth.providers.oidc.production.metadataUrl).toBe('http://keycloak.kc.svc:8080/realms/backstage/.well-known/openid-configuration');
    expect(app.backstageKeycloak.endSessionUrl).toBe('https://keycloak.example.com/realms/backstage/protocol/openid-connect/logout');
  });

  it('oauth2: explicit URLs, the browser to the public authorization endpoint, token and userinfo in-cluster', async () => {
    const app = (await render({ set: ['global.signIn.mode=oauth2', 'global.keycloak.internalUrl=http://keycloak.kc.svc:8080', 'global.signIn.prompt=login'] })).appConfig();
    expect(app.auth.providers.oauth2).toEqual({
      production: {
        authorizationUrl: 'https://keycloak.example.com/realms/backstage/protocol/openid-connect/auth',
        tokenUrl: 'http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/token',
        clientId: '${KEYCLOAK_CLIENT_ID}',
        clientSecret: '${KEYCLOAK_CLIENT_SECRET}',
        prompt: 'login',
        additionalScopes: [],
      },
    });
    expect(app.backstageKeycloak.userinfoUrl).toBe('http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/userinfo');
  });

  it('an existing Secret for the client and the session secret is referenced, and ours then holds neither', async () => {
    const m = await render({ values: { global: { signIn: { mode: 'oauth2', session: { existingSecret: 'bk-session', existingSecretKey: 'secret' } }, keycloak: { clientSecret: '', existingSecret: 'kc-client' } } } });
    const { secretRefs } = envOf(m.backstage());
    expect(secretRefs.KEYCLOAK_CLIENT_SECRET).toEqual({ name: 'kc-client', key: 'client-secret' });
    expect(secretRefs.AUTH_SESSION_SECRET).toEqual({ name: 'bk-session', key: 'secret' });
    expect(Object.keys(m.secretData('backstage-oauth2-proxy')).sort()).toEqual(['catalog-client-secret']);
  });

  it('a given session secret is stored in our Secret, never in the pod spec or the config', async () => {
    const m = await render({ set: ['global.signIn.mode=oidc', 'global.signIn.session.secret=given-session-secret-0123456789'] });
    expect(m.secretData('backstage-oauth2-proxy')['session-secret']).toBe('given-session-secret-0123456789');
    expect(m.text.split('given-session-secret').length).toBe(1);
  });
});

describe('permissions', () => {
  it('admin groups, grants and catalog.readonly come from global.permissions', async () => {
    const permissions = { adminGroups: ['/platform', '/org/sre'], grants: { runTemplates: ['/developers'], registerEntities: ['*'], deleteEntities: ['/org/sre'], buildTechDocs: ['/writers'] }, catalogReadonly: true };
    const app = (await render({ values: { global: { permissions } } })).appConfig();
    expect(app.backstageKeycloak.permissions).toEqual({ adminGroups: ['/platform', '/org/sre'], grants: permissions.grants });
    expect(app.catalog.readonly).toBe(true);
  });

  it('a group that is not a full Keycloak path is refused at render, naming the value and the fix (issue 17: a subgroup could carry the name)', async () => {
    const err = await renderError({ values: { global: { permissions: { adminGroups: ['admins', '/ok', 'group:default/sre'] } } } });
    expect(err).toMatch(/global\.permissions\.adminGroups\[0\]="admins" is not a full Keycloak group path: write the group's path as Keycloak shows it, e\.g\. "\/admins" for a top-level group or "\/parent\/admins" for a subgroup/);
    expect(err).toMatch(/global\.permissions\.adminGroups\[2\]="group:default\/sre" is not a full Keycloak group path: .*e\.g\. "\/sre"/);
    expect(err).not.toMatch(/adminGroups\[1\]/);
    const grants = await renderError({ values: { global: { permissions: { grants: { runTemplates: ['developers'], deleteEntities: ['/a/'] } } } } });
    expect(grants).toMatch(/global\.permissions\.grants\.runTemplates\[0\]="developers" is neither a full Keycloak group path nor "\*": write the group's path, e\.g\. "\/developers", or "\*" for every signed-in user/);
    expect(grants).toMatch(/global\.permissions\.grants\.deleteEntities\[0\]="\/a\/" is neither a full Keycloak group path/);
    // `*` is for grants only: admins must be a group.
    expect(await renderError({ values: { global: { permissions: { adminGroups: ['*'] } } } })).toMatch(/adminGroups\[0\]="\*" is not a full Keycloak group path/);
  });

  it('the permission framework cannot be switched off through appConfig', async () => {
    expect(await renderError({ set: ['backstage.backstage.appConfig.permission.enabled=false'] })).toMatch(/appConfig\.permission\.enabled="false", but the chart derives "true" from global\.permissions\.adminGroups/);
  });
});

describe('validation: values meant for another mode are refused, naming them', () => {
  const cases: { name: string; values: Record<string, unknown>; message: RegExp }[] = [
    { name: 'an ID token header outside verifiedToken', values: { global: { signIn: { mode: 'oidc', idTokenHeader: 'x-my-token' } } }, message: /global\.signIn\.idTokenHeader="x-my-token" is read in global\.signIn\.mode=verifiedToken only, not oidc/ },
    { name: 'a prompt in a proxy mode', values: { global: { signIn: { mode: 'oauth2Proxy', prompt: 'login' } } }, message: /global\.signIn\.prompt="login" is sent by the native modes \(oidc, oauth2\) only, not oauth2Proxy/ },
    { name: 'a session secret in a proxy mode', values: { global: { signIn: { mode: 'verifiedToken', session: { secret: 'a-long-enough-session-secret' } } } }, message: /global\.signIn\.session\.secret is Backstage's session secret of the native modes \(oidc, oauth2\), unused in verifiedToken/ },
    { name: 'email domains in a native mode (an access restriction that would be dropped)', values: { global: { signIn: { mode: 'oidc' }, oauth2Proxy: { emailDomains: ['example.com'] } } }, message: /global\.oauth2Proxy\.emailDomains=\["example\.com"\] \(an access restriction: restrict by global\.keycloak\.allowedGroups\/allowedRoles or in Keycloak instead\) configures oauth2-proxy, which global\.signIn\.mode=oidc does not run/ },
    { name: 'proxy flags in a native mode', values: { global: { signIn: { mode: 'oauth2' }, oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SESSION_STORE_TYPE: 'redis' } } } }, message: /global\.oauth2Proxy\.extraEnv \(OAUTH2_PROXY_SESSION_STORE_TYPE\) configures oauth2-proxy, which global\.signIn\.mode=oauth2 does not run/ },
    { name: 'a proxy session lifetime in a native mode', values: { global: { signIn: { mode: 'oidc' }, oauth2Proxy: { cookie: { expire: '8h' } } } }, message: /global\.oauth2Proxy\.cookie\.expire="8h" configures oauth2-proxy, which global\.signIn\.mode=oidc does not run \(sessions are Backstage's, bounded by Keycloak's SSO session\)/ },
    { name: 'both a session secret and an existing Secret', values: { global: { signIn: { mode: 'oidc', session: { secret: 'a-long-enough-session-secret', existingSecret: 'bk' } } } }, message: /global\.signIn\.session\.secret and global\.signIn\.session\.existingSecret="bk" are both set: keep one/ },
    { name: 'a short session secret', values: { global: { signIn: { mode: 'oauth2', session: { secret: 'short' } } } }, message: /global\.signIn\.session\.secret must be at least 16 characters/ },
    { name: 'an unknown mode', values: { global: { signIn: { mode: 'saml' } } }, message: /value must be one of 'oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'/ },
    { name: 'a loopback listener in a native mode', values: { global: { signIn: { mode: 'oidc' } }, backstage: { backstage: { appConfig: { backend: { listen: { host: '127.0.0.1' } } } } } }, message: /listen\.host="127\.0\.0\.1": in global\.signIn\.mode=oidc nothing runs in front of Backstage, so a loopback listener is unreachable/ },
    { name: "another mode's provider config", values: { global: { signIn: { mode: 'oauth2' } }, backstage: { backstage: { appConfig: { auth: { providers: { oauth2Proxy: {} } } } } } }, message: /appConfig\.auth\.providers\.oauth2Proxy: the image registers only the provider of global\.signIn\.mode=oauth2 \(oauth2\)/ },
    { name: 'a provider setting the chart derives', values: { global: { signIn: { mode: 'oidc' } }, backstage: { backstage: { appConfig: { auth: { providers: { oidc: { production: { prompt: 'consent' } } } } } } } }, message: /appConfig\.auth\.providers\.oidc\.production\.prompt=consent, but the chart derives auto from global\.signIn\.prompt/ },
    { name: 'the client secret handed to Backstage in a proxy mode', values: { global: { extraEnvVars: [{ name: 'KEYCLOAK_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'backstage-oauth2-proxy', key: 'client-secret' } } }] } }, message: /global\.extraEnvVars\[0\] is named "KEYCLOAK_CLIENT_SECRET", which the chart's own item has/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      expect(await renderError({ values: c.values })).toMatch(c.message);
    });
  }

  it('refuses a native mode set alone, naming the two values that change with it and the file that holds them; and the reverse', async () => {
    for (const mode of ['oidc', 'oauth2']) {
      const err = await renderError({ set: [`global.signIn.mode=${mode}`], modeValues: false });
      expect(err).toMatch(new RegExp(`global\\.signIn\\.mode=${mode} runs no oauth2-proxy sidecar, but backstage\\.backstage\\.extraContainers still holds the chart's sidecar item: apply values/modes/native\\.yaml \\(backstage\\.backstage\\.extraContainers: \\[\\] and backstage\\.service\\.ports\\.targetPort: backend\\)`));
      expect(err).toMatch(/backstage\.service\.ports\.targetPort="oauth2-proxy": in global\.signIn\.mode=\w+ the Service sends traffic to Backstage's port "backend": apply values\/modes\/native\.yaml/);
    }
    // Back to a proxy mode with the native values still applied (e.g. helm upgrade --reuse-values).
    const back = await renderError({ valuesFiles: [NATIVE_MODE_VALUES], set: ['global.signIn.mode=verifiedToken'], modeValues: false });
    expect(back).toMatch(/global\.signIn\.mode=verifiedToken needs the oauth2-proxy sidecar, but backstage\.backstage\.extraContainers is empty \(values\/modes\/native\.yaml is for the native modes only\): remove backstage\.backstage\.extraContainers and backstage\.service\.ports\.targetPort from your values \(with helm upgrade --reuse-values, add --reset-values\)/);
    expect(back).toMatch(/backstage\.service\.ports\.targetPort="backend": in global\.signIn\.mode=verifiedToken the Service must send traffic to the sidecar's port "oauth2-proxy"/);
  });

  it("accepts the proxy's own plumbing in a native mode (switching needs only the mode and its values file): cookie secret, trusted proxy IPs", async () => {
    const m = await render({ set: ['global.signIn.mode=oidc'] }); // values/example.yaml sets both
    expect(m.podSpec().containers).toHaveLength(1);
    expect(m.secretData('backstage-oauth2-proxy')['cookie-secret']).toBeUndefined();
  });
});
