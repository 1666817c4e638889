/**
 * SSO tier, infrastructure proof: a real Keycloak with the dev realm, a real authorization-code +
 * PKCE login over plain HTTP, and a real browser login through oauth2-proxy v7.15.6 in front of a
 * TEST DOUBLE upstream (echo server standing in for Backstage).
 *
 * Nothing here is skipped: a missing tool fails with its name (CI=true) or is provisioned on demand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type BrowserHandle } from '../support/browser.ts';
import { DEV_BACKSTAGE_CLIENT, DEV_CATALOG_CLIENT, DEV_COOKIE_SECRET, DEV_USERS, realmEnv } from '../../scripts/lib/dev-credentials.ts';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream.ts';
import { startKeycloak, type KeycloakHandle } from '../../scripts/lib/run/keycloak.ts';
import { oauth2ProxyBinary, startOauth2Proxy, type Oauth2ProxyHandle } from '../../scripts/lib/run/oauth2-proxy.ts';
import { codeLogin, decodeJwt, discover, type CodeLoginOptions } from '../support/oidc.ts';
import { freePort } from '../../scripts/lib/run/process.ts';

const tierStart = Date.now();
let kc: KeycloakHandle;
let proxyPort: number;
let publicUrl: string; // where the browser reaches "Backstage" (oauth2-proxy)
let redirectUri: string;

/** Code flow + PKCE for the backstage client against the test's Keycloak. */
function backstageLogin(username: string, password: string, extra: Partial<CodeLoginOptions> = {}) {
  return codeLogin({ issuer: kc.issuer, backchannel: kc.url, clientId: DEV_BACKSTAGE_CLIENT.clientId, clientSecret: DEV_BACKSTAGE_CLIENT.clientSecret, redirectUri, username, password, ...extra });
}

beforeAll(async () => {
  const kcPort = await freePort();
  proxyPort = await freePort();
  publicUrl = `http://127.0.0.1:${proxyPort}`;
  redirectUri = `${publicUrl}/oauth2/callback`;
  kc = await startKeycloak({ publicUrl: `http://127.0.0.1:${kcPort}`, port: kcPort, env: realmEnv(publicUrl) });
  process.stderr.write(`[sso] keycloak start ${kc.startSeconds.toFixed(1)}s\n`);
});

afterAll(async () => {
  await kc?.dispose();
  process.stderr.write(`[sso] keycloak.test.ts wall time ${((Date.now() - tierStart) / 1000).toFixed(1)}s\n`);
});

describe('Keycloak with the dev realm', () => {
  it('publishes the public issuer exactly', async () => {
    const disc = await discover(kc.url, 'backstage');
    expect(disc.issuer).toBe(`${kc.publicUrl}/realms/backstage`);
    expect(disc.issuer).toBe(kc.issuer);
    expect(disc.code_challenge_methods_supported).toContain('S256');
  });

  it('logs alice in with authorization code + PKCE and puts aud, username and groups in the ID token', async () => {
    const r = await backstageLogin(DEV_USERS.alice.username, DEV_USERS.alice.password);
    expect(r.loginError).toBeUndefined();
    expect(r.code).toBeTruthy();
    expect(r.tokenStatus).toBe(200);
    const id = r.idToken!;
    expect(id.iss).toBe(kc.issuer);
    expect([id.aud].flat()).toContain('backstage');
    expect(id.preferred_username).toBe('alice');
    expect(id.email).toBe(DEV_USERS.alice.email);
    expect(id.email_verified).toBe(true);
    // Full paths (the groups mapper's full.path): what allowedGroups is matched against.
    expect(id.groups).toEqual(expect.arrayContaining(['/admins']));
    expect(id.groups).not.toContain('/users');
    // The Audience mapper puts the client in the access token's aud too (oauth2-proxy checks it).
    expect([r.accessToken!.aud].flat()).toContain('backstage');
  });

  it('gives no code for a wrong password', async () => {
    const r = await backstageLogin(DEV_USERS.alice.username, 'not-the-password');
    expect(r.code).toBeUndefined();
    expect(r.loginError).toMatch(/invalid username or password/i);
  });

  it('refuses an authorization request without PKCE (S256 required)', async () => {
    const r = await backstageLogin(DEV_USERS.alice.username, DEV_USERS.alice.password, { pkce: false });
    expect(r.code).toBeUndefined();
    expect(r.loginError).toMatch(/code_challenge|code challenge|pkce/i);
  });

  it("puts bob in users and not in admins", async () => {
    const r = await backstageLogin(DEV_USERS.bob.username, DEV_USERS.bob.password);
    expect(r.loginError).toBeUndefined();
    expect(r.idToken!.preferred_username).toBe('bob');
    expect(r.idToken!.groups).toEqual(expect.arrayContaining(['/users']));
    expect(r.idToken!.groups).not.toContain('/admins');
  });

  it('has no direct access grant on the backstage client', async () => {
    const res = await fetch(`${kc.url}/realms/backstage/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: DEV_BACKSTAGE_CLIENT.clientId,
        client_secret: DEV_BACKSTAGE_CLIENT.clientSecret,
        username: DEV_USERS.alice.username,
        password: DEV_USERS.alice.password,
        scope: 'openid',
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized_client');
  });

  it('lets the backstage-catalog service account list users and groups', async () => {
    const tok = await fetch(`${kc.url}/realms/backstage/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CATALOG_CLIENT.clientId, client_secret: DEV_CATALOG_CLIENT.clientSecret }),
    });
    expect(tok.status).toBe(200);
    const at = ((await tok.json()) as { access_token: string }).access_token;
    expect(decodeJwt(at).resource_access).toMatchObject({ 'realm-management': { roles: expect.arrayContaining(['view-users', 'query-groups', 'query-users']) } });
    const auth = { authorization: `Bearer ${at}` };
    const users = (await (await fetch(`${kc.url}/admin/realms/backstage/users?briefRepresentation=true`, { headers: auth })).json()) as Array<{ username: string }>;
    expect(users.map((u) => u.username)).toEqual(expect.arrayContaining(['alice', 'bob']));
    const groups = (await (await fetch(`${kc.url}/admin/realms/backstage/groups`, { headers: auth })).json()) as Array<{ name: string }>;
    expect(groups.map((g) => g.name).sort()).toEqual(['admins', 'users']);
  });

  it('answers the bootstrap admin', async () => {
    const token = await kc.adminToken();
    const res = await fetch(`${kc.url}/admin/realms/backstage/clients?clientId=backstage`, { headers: { authorization: `Bearer ${token}` } });
    const [client] = (await res.json()) as Array<{ redirectUris: string[]; attributes: Record<string, string>; directAccessGrantsEnabled: boolean; implicitFlowEnabled: boolean; serviceAccountsEnabled: boolean }>;
    // ${BACKSTAGE_PUBLIC_URL} resolved at import; the native modes' handlers on the same client.
    expect([...client!.redirectUris].sort()).toEqual([redirectUri, `${publicUrl}/api/auth/oidc/handler/frame`, `${publicUrl}/api/auth/oauth2/handler/frame`].sort());
    expect(client!.attributes['pkce.code.challenge.method']).toBe('S256');
    expect([client!.directAccessGrantsEnabled, client!.implicitFlowEnabled, client!.serviceAccountsEnabled]).toEqual([false, false, false]);
  });
});

