/**
 * The native sign-in modes end to end, every component real: Keycloak 26 (dev realm), the
 * Backstage app on PostgreSQL configured exactly as `helm template` renders values/example.yaml
 * with global.signIn.mode=oidc|oauth2 (no oauth2-proxy: the chart renders no sidecar), its catalog
 * ingested from Keycloak, and Chromium. Only addresses differ from the rendered objects.
 *
 * Run one mode with BK_NATIVE_MODES=oidc (default: both, one after the other).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { CookieJar, location, request } from '../../scripts/lib/http.ts';
import { loginFormAction } from '../../scripts/lib/login/keycloak-page.ts';
import { completeNative, loginNative, nativeRefresh, nativeStart, type NativeProvider } from '../../scripts/lib/login/native.ts';
import { LoginError } from '../../scripts/lib/login/proxy.ts';
import { startStack, type Stack } from '../../scripts/lib/run/stack.ts';
import { launchBrowser, screenshot, type BrowserHandle } from '../support/browser.ts';
import { addOptionalClientScope } from '../support/keycloak-admin.ts';

const { alice, bob } = DEV_USERS;
const MODES = (process.env.BK_NATIVE_MODES ?? 'oidc,oauth2').split(',').map((m) => m.trim()) as NativeProvider[];

/** Keycloak's login page for the authorization request `authorize` with `jar` (HTTP, no browser). */
async function keycloakAnswer(authorize: URL, jar: CookieJar) {
  let res = await request(authorize, { jar });
  for (let hop = 0; res.status >= 300 && res.status < 400 && hop < 5 && location(res)!.origin === authorize.origin; hop++) res = await request(location(res)!, { jar });
  return res;
}

