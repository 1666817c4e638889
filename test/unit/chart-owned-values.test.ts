/**
 * Values the chart derives and depends on cannot be overridden into a broken pod: every escape hatch
 * (extraEnv, the pod's lists and the global.* additions to them, appConfig, args, probes,
 * annotations) that would change such a setting is refused at render time, naming the value to set instead; and values that
 * oauth2-proxy, Keycloak, Backstage or Kubernetes would reject at run time are refused, naming them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { render, renderError } from '../support/chart.ts';
import { configTest } from '../support/oauth2-proxy.ts';

type Values = Record<string, any>;

async function defaults(): Promise<Values> {
  return parseYaml(await readFile(path.join(repoRoot, 'values.yaml'), 'utf8'));
}

let defaultValues: Values;

/** The items values.yaml gives one of the four lists the chart builds. */
function chartItems(key: string): Values[] {
  return structuredClone(defaultValues.backstage.backstage[key]);
}

/** A user's copy of the rendered oauth2-proxy container in backstage.backstage.extraContainers, changed by `edit`. */
async function sidecarCopy(edit: (c: Values) => void): Promise<Values> {
  const c = structuredClone((await render()).sidecar()) as Values;
  edit(c);
  return { backstage: { backstage: { extraContainers: [c] } } };
}

