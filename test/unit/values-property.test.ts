/**
 * Property: whatever a user puts into the keys of the example values (random types, strings, URLs,
 * hosts, durations, CIDRs, secrets, proxy settings), either the render fails with a message that
 * names a mutated key, or the rendered release passes the strict schema (Helm checked it while
 * rendering) and the real oauth2-proxy accepts its configuration (`--config-test`, both modes).
 *
 * Bounded: BK_FC_RUNS runs (default 50) from a fixed seed, BK_FC_SEED (default below); a failure
 * prints the seed and the counterexample, and re-running with that seed reproduces it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render, type Manifest } from '../support/chart.ts';
import { configTest } from '../support/oauth2-proxy.ts';

const SEED = Number(process.env.BK_FC_SEED ?? 20261201);
const RUNS = Number(process.env.BK_FC_RUNS ?? 50);

// ---- value generators ------------------------------------------------------------------------

const anyScalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
/** Any JSON value: wrong types included. */
const anything = fc.oneof({ weight: 3, arbitrary: anyScalar }, { weight: 1, arbitrary: fc.array(anyScalar, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), anyScalar, { maxKeys: 2 }) });
/** Text without "{{" (a template in appConfig is the user's template, checked by Helm, not a value). */
const text = fc.string({ maxLength: 40 }).filter((s) => !s.includes('{{'));
const odd = fc.constantFrom('', ' ', '\n', 'a b', "it's", 'x"y', 'back\\slash', '$HOME', '${X}', '$(id)', 'ünï', '%zz', '#c', 'a,b', '-', '*', '0', 'latest', 'LATEST', 'true', '1.5');
const str = fc.oneof(text, odd);
const port = fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constantFrom(80, 443, 8080, 65535, 65536));
const host = fc.oneof(fc.domain(), fc.ipV4(), fc.constantFrom('localhost', 'Backstage.Example.com', 'a..b', '-a.com', 'a_b.com', `${'a'.repeat(64)}.com`, 'backstage.example.com'));
const hostPort = fc.oneof(host, fc.tuple(host, port).map(([h, p]) => `${h}:${p}`), str);
const realm = fc.oneof(fc.webSegment(), fc.constantFrom('backstage', 'my realm', 'a;b', 'x$(id)', '*', ''));
const url = fc.oneof(
  fc.webUrl(),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.constantFrom('http', 'https', 'ftp', 'HTTPS'), hostPort, fc.constantFrom('', '/auth', '/a/b', '/'), realm, fc.constantFrom('', '/', '?x=1', '#f')).map(([s, h, prefix, r, tail]) => `${s}://${h}${prefix}/realms/${r}${tail}`),
  fc.tuple(fc.constantFrom('http', 'https'), hostPort, fc.constantFrom('', '/', '/auth', '/realms/x')).map(([s, h, p]) => `${s}://${h}${p}`),
  str,
);
const duration = fc.oneof(
  fc.tuple(fc.option(fc.nat(200)), fc.option(fc.nat(200)), fc.option(fc.nat(200))).map(([h, m, s]) => `${h === null ? '' : `${h}h`}${m === null ? '' : `${m}m`}${s === null ? '' : `${s}s`}`),
  fc.constantFrom('0', '4m', '30m', '1h', '1.5h', '300ms', '-1m', '1d', '30', '10S', '99999999999h', '2562047h', '1h1h'),
  fc.integer({ min: -5, max: 100000 }),
  str,
);
const cidr = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([ip, p]) => `${ip}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 130 })).map(([ip, p]) => `${ip}/${p}`),
  fc.constantFrom('10.0.0.0/8', 'fd00::/8', '::/0', '0.0.0.0/0', '10.0.0.1/8', '::ffff:10.0.0.0/104', '01.2.3.4', '1::2::3', '10.0.0.0/08'),
  str,
);
const list = (item: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: fc.array(item, { maxLength: 3 }) }, { weight: 1, arbitrary: anything });
const secret = fc.oneof(fc.base64String({ minLength: 16, maxLength: 48 }), fc.string({ minLength: 10, maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url')), str);
const OWNED = ['OAUTH2_PROXY_OIDC_ISSUER_URL', 'OAUTH2_PROXY_UPSTREAMS', 'OAUTH2_PROXY_COOKIE_EXPIRE', 'OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER', 'OAUTH2_PROXY_CLIENT_SECRET', 'OAUTH2_PROXY_SKIP_AUTH_REGEX', 'OAUTH2_PROXY_BASIC_AUTH_PASSWORD', 'OAUTH2_PROXY_REDIRECT_URL'];
/** extraEnv: settings the chart owns, names that are no setting, and names oauth2-proxy does not know (so it ignores them). */
const extraEnvName = fc.oneof(fc.constantFrom(...OWNED), fc.stringMatching(/^OAUTH2_PROXY_X_[A-Z0-9_]{1,8}$/), fc.constantFrom('HTTP_PROXY', 'oauth2_proxy_x', 'OAUTH2_PROXY_x'));
const extraEnv = fc.oneof({ weight: 4, arbitrary: fc.dictionary(extraEnvName, fc.oneof(str, fc.integer(), fc.boolean()), { maxKeys: 3 }) }, { weight: 1, arbitrary: anything });

/** The keys mutated, with what to put in them (wrong types included through `anything`). */
const TARGETS: Record<string, fc.Arbitrary<unknown>> = {
  'global.host': fc.oneof(hostPort, anything),
  'global.allowInsecureHttp': fc.oneof(fc.boolean(), anything),
  'global.imageRegistry': fc.oneof(hostPort, str, anything),
  'global.signIn.mode': fc.oneof(fc.constantFrom('oauth2Proxy', 'verifiedToken', 'verifiedToken', 'headers'), anything),
  'global.signIn.idTokenHeader': fc.oneof(fc.constantFrom('x-oidc-id-token', 'X-Forwarded-Email', 'authorization', 'x_id', 'X-Id'), str, anything),
  'global.keycloak.issuerUrl': fc.oneof(url, anything),
  'global.keycloak.internalUrl': fc.oneof(url, anything),
  'global.keycloak.clientId': fc.oneof(str, fc.constantFrom('123', 'a #b', 'x: y', 'true'), anything),
  'global.keycloak.clientSecret': fc.oneof(secret, fc.constantFrom('a #b', 'x: y', '123'), anything),
  'global.keycloak.existingSecret': fc.oneof(fc.constantFrom('kc-client', 'My_Secret', ''), str, anything),
  'global.keycloak.allowedGroups': list(fc.oneof(fc.constantFrom('/admins', 'admins', '/a b'), str)),
  'global.keycloak.allowedRoles': list(fc.oneof(fc.constantFrom('backstage', 'app:user'), str)),
  'global.keycloak.catalogSync.clientId': fc.oneof(str, anything),
  'global.keycloak.catalogSync.clientSecret': fc.oneof(secret, anything),
  'global.keycloak.catalogSync.frequencyMinutes': fc.oneof(fc.integer({ min: -2, max: 100 }), anything),
  'global.oauth2Proxy.image.tag': fc.oneof(fc.constantFrom('v7.15.6', 'v7.15.4', 'v8.0.0', 'latest', 'v7.14.0-alpine', '7.15.6'), str, anything),
  'global.oauth2Proxy.image.registry': fc.oneof(hostPort, anything),
  'global.oauth2Proxy.cookieSecret': fc.oneof(secret, anything),
  'global.oauth2Proxy.cookie.name': fc.oneof(fc.constantFrom('_oauth2_proxy', '__Host-bk', '__Secure-bk', 'a b', 'a;b', 'x'.repeat(300)), str, anything),
  'global.oauth2Proxy.cookie.secure': fc.oneof(fc.boolean(), fc.constant(null), anything),
  'global.oauth2Proxy.cookie.sameSite': fc.oneof(fc.constantFrom('lax', 'strict', 'none', 'Lax', ''), anything),
  'global.oauth2Proxy.cookie.refresh': duration,
  'global.oauth2Proxy.cookie.expire': duration,
  'global.oauth2Proxy.cookie.domains': list(fc.oneof(fc.domain(), fc.domain().map((d) => `.${d}`), str)),
  'global.oauth2Proxy.emailDomains': list(fc.oneof(fc.domain(), fc.constant('*'), str)),
  'global.oauth2Proxy.trustedProxyIPs': list(cidr),
  'global.oauth2Proxy.extraEnv': extraEnv,
  'backstage.backstage.appConfig.backend.listen.host': fc.oneof(fc.constantFrom('127.0.0.1', '0.0.0.0', '::1', 'localhost'), text),
  'backstage.backstage.appConfig.backend.listen.port': fc.oneof(port, fc.constantFrom(7007, '7007'), text),
  'backstage.backstage.appConfig.app.baseUrl': fc.oneof(fc.constantFrom('https://backstage.example.com'), fc.webUrl(), text),
};

/** 1 to 3 distinct keys with values. */
const mutations = fc
  .uniqueArray(fc.constantFrom(...Object.keys(TARGETS)), { minLength: 1, maxLength: 3 })
  .chain((keys) => fc.tuple(...keys.map((k) => TARGETS[k]!.map((v) => [k, v] as const))));

function setPath(into: Record<string, any>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = into;
  for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
  cur[parts.at(-1)!] = value;
}

/** A message names the key in Helm's schema form (/a/b/c) or the chart's (a.b.c, a.b.c[0], a.b.c.KEY). */
function names(message: string, key: string): boolean {
  return message.includes(key) || message.includes(`'/${key.split('.').join('/')}`);
}

