/**
 * The native sign-in modes on the real backend: Backstage's own oidc provider (openid-client) and
 * generic oauth2 provider (passport-oauth2 + Keycloak-style userinfo) run the whole code flow
 * against an issuer served here with keys generated for the test (the sso tier does the same
 * against the real Keycloak in Chromium). Checked per mode: only that provider is served, the
 * authorization request, sign-in resolution (preferred_username, email fallback, clear 403),
 * allowed groups/roles enforced by the resolver, forged state and tampered tokens refused,
 * refresh from the cookie, sign-out.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../../scripts/lib/http.ts';
import { completeNative, nativeRefresh, nativeStart, type NativeProvider } from '../../scripts/lib/login/native.ts';
import { LoginError } from '../../scripts/lib/login/proxy.ts';
import { freePort } from '../../scripts/lib/run/process.ts';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer.ts';
import { busyboxApplets, runTestPod } from '../support/test-pod.ts';
import { renderRelease } from '../../scripts/lib/chart/release.ts';
import type { SubchartMode } from '../../scripts/lib/chart/assemble.ts';
import { EXAMPLE_VALUES } from '../../scripts/lib/run/stack.ts';
import { ALL_PROVIDERS, providerStatus } from './helpers.ts';

const CLIENT = { clientId: 'backstage', clientSecret: 'native-test-client-secret' };
const ALICE = { preferred_username: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Admin', groups: ['/admins'], realm_access: { roles: ['default-roles-test'] } };
const BOB = { preferred_username: 'bob', email: 'bob@example.com', email_verified: true, name: 'Bob User', groups: ['/users'], realm_access: { roles: ['default-roles-test'] } };

function providerConfig(mode: NativeProvider, iss: TestIssuer, baseUrl: string): string {
  const common = `clientId: ${CLIENT.clientId}\n        clientSecret: \${KEYCLOAK_CLIENT_SECRET}\n        prompt: auto\n        additionalScopes: [groups]\n`;
  const provider =
    mode === 'oidc'
      ? `    oidc:\n      production:\n        metadataUrl: ${iss.issuer}/.well-known/openid-configuration\n        ${common}`
      : `    oauth2:\n      production:\n        authorizationUrl: ${iss.issuer}/protocol/openid-connect/auth\n        tokenUrl: ${iss.issuer}/protocol/openid-connect/token\n        ${common}`;
  return [
    `app:\n  baseUrl: ${baseUrl}\n  signInProvider: ${mode}`,
    `backend:\n  baseUrl: ${baseUrl}`,
    `auth:\n  session:\n    secret: \${AUTH_SESSION_SECRET}\n  providers:\n${provider}`,
    `backstageKeycloak:\n  userinfoUrl: ${iss.issuer}/protocol/openid-connect/userinfo\n  endSessionUrl: ${iss.issuer}/protocol/openid-connect/logout\n  signIn:\n    allowedGroups: [/admins]\n    allowedRoles: [backstage-user, backstage:viewer]`,
  ].join('\n');
}

for (const mode of ['oidc', 'oauth2'] as const) {
  describe(`sign-in mode ${mode}`, () => {
    let bs: BackstageHandle;
    let iss: TestIssuer;
    let tmp: string;
    let port: number;

    /** The whole popup flow for `claims`, as Keycloak's login would answer. */
    async function signIn(claims: Record<string, unknown>, jar = new CookieJar(), base = bs.url) {
      const { authorize } = await nativeStart(base, mode, jar);
      return completeNative(base, iss.authorize(authorize, claims), jar, authorize);
    }

    beforeAll(async () => {
      iss = await startTestIssuer(CLIENT);
      tmp = await mkdtemp(path.join(os.tmpdir(), `bk-native-${mode}-`));
      const config = path.join(tmp, `app-config.${mode}.yaml`);
      port = await freePort();
      // The app's public URL is where the browser reaches the backend: origin checks and the
      // redirect URI derive from it.
      await writeFile(config, providerConfig(mode, iss, `http://127.0.0.1:${port}`));
      bs = await startBackstage({
        port,
        configs: ['app-config.local.yaml', config],
        env: { BACKSTAGE_SIGNIN_MODE: mode, KEYCLOAK_CLIENT_SECRET: CLIENT.clientSecret, AUTH_SESSION_SECRET: 'native-test-session-secret-0123456789' },
        secrets: [CLIENT.clientSecret],
        waitFor: { what: 'alice signs in through the code flow', check: async (url) => !!(await signIn(ALICE, new CookieJar(), url)).response.backstageIdentity },
      });
    });

    afterAll(async () => {
      await bs?.stop();
      await iss?.stop();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it(`only ${mode} is served: every other provider path is 404, even from loopback`, async () => {
      for (const [provider, p] of ALL_PROVIDERS.filter(([id]) => id !== mode)) {
        expect(await providerStatus(bs.url, provider, p, { 'x-forwarded-preferred-username': 'alice' }), provider).toBe(404);
      }
      expect(await (await fetch(`${bs.url}/`)).text()).toMatch(new RegExp(`"signInProvider": "${mode}"`));
    });

    it('the authorization request: this client, the handler as redirect URI, code flow with state and PKCE S256, openid scopes and groups', async () => {
      const { authorize } = await nativeStart(bs.url, mode, new CookieJar());
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${iss.issuer}/protocol/openid-connect/auth`);
      expect(authorize.searchParams.get('client_id')).toBe('backstage');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${bs.url}/api/auth/${mode}/handler/frame`);
      expect(authorize.searchParams.get('response_type')).toBe('code');
      expect(authorize.searchParams.get('state')).toBeTruthy();
      expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups']));
      expect(authorize.searchParams.get('prompt')).toBeNull(); // prompt: auto
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (mode === 'oidc') expect(authorize.searchParams.get('nonce')).toBeTruthy();
    });

    it('alice (group admins) signs in as user:default/alice owning group:default/admins; the refresh cookie keeps her signed in', async () => {
      const { jar, response } = await signIn(ALICE);
      expect(response.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
      expect(response.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
      expect(response.profile?.email).toBe('alice@example.com');
      const again = await nativeRefresh(bs.url, mode, jar);
      expect(again.status).toBe(200);
      expect((again.body as { backstageIdentity: { identity: { userEntityRef: string } } }).backstageIdentity.identity.userEntityRef).toBe('user:default/alice');
    });

    it('falls back to the email when preferred_username names no catalog User', async () => {
      const { response } = await signIn({ ...ALICE, preferred_username: 'alice.renamed' });
      expect(response.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    });

    it("an unverified email never signs in as the User with that email (eve sets alice's address in the account console)", async () => {
      const eve = { ...ALICE, preferred_username: 'eve', name: 'Eve', sub: '0e0e0e0e-0000-4000-8000-00000000000e' };
      for (const claims of [{ ...eve, email_verified: false }, { ...eve, email_verified: undefined }, { ...eve, email_verified: 'true' }]) {
        const err = await signIn(claims).catch((e: Error) => e);
        expect(err, JSON.stringify(claims.email_verified)).toBeInstanceOf(LoginError);
        expect((err as Error).message).toMatch(/NotAllowedError: Sign-in refused: Keycloak user "eve" <alice@example.com> has no User entity .*the email is not verified by Keycloak/);
      }
    });

    it('a user the catalog does not know gets a clear 403', async () => {
      const err = await signIn({ ...ALICE, preferred_username: 'mallory', email: 'mallory@example.com' }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(LoginError);
      expect((err as Error).message).toMatch(/NotAllowedError: Sign-in refused: Keycloak user "mallory" <mallory@example.com> has no User entity/);
    });

    it('allowedGroups/allowedRoles are enforced by the resolver: bob (group users) is refused, with a role he is let in', async () => {
      const err = await signIn(BOB).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/NotAllowedError: Sign-in refused: Keycloak user "bob" needs one of the groups \/admins or one of the roles backstage-user, backstage:viewer/);
      const viaRealmRole = await signIn({ ...BOB, realm_access: { roles: ['backstage-user'] } });
      expect(viaRealmRole.response.backstageIdentity!.identity.userEntityRef).toBe('user:default/bob');
      const viaClientRole = await signIn({ ...BOB, resource_access: { backstage: { roles: ['viewer'] } } });
      expect(viaClientRole.response.backstageIdentity!.identity.userEntityRef).toBe('user:default/bob');
    });

    it('a forged callback state gives no session', async () => {
      const jar = new CookieJar();
      const { authorize } = await nativeStart(bs.url, mode, jar);
      const back = iss.authorize(authorize, ALICE);
      back.searchParams.set('state', Buffer.from(JSON.stringify({ nonce: 'forged', env: 'production', origin: bs.url })).toString('base64url'));
      const err = await completeNative(bs.url, back, jar, authorize).catch((e: Error) => e);
      expect(err).toBeInstanceOf(LoginError);
      expect((err as Error).message).toMatch(/state|nonce/i);
      expect((await nativeRefresh(bs.url, mode, jar)).status).not.toBe(200);
    });

    it('a callback without the nonce cookie of this browser gives no session', async () => {
      const { authorize } = await nativeStart(bs.url, mode, new CookieJar());
      const other = new CookieJar();
      const err = await completeNative(bs.url, iss.authorize(authorize, ALICE), other, authorize).catch((e: Error) => e);
      expect(err).toBeInstanceOf(LoginError);
      expect((await nativeRefresh(bs.url, mode, other)).status).not.toBe(200);
    });

    if (mode === 'oidc') {
      for (const [what, how] of [
        ['signed by a key the issuer does not publish', () => ({ key: iss.otherKey })],
        ['issued for another client', () => ({ aud: 'another-client' })],
      ] as const) {
        it(`an ID token ${what} gives no session`, async () => {
          const jar = new CookieJar();
          const { authorize } = await nativeStart(bs.url, mode, jar);
          iss.tamperNextIdToken(how());
          const err = await completeNative(bs.url, iss.authorize(authorize, ALICE), jar, authorize).catch((e: Error) => e);
          expect(err).toBeInstanceOf(LoginError);
          expect((await nativeRefresh(bs.url, mode, jar)).status).not.toBe(200);
        });
      }
    } else {
      it('the identity comes from the userinfo call: an access token the issuer does not know gives no session', async () => {
        // A refresh cookie the issuer never issued: the token endpoint refuses, nobody is signed in.
        const jar = new CookieJar();
        jar.store(new URL(bs.url), [`oauth2-refresh-token=forged; Path=/api/auth/oauth2`]);
        expect((await nativeRefresh(bs.url, mode, jar)).status).not.toBe(200);
      });
    }

    it("the chart's `helm test` pod (its rendered script and env, in busybox) passes against this Backstage", async () => {
      const applets = await busyboxApplets();
      try {
        const release = await renderRelease({
          subchart: (process.env.BK_SUBCHART as SubchartMode | undefined) ?? 'auto',
          valuesFiles: [EXAMPLE_VALUES],
          mode,
          values: {
            global: { host: `127.0.0.1:${port}`, allowInsecureHttp: true, signIn: { mode }, keycloak: { issuerUrl: iss.issuer, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret } },
            backstage: { backstage: { appConfig: { backend: { csp: { 'upgrade-insecure-requests': false } } } } },
          },
        });
        const res = await runTestPod(release, applets.dir, 'http://backstage:7007', bs.url);
        expect(res.targetUrl).toMatch(new RegExp(`^http://backstage:7007/api/auth/${mode}/start\\?`));
        expect(res.output).toContain(`OK: anonymous request redirected to ${iss.issuer}/protocol/openid-connect/auth with client_id, redirect_uri http://127.0.0.1:${port}/api/auth/${mode}/handler/frame and PKCE S256`);
        expect(res.ok, res.output).toBe(true);
      } finally {
        await applets.cleanup();
      }
    });

    it('sign-out clears the refresh cookie: the next refresh signs no one in', async () => {
      const { jar } = await signIn(ALICE);
      const res = await fetch(`${bs.url}/api/auth/${mode}/logout?env=production`, { method: 'POST', headers: { 'x-requested-with': 'XMLHttpRequest', cookie: jar.header(new URL(bs.url)) ?? '' } });
      expect(res.status, await res.clone().text()).toBe(200);
      jar.store(new URL(bs.url), res.headers.getSetCookie());
      expect((await nativeRefresh(bs.url, mode, jar)).status).not.toBe(200);
    });
  });
}