const cases: { name: string; values: () => Values | Promise<Values>; message: RegExp }[] = [
  // global.oauth2Proxy.extraEnv
  { name: 'extraEnv: the issuer', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_OIDC_ISSUER_URL: 'https://other/realms/x' } } } }), message: /global\.oauth2Proxy\.extraEnv\.OAUTH2_PROXY_OIDC_ISSUER_URL: the chart derives this setting and depends on it; set global\.keycloak\.issuerUrl instead/ },
  { name: 'extraEnv: the redirect URL', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_REDIRECT_URL: 'https://x/oauth2/callback' } } } }), message: /extraEnv\.OAUTH2_PROXY_REDIRECT_URL: .*set global\.host \(and global\.allowInsecureHttp\) instead/ },
  { name: 'extraEnv: the cookie lifetime', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_COOKIE_EXPIRE: '1h' } } } }), message: /extraEnv\.OAUTH2_PROXY_COOKIE_EXPIRE: .*set global\.oauth2Proxy\.cookie\.expire instead/ },
  { name: 'extraEnv: the upstream', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_UPSTREAMS: 'http://127.0.0.1:8080/' } } } }), message: /extraEnv\.OAUTH2_PROXY_UPSTREAMS: the chart fixes this setting and Backstage depends on it; remove it/ },
  { name: 'extraEnv: the in-cluster token URL', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_REDEEM_URL: 'http://kc/token' } } } }), message: /extraEnv\.OAUTH2_PROXY_REDEEM_URL: .*set global\.keycloak\.internalUrl instead/ },
  { name: 'extraEnv: login-free routes', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SKIP_AUTH_REGEX: '^/api/' } } } }), message: /extraEnv\.OAUTH2_PROXY_SKIP_AUTH_REGEX: the chart fixes this setting/ },
  { name: 'extraEnv: basic auth (replaces Authorization)', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_BASIC_AUTH_PASSWORD: 'x' } } } }), message: /extraEnv\.OAUTH2_PROXY_BASIC_AUTH_PASSWORD: it makes oauth2-proxy send Authorization: Basic/ },
  { name: 'extraEnv: a minimal session with cookie refresh', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SESSION_COOKIE_MINIMAL: 'true' } } } }), message: /extraEnv\.OAUTH2_PROXY_SESSION_COOKIE_MINIMAL=true drops the tokens from the session/ },
  { name: 'extraEnv: a lower-case name', values: () => ({ global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_session_store_type: 'redis' } } } }), message: /extraEnv\.OAUTH2_PROXY_session_store_type: only OAUTH2_PROXY_\* settings \(upper case, digits, '_'\) belong here/ },
  // the pod's lists: built by the chart; a copy of the sidecar (any edit of it) is refused, naming where your items go
  { name: 'a copied sidecar entry with another image', values: () => sidecarCopy((c) => (c.image = 'quay.io/oauth2-proxy/oauth2-proxy:v7.16.0')), message: /backstage\.backstage\.extraContainers is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(oauth2-proxy\): remove backstage\.backstage\.extraContainers from your values and list your own items under global\.extraContainers/ },
  { name: 'a copied sidecar entry with a flag that switches a protection off', values: () => sidecarCopy((c) => (c.args = ['--trusted-ip=0.0.0.0/0'])), message: /backstage\.backstage\.extraContainers is built by the chart .*list your own items under global\.extraContainers/ },
  { name: 'the chart item with a container appended to it (the old way)', values: () => ({ backstage: { backstage: { extraContainers: [...chartItems('extraContainers'), { name: 'other', image: 'busybox:1.37.0' }] } } }), message: /backstage\.backstage\.extraContainers is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(other\): .*under global\.extraContainers/ },
  { name: 'a container of yours named like the sidecar', values: () => ({ global: { extraContainers: [{ name: 'oauth2-proxy', image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.16.0', args: ['--skip-auth-regex=.*'] }] } }), message: /global\.extraContainers\[0\] is named "oauth2-proxy", which the chart's own item has: choose another name/ },
  { name: 'extraEnvVars replaced', values: () => ({ backstage: { backstage: { extraEnvVars: [{ name: 'TZ', value: 'UTC' }] } } }), message: /backstage\.backstage\.extraEnvVars is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(TZ\): remove backstage\.backstage\.extraEnvVars from your values and list your own items under global\.extraEnvVars/ },
  { name: 'extraVolumes replaced', values: () => ({ backstage: { backstage: { extraVolumes: [{ name: 'tmp', emptyDir: {} }] } } }), message: /backstage\.backstage\.extraVolumes is built by the chart .*\(tmp\): .*under global\.extraVolumes/ },
  { name: 'extraVolumeMounts replaced', values: () => ({ backstage: { backstage: { extraVolumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] } } }), message: /backstage\.backstage\.extraVolumeMounts is built by the chart .*under global\.extraVolumeMounts/ },
  { name: "an env entry of yours that shadows the chart's client id", values: () => ({ global: { extraEnvVars: [{ name: 'KEYCLOAK_CLIENT_ID', value: 'other' }] } }), message: /global\.extraEnvVars\[0\] is named "KEYCLOAK_CLIENT_ID", which the chart's own item has/ },
  { name: 'an env entry of yours that overrides the sign-in provider through APP_CONFIG_', values: () => ({ global: { extraEnvVars: [{ name: 'APP_CONFIG_auth_providers_guest', value: '{}' }] } }), message: /global\.extraEnvVars\[0\] APP_CONFIG_auth_providers_guest would override configuration the chart derives from global\.\*/ },
  { name: 'a volume of yours named like the sidecar\'s alpha config', values: () => ({ global: { extraVolumes: [{ name: 'oauth2-proxy-alpha', configMap: { name: 'mine' } }] } }), message: /global\.extraVolumes\[0\] is named "oauth2-proxy-alpha", which the chart's own item has/ },
  { name: 'a mount of yours over the sign-in configuration', values: () => ({ global: { extraVolumes: [{ name: 'mine', configMap: { name: 'mine' } }], extraVolumeMounts: [{ name: 'mine', mountPath: '/etc/backstage-keycloak' }] } }), message: /global\.extraVolumeMounts\[0\] mounts at "\/etc\/backstage-keycloak", where the chart mounts \/tmp or the sign-in configuration/ },
  { name: 'args that no longer load the sign-in configuration', values: () => ({ backstage: { backstage: { args: ['--config', 'app-config.yaml'] } } }), message: /backstage\.backstage\.args=\["--config","app-config\.yaml"\] lacks "--config", "\/etc\/backstage-keycloak\/app-config\.sign-in\.yaml": Backstage reads its sign-in provider and settings from that file/ },
  // appConfig values the chart derives
  { name: 'appConfig: another base URL', values: () => ({ backstage: { backstage: { appConfig: { app: { baseUrl: 'https://portal.example.com' } } } } }), message: /backstage\.backstage\.appConfig\.app\.baseUrl="https:\/\/portal\.example\.com", but the chart derives "https:\/\/backstage\.example\.com" from global\.host \(and global\.allowInsecureHttp\) and depends on it: set global\.host \(and global\.allowInsecureHttp\) instead/ },
  { name: 'appConfig: another listen port', values: () => ({ backstage: { backstage: { appConfig: { backend: { listen: { port: 8080 } } } } } }), message: /appConfig\.backend\.listen\.port="8080": the sidecar's upstream and the upstream chart's container port are 7007/ },
  { name: 'appConfig: another sign-in provider', values: () => ({ backstage: { backstage: { appConfig: { app: { signInProvider: 'guest' } } } } }), message: /appConfig\.app\.signInProvider="guest", but the chart derives "oauth2Proxy" from global\.signIn\.mode/ },
  { name: 'appConfig: dead sign-in resolvers', values: () => ({ backstage: { backstage: { appConfig: { auth: { providers: { oauth2Proxy: { signIn: { resolvers: [{ resolver: 'emailMatchingUserEntityProfileEmail' }] } } } } } } } }), message: /appConfig\.auth\.providers\.oauth2Proxy\.signIn is not read: the app's oauth2Proxy module signs users in by preferred_username, then email/ },
  { name: 'appConfig: another JWKS URL', values: () => ({ global: { signIn: { mode: 'verifiedToken' } }, backstage: { backstage: { appConfig: { auth: { providers: { oidcProxy: { jwksUrl: 'https://x/certs' } } } } } } }), message: /appConfig\.auth\.providers\.oidcProxy\.jwksUrl=https:\/\/x\/certs, but the chart derives .* from global\.signIn\.mode and global\.keycloak\.issuerUrl\/internalUrl/ },
  { name: "appConfig: another mode's provider", values: () => ({ backstage: { backstage: { appConfig: { auth: { providers: { oidcProxy: { jwksUrl: 'https://x/certs' } } } } } } }), message: /appConfig\.auth\.providers\.oidcProxy: the image registers only the provider of global\.signIn\.mode=oauth2Proxy \(oauth2Proxy\), so this would be dead configuration/ },
  { name: 'appConfig: a literal catalog secret', values: () => ({ backstage: { backstage: { appConfig: { catalog: { providers: { keycloakOrg: { default: { clientSecret: 's3cret' } } } } } } } }), message: /keycloakOrg\.default\.clientSecret="s3cret", but the chart derives "\$\{KEYCLOAK_CATALOG_CLIENT_SECRET\}" from global\.keycloak\.catalogSync\.clientSecret or existingSecret/ },
  // the rest of the pod's wiring
  { name: 'a probe straight to Backstage', values: () => ({ backstage: { backstage: { readinessProbe: { httpGet: { port: 7007 } } } } }), message: /backstage\.backstage\.readinessProbe\.httpGet=.*"port":7007.*: probe Backstage's health listener \(port health\)/ },
  { name: 'a probe through the proxy (no login-free route there)', values: () => ({ backstage: { backstage: { livenessProbe: { httpGet: { port: 4180 } } } } }), message: /backstage\.backstage\.livenessProbe\.httpGet=.*"port":4180.*: probe Backstage's health listener \(port health\).*oauth2-proxy serves no route without a login/ },
  { name: 'extraPorts replaced', values: () => ({ backstage: { backstage: { extraPorts: [{ name: 'debug', containerPort: 9229 }] } } }), message: /backstage\.backstage\.extraPorts lacks the port health \(containerPort 7008\)/ },
  { name: 'a second probe handler', values: () => ({ backstage: { backstage: { livenessProbe: { tcpSocket: { port: 4180 } } } } }), message: /backstage\.backstage\.livenessProbe sets exec\/tcpSocket\/grpc: Helm merges it with the chart's httpGet/ },
  { name: 'a checksum annotation replaced', values: () => ({ backstage: { backstage: { podAnnotations: { 'checksum/oauth2-proxy-secret': 'x' } } } }), message: /podAnnotations\.checksum\/oauth2-proxy-secret is not the chart's checksum/ },
];

const runtime: { name: string; values: Values; message: RegExp }[] = [
  { name: 'a refresh without a unit', values: { global: { oauth2Proxy: { cookie: { refresh: '240' } } } }, message: /global\.oauth2Proxy\.cookie\.refresh="240" is not a duration of hours, minutes and seconds/ },
  { name: 'a negative expire', values: { global: { oauth2Proxy: { cookie: { expire: '-30m' } } } }, message: /global\.oauth2Proxy\.cookie\.expire="-30m" is not a duration/ },
  { name: 'a duration beyond Go\'s range', values: { global: { oauth2Proxy: { cookie: { expire: '3000000h' } } } }, message: /cookie\.expire="3000000h" is not a duration/ },
  { name: 'an integer expire without a unit', values: { global: { oauth2Proxy: { cookie: { expire: 30 } } } }, message: /cookie\.expire="30" is not a duration/ },
  { name: 'a __Host- cookie with a domain (browsers drop it)', values: { global: { oauth2Proxy: { cookie: { name: '__Host-bk', domains: ['.example.com'] } } } }, message: /global\.oauth2Proxy\.cookie\.name="__Host-bk": browsers drop a __Host- cookie unless it is Secure and has no Domain/ },
  { name: 'a __Secure- cookie without Secure', values: { global: { oauth2Proxy: { cookie: { name: '__Secure-bk', secure: false } } } }, message: /cookie\.name="__Secure-bk": browsers drop a __Secure- cookie unless it is Secure/ },
  { name: 'a cookie name with a space', values: { global: { oauth2Proxy: { cookie: { name: 'my cookie' } } } }, message: /global\.oauth2Proxy\.cookie\.name="my cookie" is not a cookie name/ },
  { name: 'a CIDR with host bits (oauth2-proxy refuses 10.0.0.1/8)', values: { global: { oauth2Proxy: { trustedProxyIPs: ['10.0.0.1/8'] } } }, message: /trustedProxyIPs\[0\]="10\.0\.0\.1\/8" is not an IP address or CIDR that oauth2-proxy accepts/ },
  { name: 'an IPv6 CIDR with host bits', values: { global: { oauth2Proxy: { trustedProxyIPs: ['fd00::/8', '2001:db8::1/64'] } } }, message: /trustedProxyIPs\[1\]="2001:db8::1\/64"/ },
  { name: 'a prefix too long', values: { global: { oauth2Proxy: { trustedProxyIPs: ['10.0.0.0/33'] } } }, message: /trustedProxyIPs\[0\]="10\.0\.0\.0\/33"/ },
  { name: 'an allowed group by bare name (a subgroup anywhere could carry it)', values: { global: { keycloak: { allowedGroups: ['admins'] } } }, message: /global\.keycloak\.allowedGroups\[0\]="admins" is not a full Keycloak group path such as \/admins/ },
  { name: 'a group with a comma (oauth2-proxy splits on it)', values: { global: { keycloak: { allowedGroups: ['/a,b'] } } }, message: /global\.keycloak\.allowedGroups\[0\]="\/a,b" contains a comma/ },
  { name: 'an empty role', values: { global: { keycloak: { allowedRoles: [''] } } }, message: /global\.keycloak\.allowedRoles\[0\] is empty/ },
  { name: 'a "$" in a group (expanded in the alpha config)', values: { global: { keycloak: { allowedGroups: ['$HOME'] } } }, message: /allowedGroups\[0\]="\$HOME" contains a comma, "\$"/ },
  { name: 'an email domain with a space', values: { global: { oauth2Proxy: { emailDomains: ['exa mple.com'] } } }, message: /emailDomains\[0\]="exa mple\.com" is not an email domain/ },
  { name: 'a cookie domain with an underscore', values: { global: { oauth2Proxy: { cookie: { domains: ['my_domain.com'] } } } }, message: /cookie\.domains\[0\]="my_domain\.com" is not a domain/ },
  { name: 'an upper-case host', values: { global: { host: 'Backstage.example.com' } }, message: /global\.host="Backstage\.example\.com" has upper-case letters/ },
  { name: 'a host with an empty label', values: { global: { host: 'backstage..example.com' } }, message: /global\.host="backstage\.\.example\.com" is not a DNS name/ },
  { name: 'a host port out of range', values: { global: { host: 'backstage.example.com:70000' } }, message: /global\.host="backstage\.example\.com:70000" has port 70000/ },
  { name: 'an IP host with an Ingress', values: { global: { host: '10.1.2.3' }, backstage: { ingress: { enabled: true } } }, message: /global\.host="10\.1\.2\.3" is an IP address, which an Ingress rule cannot carry/ },
  { name: 'an issuer with a space', values: { global: { keycloak: { issuerUrl: 'https://kc.example.com/realms/my realm' } } }, message: /global\.keycloak\.issuerUrl="https:\/\/kc\.example\.com\/realms\/my realm" is not an http\(s\) URL/ },
  { name: 'an issuer without /realms/<realm>', values: { global: { keycloak: { issuerUrl: 'https://kc.example.com/auth' } } }, message: /global\.keycloak\.issuerUrl="https:\/\/kc\.example\.com\/auth" does not end in \/realms\/<realm>/ },
  { name: 'an issuer port out of range', values: { global: { keycloak: { issuerUrl: 'https://kc.example.com:99999/realms/x' } } }, message: /issuerUrl="https:\/\/kc\.example\.com:99999\/realms\/x" has port 99999/ },
  { name: 'an in-cluster URL with a query', values: { global: { keycloak: { internalUrl: 'http://kc:8080?x=1' } } }, message: /global\.keycloak\.internalUrl="http:\/\/kc:8080\?x=1" is not an http\(s\) URL/ },
  { name: 'an ID token header the proxy already injects', values: { global: { signIn: { idTokenHeader: 'X-Forwarded-User' } } }, message: /global\.signIn\.idTokenHeader="X-Forwarded-User" is a header the proxy or HTTP already uses/ },
  { name: 'an ID token header with a space', values: { global: { signIn: { idTokenHeader: 'x id' } } }, message: /global\.signIn\.idTokenHeader="x id" is not a header name/ },
  { name: 'a client id with a quote', values: { global: { keycloak: { clientId: 'back"stage' } } }, message: /global\.keycloak\.clientId="back\\"stage" contains a quote, a backslash or a control character/ },
  { name: 'a client secret with a trailing newline', values: { global: { keycloak: { clientSecret: 'secret\n' } } }, message: /global\.keycloak\.clientSecret contains a quote, a backslash or a control character \(a trailing newline\?\)/ },
  { name: 'a catalog client id with a quote (written into app-config)', values: { global: { keycloak: { catalogSync: { clientId: "cat'alog" } } } }, message: /global\.keycloak\.catalogSync\.clientId="cat'alog" is not a plain client id/ },
  { name: 'a Secret name Kubernetes refuses', values: { global: { keycloak: { clientSecret: '', existingSecret: 'My_Secret' } } }, message: /global\.keycloak\.existingSecret="My_Secret" is not a Secret name/ },
  { name: 'the latest tag', values: { global: { oauth2Proxy: { image: { tag: 'latest' } } } }, message: /global\.oauth2Proxy\.image\.tag=latest is not a pinned version/ },
  { name: 'an upper-case repository', values: { tests: { image: { repository: 'Library/BusyBox' } } }, message: /tests\.image\.repository="Library\/BusyBox" is not an image repository/ },
  { name: 'a short digest', values: { global: { oauth2Proxy: { image: { digest: 'sha256:abc' } } } }, message: /global\.oauth2Proxy\.image\.digest="sha256:abc" is not an image digest/ },
  { name: 'an old oauth2-proxy with a suffix', values: { global: { oauth2Proxy: { image: { tag: 'v7.14.0-alpine' } } } }, message: /global\.oauth2Proxy\.image\.tag="v7\.14\.0-alpine" is older than v7\.15\.5/ },
];

describe('values the chart owns cannot be overridden into a broken pod', () => {
  beforeAll(async () => {
    defaultValues = await defaults();
  });
  for (const c of cases) {
    it(`refuses ${c.name}, naming the value to set instead`, async () => {
      expect(await renderError({ values: await c.values() })).toMatch(c.message);
    });
  }

  it('accepts what does not touch them: a literal equal to the derived value, other appConfig, your container, volume, mount and env through global.*, other proxy settings', async () => {
    const m = await render({
      values: {
        global: {
          oauth2Proxy: { extraEnv: { OAUTH2_PROXY_FORCE_JSON_ERRORS: 'true', OAUTH2_PROXY_FLUSH_INTERVAL: '2s' } },
          extraContainers: [{ name: 'other', image: 'busybox:1.37.0' }],
          extraVolumes: [{ name: 'certs', configMap: { name: '{{ .Release.Name }}-ca' } }],
          extraVolumeMounts: [{ name: 'certs', mountPath: '/etc/ssl/custom', readOnly: true }],
          extraEnvVars: [{ name: 'TZ', value: 'UTC' }, { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/custom/ca.crt' }],
        },
      },
      set: ['backstage.backstage.appConfig.app.baseUrl=https://backstage.example.com', 'backstage.backstage.appConfig.organization.name=Example'],
    });
    const pod = m.podSpec();
    expect(pod.containers.map((c) => c.name)).toEqual(['backstage-backend', 'oauth2-proxy', 'other']);
    // (the upstream chart adds its own app-config volume after the list)
    expect(pod.volumes!.map((v) => v.name).filter((n) => n !== 'backstage-app-config')).toEqual(['tmp', 'oauth2-proxy-alpha', 'backstage-keycloak-sign-in', 'certs']);
    // the user's items go through tpl like the upstream chart's own values
    expect(pod.volumes!.find((v) => v.name === 'certs')!.configMap!.name).toBe('backstage-ca');
    expect(m.backstage().volumeMounts!.map((v) => v.mountPath).filter((p) => !p.endsWith('app-config-from-configmap.yaml'))).toEqual(['/tmp', '/etc/backstage-keycloak', '/etc/ssl/custom']);
    const env = m.backstage().env!.map((e) => e.name);
    expect(env.slice(-2)).toEqual(['TZ', 'NODE_EXTRA_CA_CERTS']);
    expect(env).toEqual(expect.arrayContaining(['BACKSTAGE_SIGNIN_MODE', 'KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CATALOG_CLIENT_SECRET']));
    // the sidecar's settings come from the chart's ConfigMap only: no value reaches its args
    expect(m.sidecar().args).toEqual(['--alpha-config=']);
    expect(m.sidecar().envFrom).toEqual([{ configMapRef: { name: 'backstage-oauth2-proxy' } }]);
  });

  it('refuses a minimal session only where it breaks: accepted with cookie refresh off in oauth2Proxy mode', async () => {
    await expect(render({ values: { global: { oauth2Proxy: { cookie: { refresh: '0' }, extraEnv: { OAUTH2_PROXY_SESSION_COOKIE_MINIMAL: 'true' } } } } })).resolves.toBeTruthy();
    expect(await renderError({ values: { global: { signIn: { mode: 'verifiedToken' }, oauth2Proxy: { cookie: { refresh: '0' }, extraEnv: { OAUTH2_PROXY_SESSION_COOKIE_MINIMAL: 'true' } } } } })).toMatch(/SESSION_COOKIE_MINIMAL=true drops the tokens/);
  });
});

describe('values oauth2-proxy, Keycloak, Backstage or Kubernetes would reject at run time are refused at render time', () => {
  for (const c of runtime) {
    it(`refuses ${c.name}`, async () => {
      expect(await renderError({ values: c.values })).toMatch(c.message);
    });
  }

  it('accepts the valid forms of the same values, and so does the real oauth2-proxy', async () => {
    const m = await render({
        values: {
          global: {
            host: 'backstage.example.com:8443',
            keycloak: { issuerUrl: 'https://sso.example.com:8443/auth/realms/eng-team', internalUrl: 'http://keycloak.kc.svc.cluster.local:8080/auth', allowedGroups: ['/admins', '/team/sub group'], allowedRoles: ['backstage:user'] },
            oauth2Proxy: { cookie: { name: '__Secure-bk', refresh: '1h2m3s', expire: '168h', domains: ['.example.com'] }, trustedProxyIPs: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1', '2001:db8::/32', '::ffff:10.0.0.0/104'], emailDomains: ['example.com', '*.example.org'] },
            signIn: { mode: 'verifiedToken', idTokenHeader: 'X-Id-Token' },
          },
        },
      });
    const res = await configTest(m);
    expect(res.ok, res.output).toBe(true);
  });
});