describe('mutated example values', () => {
  it(`render to a configuration oauth2-proxy accepts, or fail naming the mutated key (${RUNS} runs, seed ${SEED})`, async () => {
    let rendered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(mutations, async (muts) => {
        // The base: the example values with an in-cluster Keycloak URL (what most installs use).
        const values: Record<string, any> = { global: { keycloak: { internalUrl: 'http://keycloak.keycloak.svc:8080' } } };
        for (const [k, v] of muts) setPath(values, k, v);
        const keys = muts.map(([k]) => k);
        let m: Manifest;
        try {
          m = await render({ values });
        } catch (e) {
          const err = (e as Error).message;
          refused++;
          expect(keys.some((k) => names(err, k)), `the render failed without naming any of ${keys.join(', ')}:\n${err}`).toBe(true);
          return;
        }
        rendered++;
        const res = await configTest(m);
        expect(res.ok, `rendered, but oauth2-proxy refuses the configuration (${JSON.stringify(muts)}):\n${res.output}`).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // Both branches must be exercised, or the property says little.
    expect(rendered, 'no mutated values rendered').toBeGreaterThan(0);
    expect(refused, 'no mutated values were refused').toBeGreaterThan(0);
    console.log(`values property: ${rendered} rendered and accepted by oauth2-proxy, ${refused} refused naming the key (seed ${SEED})`);
  }, 600_000);
});
