import { describe, expect, it } from 'vitest';
import { render, renderError, USER_VALUES } from '../support/chart.ts';

/** Each case: values on top of the example, and the message that must name the value and the fix. */
const cases: { name: string; values?: Record<string, unknown>; set?: string[]; message: RegExp }[] = [
  { name: 'missing host', set: ['global.host='], message: /global\.host is required: set it to the public host name/ },
  { name: 'host given as a URL', set: ['global.host=https://backstage.example.com/'], message: /global\.host="https:\/\/backstage\.example\.com\/" is not a host name: give only the host/ },
  { name: 'missing issuer', set: ['global.keycloak.issuerUrl='], message: /global\.keycloak\.issuerUrl is required: set it to the realm's issuer/ },
  { name: 'issuer not http(s)', set: ['global.keycloak.issuerUrl=keycloak.example.com/realms/x'], message: /global\.keycloak\.issuerUrl="keycloak\.example\.com\/realms\/x" is not an http\(s\) URL/ },
  { name: 'issuer with trailing slash', set: ['global.keycloak.issuerUrl=https://keycloak.example.com/realms/backstage/'], message: /ends with "\/": remove the trailing slash; oauth2-proxy compares it exactly/ },
  { name: 'http issuer without the development switch', set: ['global.keycloak.issuerUrl=http://keycloak.example.com/realms/backstage'], message: /uses plain http: use https, or set global\.allowInsecureHttp=true for local development only/ },
  { name: 'missing client id', set: ['global.keycloak.clientId='], message: /global\.keycloak\.clientId is required/ },
  { name: 'neither client secret nor existing Secret', set: ['global.keycloak.clientSecret='], message: /global\.keycloak\.clientSecret is empty and global\.keycloak\.existingSecret is not set/ },
  { name: 'both client secret and existing Secret', set: ['global.keycloak.existingSecret=kc'], message: /global\.keycloak\.clientSecret and global\.keycloak\.existingSecret="kc" are both set: keep one/ },
  { name: 'cookie secret of 44 raw bytes (base64 with + and /)', set: ['global.oauth2Proxy.cookieSecret=q1+/w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x='], message: /global\.oauth2Proxy\.cookieSecret gives a 44-byte key, but oauth2-proxy needs 16, 24 or 32 bytes/ },
  { name: 'cookie secret too short', set: ['global.oauth2Proxy.cookieSecret=short'], message: /gives a 5-byte key/ },
  { name: 'cookie secret with a trailing newline', values: { global: { oauth2Proxy: { cookieSecret: `${'a'.repeat(32)}\n` } } }, message: /gives a 33-byte key/ },
  { name: 'extraEnv pass-authorization-header', values: { global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER: 'true' } } } }, message: /extraEnv\.OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER=true \(--pass-authorization-header\) breaks Backstage/ },
  { name: 'extraEnv set-authorization-header', values: { global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SET_AUTHORIZATION_HEADER: true } } } }, message: /\(--set-authorization-header\) breaks Backstage/ },
  { name: 'extraEnv skip-jwt-bearer-tokens', values: { global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: 'true' } } } }, message: /\(--skip-jwt-bearer-tokens\) breaks Backstage/ },
  { name: 'a secret in extraEnv', values: { global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_CLIENT_SECRET: 'x' } } } }, message: /secrets never go into the ConfigMap/ },
  { name: 'an old oauth2-proxy', set: ['global.oauth2Proxy.image.tag=v7.15.4'], message: /image\.tag="v7\.15\.4" is older than v7\.15\.5/ },
  { name: 'cookie refresh not below expire', set: ['global.oauth2Proxy.cookie.refresh=30m', 'global.oauth2Proxy.cookie.expire=30m'], message: /global\.oauth2Proxy\.cookie\.refresh="30m" must be shorter than global\.oauth2Proxy\.cookie\.expire="30m"/ },
  { name: 'SameSite=none on an insecure cookie', set: ['global.oauth2Proxy.cookie.sameSite=none', 'global.oauth2Proxy.cookie.secure=false'], message: /sameSite=none needs a Secure cookie/ },
  { name: 'internal URL with a realm path', set: ['global.keycloak.internalUrl=http://kc:8080/realms/backstage'], message: /internalUrl="http:\/\/kc:8080\/realms\/backstage" contains \/realms\/: give only Keycloak's base URL/ },
  {
    name: 'a replaced sidecar list without the proxy',
    values: { backstage: { backstage: { extraContainers: [{ name: 'other', image: 'busybox:1.37.0' }] } } },
    message: /backstage\.backstage\.extraContainers is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(other\): remove backstage\.backstage\.extraContainers from your values and list your own items under global\.extraContainers/,
  },
  {
    name: 'a sidecar arg that overwrites Authorization',
    values: { backstage: { backstage: { extraContainers: [{ name: 'oauth2-proxy', image: 'x:1', args: ['--pass-authorization-header'] }] } } },
    message: /backstage\.backstage\.extraContainers is built by the chart .*\(oauth2-proxy\): .*under global\.extraContainers/,
  },
  { name: 'catalog sync without a client secret', set: ['global.keycloak.catalogSync.clientSecret='], message: /global\.keycloak\.catalogSync is enabled but has no client secret: give the secret of the client "backstage-catalog"/ },
  { name: 'Backstage listening beyond loopback', set: ['backstage.backstage.appConfig.backend.listen.host=0.0.0.0'], message: /listen\.host="0\.0\.0\.0": in global\.signIn\.mode=oauth2Proxy Backstage trusts what the proxy forwards, so it must listen on loopback only/ },
  { name: 'Service targeting Backstage directly', set: ['backstage.service.ports.targetPort=backend'], message: /backstage\.service\.ports\.targetPort="backend": in global\.signIn\.mode=oauth2Proxy the Service must send traffic to the sidecar's port/ },
];

describe('render-time validation', () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const err = await renderError({ ...(c.values ? { values: c.values } : {}), ...(c.set ? { set: c.set } : {}) });
      expect(err).toMatch(c.message);
    });
  }

  it('lists every problem at once', async () => {
    const err = await renderError({ noExample: true });
    expect(err).toMatch(/global\.host is required/);
    expect(err).toMatch(/global\.keycloak\.issuerUrl is required/);
    expect(err).toMatch(/global\.keycloak\.clientId is required/);
    expect(err).toMatch(/global\.keycloak\.clientSecret is empty/);
  });

  it('the user values file fails loudly until its placeholders are filled', async () => {
    const err = await renderError({ noExample: true, valuesFiles: [USER_VALUES] });
    for (const key of ['global.host', 'global.keycloak.issuerUrl', 'global.keycloak.clientId', 'global.keycloak.clientSecret', 'global.keycloak.catalogSync.clientSecret']) {
      expect(err).toContain(`${key} still holds the placeholder`);
    }
    const filled = await render({
      noExample: true,
      valuesFiles: [USER_VALUES],
      // helm template cannot keep the generated cookie secret and the bundled database's passwords
      // (helm install can): this offline render accepts generated values explicitly.
      set: ['global.host=portal.example.org', 'global.keycloak.issuerUrl=https://sso.example.org/realms/eng', 'global.keycloak.clientId=portal', 'global.keycloak.clientSecret=s3cr3t-value', 'global.keycloak.catalogSync.clientSecret=catalog-s3cr3t', 'global.secrets.allowGenerated=true'],
    });
    expect(filled.configMap('backstage-oauth2-proxy').data!.OAUTH2_PROXY_REDIRECT_URL).toBe('https://portal.example.org/oauth2/callback');
  });

  it('accepts an http issuer for development when explicitly allowed', async () => {
    await expect(render({ set: ['global.allowInsecureHttp=true', 'backstage.backstage.appConfig.backend.csp.upgrade-insecure-requests=false', 'global.keycloak.issuerUrl=http://localhost:8080/realms/backstage'] })).resolves.toBeTruthy();
  });

  it('refuses plain http while the CSP would upgrade Backstage\'s scripts to https (blank page)', async () => {
    const err = await renderError({ set: ['global.allowInsecureHttp=true'] });
    expect(err).toMatch(/global\.allowInsecureHttp=true needs backstage\.backstage\.appConfig\.backend\.csp\.upgrade-insecure-requests: false/);
  });

  it('accepts well-formed cookie secrets of 16, 24 and 32 bytes', async () => {
    for (const s of ['0123456789abcdef', Buffer.alloc(24, 1).toString('base64url'), Buffer.alloc(32, 2).toString('base64url'), 'A'.repeat(32)]) {
      await expect(render({ values: { global: { oauth2Proxy: { cookieSecret: s } } } }), s).resolves.toBeTruthy();
    }
  });
});

describe('schemas', () => {
  it('the upstream chart schema is enforced on the backstage values (unknown key)', async () => {
    const err = await renderError({ values: { backstage: { backstage: { notAKey: true } } } });
    expect(err).toMatch(/notAKey|additional propert/i);
  });

  it('the upstream chart schema checks the sidecar as a Container (containerPort must be an integer)', async () => {
    const err = await renderError({
      values: { backstage: { backstage: { extraContainers: [{ name: 'oauth2-proxy', image: 'x:1', ports: [{ name: 'p', containerPort: '{{ 4180 }}' }] }] } } },
    });
    expect(err).toMatch(/containerPort/);
  });

  it('our schema rejects wrong types in our own keys', async () => {
    const err = await renderError({ values: { global: { keycloak: { allowedGroups: 'admins' } } } });
    expect(err).toMatch(/allowedGroups/);
  });
});