/** Chromium: the app's sign-in page, its Keycloak button, Keycloak's page in the popup. */
async function signInInBrowser(page: Page, stack: Stack, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${stack.publicUrl}/`);
  const button = page.getByRole('button', { name: /sign in/i });
  await button.waitFor({ timeout: 60_000 });
  expect(await page.getByText('Keycloak', { exact: true }).first().isVisible()).toBe(true);
  const [popup] = await Promise.all([page.waitForEvent('popup', { timeout: 30_000 }), button.click()]);
  await popup.waitForURL((u) => u.toString().startsWith(`${stack.keycloak.issuer}/protocol/openid-connect/auth`), { timeout: 30_000 });
  await popup.fill('#username', user.username);
  await popup.fill('#password', user.password);
  await popup.click('#kc-login');
  await page.getByTestId('user-entity-ref').waitFor({ timeout: 60_000 });
}

for (const mode of MODES) {
  describe(`global.signIn.mode=${mode}`, () => {
    let stack: Stack;
    let browser: BrowserHandle | undefined;

    beforeAll(async () => {
      stack = await startStack({ values: { global: { signIn: { mode } } } });
      process.stderr.write(`[sso:${mode}] address rewrites applied to the rendered objects:\n${stack.rewrites.map((r) => `  ${r.key}: ${r.from} -> ${r.to}`).join('\n')}\n`);
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    it('no proxy runs: Backstage answers the public URL itself and serves only its own provider', async () => {
      expect(stack.native).toBe(true);
      expect(() => stack.proxy).toThrow(/runs no oauth2-proxy/);
      const html = await (await fetch(`${stack.publicUrl}/`)).text();
      expect(html).toMatch(new RegExp(`"signInProvider": "${mode}"`));
      const forged = { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': alice.email, 'x-oidc-id-token': 'a.b.c' };
      for (const other of ['oauth2Proxy', 'oidcProxy', mode === 'oidc' ? 'oauth2' : 'oidc', 'guest']) {
        expect((await fetch(`${stack.publicUrl}/api/auth/${other}/refresh?env=production`, { headers: forged })).status, other).toBe(404);
      }
    });

    it("the sign-in goes to Keycloak's authorization endpoint with the chart's client, Backstage's handler as redirect URI, state and PKCE S256", async () => {
      const { authorize } = await nativeStart(stack.publicUrl, mode, new CookieJar());
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${stack.keycloak.issuer}/protocol/openid-connect/auth`);
      expect(authorize.searchParams.get('client_id')).toBe('backstage');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.publicUrl}/api/auth/${mode}/handler/frame`);
      expect(authorize.searchParams.get('state')).toBeTruthy();
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    });

    it("alice signs in on Keycloak's real page in Chromium and Backstage shows user:default/alice with group:default/admins", async () => {
      browser = await launchBrowser();
      const page = await browser.newPage();
      await signInInBrowser(page, stack, alice);
      expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
      expect(await page.getByTestId('ownership').textContent()).toContain('group:default/admins');
      process.stderr.write(`[sso:${mode}] screenshot: ${await screenshot(page, `sso-${mode}-alice`)}\n`);
      await page.close();
    });

    it('sign-out ends the Keycloak SSO session: the next sign-in asks for the password again', async () => {
      // The same browser as above: its Backstage session (refresh cookie) signs alice in silently.
      const page = await browser!.newPage();
      await page.goto(`${stack.publicUrl}/`);
      await page.getByTestId('user-entity-ref').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
      // Backstage's logout, then the browser through Keycloak's end-session endpoint and back.
      const [ended] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${stack.keycloak.issuer}/protocol/openid-connect/logout`), { timeout: 30_000 }),
        page.getByTestId('sign-out').click(),
      ]);
      expect(new URL(ended.url()).searchParams.get('id_token_hint')).toBeTruthy();
      expect(ended.status()).toBe(302);
      await page.waitForURL((u) => u.toString().startsWith(stack.publicUrl), { timeout: 30_000 });
      const button = page.getByRole('button', { name: /sign in/i });
      await button.waitFor({ timeout: 60_000 });
      const [popup] = await Promise.all([page.waitForEvent('popup', { timeout: 30_000 }), button.click()]);
      await popup.waitForURL((u) => u.toString().startsWith(`${stack.keycloak.issuer}/protocol/openid-connect/auth`), { timeout: 30_000 });
      await popup.locator('#password').waitFor({ timeout: 30_000 });
      expect(await popup.locator('#kc-form-login').count()).toBe(1);
      process.stderr.write(`[sso:${mode}] screenshot: ${await screenshot(popup, `sso-${mode}-after-sign-out`)}\n`);
      await popup.close();
      await page.close();
    });

    it('the same flow with a plain HTTP client; Keycloak signs a second request in without a password until sign-out', async () => {
      const { jar, response } = await loginNative(stack.publicUrl, mode, alice.username, alice.password);
      expect(response.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
      // SSO: Keycloak sends the next authorization request straight back (no login form).
      const second = await nativeStart(stack.publicUrl, mode, jar);
      const answer = await keycloakAnswer(second.authorize, jar);
      expect(answer.status).toBe(302);
      expect(location(answer)!.pathname).toBe(`/api/auth/${mode}/handler/frame`);
      // Sign-out as the app does it: Backstage's logout, then Keycloak's end-session with id_token_hint.
      const idToken = response.providerInfo!.idToken!;
      expect(idToken).toBeTruthy();
      const logout = await request(new URL(`/api/auth/${mode}/logout?env=production`, stack.publicUrl), { method: 'POST', jar, headers: { 'x-requested-with': 'XMLHttpRequest' } });
      expect(logout.status).toBe(200);
      expect((await nativeRefresh(stack.publicUrl, mode, jar)).status).not.toBe(200);
      const end = new URL(`${stack.keycloak.issuer}/protocol/openid-connect/logout`);
      end.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${stack.publicUrl}/` }).toString();
      const ended = await request(end, { jar });
      expect(ended.status).toBe(302);
      expect(location(ended)!.href).toBe(`${stack.publicUrl}/`);
      const third = await nativeStart(stack.publicUrl, mode, jar);
      expect(loginFormAction((await keycloakAnswer(third.authorize, jar)).body)).toBeTruthy();
    });

    it('a wrong password gives no session', async () => {
      const jar = new CookieJar();
      await expect(loginNative(stack.publicUrl, mode, alice.username, 'not-her-password', jar)).rejects.toThrow(/Keycloak refused the credentials of alice/);
      expect((await nativeRefresh(stack.publicUrl, mode, jar)).status).not.toBe(200);
    });

    it('a forged callback state gives no session', async () => {
      const jar = new CookieJar();
      const { authorize } = await nativeStart(stack.publicUrl, mode, jar);
      const page = await keycloakAnswer(authorize, jar);
      const form = new URLSearchParams({ username: alice.username, password: alice.password, credentialId: '' }).toString();
      const back = location(await request(new URL(loginFormAction(page.body)!, page.url), { method: 'POST', body: form, jar, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))!;
      expect(back.pathname).toBe(`/api/auth/${mode}/handler/frame`);
      back.searchParams.set('state', Buffer.from(JSON.stringify({ nonce: 'forged-nonce', env: 'production', origin: stack.publicUrl })).toString('base64url'));
      await expect(completeNative(stack.publicUrl, back, jar, authorize)).rejects.toThrow(LoginError);
      expect((await nativeRefresh(stack.publicUrl, mode, jar)).status).not.toBe(200);
    });

    it("a code Keycloak issued to another client gives no session (Backstage's exchange is refused)", async () => {
      // A second client of the same realm, allowed to use Backstage's redirect URI.
      const token = await stack.keycloak.adminToken();
      const admin = `${stack.keycloak.url}/admin/realms/backstage`;
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${admin}/clients`, { method: 'POST', headers: auth, body: JSON.stringify({ clientId: 'foreign', publicClient: true, standardFlowEnabled: true, redirectUris: [`${stack.publicUrl}/*`] }) });
      expect([201, 409]).toContain(created.status);
      const jar = new CookieJar();
      const { authorize } = await nativeStart(stack.publicUrl, mode, jar);
      // The same authorization request with the foreign client id: Keycloak issues the code to `foreign`.
      const foreign = new URL(authorize);
      foreign.searchParams.set('client_id', 'foreign');
      const page = await keycloakAnswer(foreign, jar);
      const form = new URLSearchParams({ username: alice.username, password: alice.password, credentialId: '' }).toString();
      const back = location(await request(new URL(loginFormAction(page.body)!, page.url), { method: 'POST', body: form, jar, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))!;
      expect(back.searchParams.get('code')).toBeTruthy();
      await expect(completeNative(stack.publicUrl, back, jar, authorize)).rejects.toThrow(LoginError);
      expect((await nativeRefresh(stack.publicUrl, mode, jar)).status).not.toBe(200);
    });

    it("a tampered refresh-token cookie gives no session", async () => {
      const { jar } = await loginNative(stack.publicUrl, mode, alice.username, alice.password);
      const cookie = jar.all().find((c) => c.name === `${mode}-refresh-token`)!;
      expect(cookie).toBeTruthy();
      const tampered = new CookieJar();
      tampered.store(new URL(stack.publicUrl), [`${cookie.name}=${cookie.value.slice(0, -4)}AAAA`]);
      expect((await nativeRefresh(stack.publicUrl, mode, tampered)).status).not.toBe(200);
    });

    it('sessions survive a Backstage restart', async () => {
      const { jar } = await loginNative(stack.publicUrl, mode, alice.username, alice.password);
      await stack.restartBackstage();
      const r = await nativeRefresh(stack.publicUrl, mode, jar);
      expect(r.status).toBe(200);
      expect((r.body as { backstageIdentity: { identity: { userEntityRef: string } } }).backstageIdentity.identity.userEntityRef).toBe('user:default/alice');
    });

    it('encoded spellings of the health paths get 400 from Backstage, the byte-exact ones 200', async () => {
      expect((await request(new URL('/.backstage/health/v1/readiness', stack.publicUrl))).status).toBe(200);
      const encoded = await request(`${stack.publicUrl}/%2ebackstage/health/v1/readiness`);
      expect(encoded.status).toBe(400);
      expect(encoded.body).not.toMatch(/<html/i);
      // The kubelet's probes go to the health listener, the same in every mode.
      expect((await request(`${stack.healthUrl}/.backstage/health/v1/readiness`)).status).toBe(200);
      expect((await request(`${stack.healthUrl}/`)).status).toBe(404);
    });

    it("with allowedGroups [/admins], Backstage's resolver refuses bob and lets alice in", async () => {
      // The sign-in asks for the scope `groups` when groups are restricted (as oauth2-proxy does):
      // the realm needs that client scope (docs/troubleshooting.md).
      await addOptionalClientScope(stack.keycloak, 'groups');

      await stack.restartBackstage({ global: { keycloak: { allowedGroups: ['/admins'] } } });
      await expect(loginNative(stack.publicUrl, mode, bob.username, bob.password)).rejects.toThrow(/NotAllowedError: Sign-in refused: Keycloak user "bob" needs one of the groups \/admins/);
      const ok = await loginNative(stack.publicUrl, mode, alice.username, alice.password);
      expect(ok.authorize.searchParams.get('scope')!.split(' ')).toContain('groups');
      expect(ok.response.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
      await stack.restartBackstage({ global: { keycloak: { allowedGroups: [] } } });
      expect((await loginNative(stack.publicUrl, mode, bob.username, bob.password)).response.backstageIdentity!.identity.userEntityRef).toBe('user:default/bob');
    });
  });
}