describe('oauth2-proxy v7.15.6 in front of the echo upstream (test double for Backstage)', () => {
  let upstream: EchoUpstream;
  let proxy: Oauth2ProxyHandle;
  let browser: BrowserHandle;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const bin = await oauth2ProxyBinary();
    proxy = await startOauth2Proxy({
      bin,
      args: [
        `--http-address=127.0.0.1:${proxyPort}`,
        '--provider=keycloak-oidc',
        `--oidc-issuer-url=${kc.issuer}`,
        `--client-id=${DEV_BACKSTAGE_CLIENT.clientId}`,
        `--redirect-url=${redirectUri}`,
        `--upstream=${upstream.url}/`,
        '--email-domain=*',
        '--code-challenge-method=S256',
        '--cookie-secure=false',
        '--skip-provider-button=true',
        '--pass-user-headers=true',
      ],
      env: {
        OAUTH2_PROXY_CLIENT_SECRET: DEV_BACKSTAGE_CLIENT.clientSecret,
        OAUTH2_PROXY_COOKIE_SECRET: DEV_COOKIE_SECRET,
      },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await upstream?.stop();
  });

  it('signs alice in through Keycloak in Chromium and forwards her identity upstream', async () => {
    const page = await browser.newPage();
    await page.goto(`${publicUrl}/catalog`);
    // --skip-provider-button: straight to Keycloak's login page.
    await page.waitForURL((u) => u.toString().startsWith(`${kc.publicUrl}/realms/backstage/protocol/openid-connect/auth`));
    await screenshot(page, 'sso-keycloak-login');
    await page.fill('#username', DEV_USERS.alice.username);
    await page.fill('#password', DEV_USERS.alice.password);
    await page.click('#kc-login');
    await page.waitForURL(`${publicUrl}/catalog`);
    await page.locator('#x-forwarded-preferred-username').waitFor();
    const shot = await screenshot(page, 'sso-alice-via-oauth2-proxy');
    expect(shot).toMatch(/\.png$/);

    const seen = upstream.requests.find((r) => r.url === '/catalog');
    expect(seen?.headers['x-forwarded-preferred-username']).toBe('alice');
    expect(seen?.headers['x-forwarded-email']).toBe(DEV_USERS.alice.email);
    expect(String(seen?.headers['x-forwarded-groups']).split(',')).toContain('/admins');
    expect(seen?.headers.authorization).toBeUndefined();
    await page.close();
  });

  it('survives a Keycloak outage: stop, start again on the same port and data, sign in again', async () => {
    await kc.stop();
    await expect(fetch(`${kc.url}/realms/backstage`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
    await kc.start();
    process.stderr.write(`[sso] keycloak restart ${kc.startSeconds.toFixed(1)}s\n`);
    const r = await backstageLogin(DEV_USERS.bob.username, DEV_USERS.bob.password);
    expect(r.idToken?.preferred_username).toBe('bob');
    // oauth2-proxy kept running through the outage and still answers.
    expect((await fetch(`${proxy.url}/ready`)).status).toBe(200);
  });

  it('never prints the client or cookie secret in its logs', () => {
    const logs = proxy.logs().join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(DEV_BACKSTAGE_CLIENT.clientSecret);
    expect(logs).not.toContain(DEV_COOKIE_SECRET);
  });
});
