/**
 * End to end, every component real: Keycloak 26 (dev realm), oauth2-proxy v7.15.6 launched with
 * the args and env `helm template` renders from values/example.yaml, the Backstage app on
 * PostgreSQL with the rendered app-config and its catalog ingested from Keycloak, and Chromium.
 * Only addresses differ from the rendered objects; the rewrites are printed (scripts/lib/run/stack.ts).
 */
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { CookieJar, location, request } from '../../scripts/lib/http.ts';
import { loginFormAction } from '../../scripts/lib/login/keycloak-page.ts';
import { anonymousRedirect, backstageIdentity, LoginError, loginThroughProxy } from '../../scripts/lib/login/proxy.ts';
import { launchBrowser, screenshot, signInOnKeycloakPage, type BrowserHandle } from '../support/browser.ts';
import { addOptionalClientScope } from '../support/keycloak-admin.ts';
import { startStack, type Stack } from '../../scripts/lib/run/stack.ts';
import { rawRequest } from '../backstage/helpers.ts';

let stack: Stack;
let browser: BrowserHandle | undefined;
const { alice, bob } = DEV_USERS;

beforeAll(async () => {
  stack = await startStack();
  process.stderr.write(`[sso] address rewrites applied to the rendered objects:\n${stack.rewrites.map((r) => `  ${r.key}: ${r.from} -> ${r.to}`).join('\n')}\n`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function identity(jar: CookieJar, headers: Record<string, string> = {}) {
  const r = await backstageIdentity(stack.publicUrl, jar, headers);
  return { status: r.status, ref: typeof r.body === 'object' ? r.body.backstageIdentity?.identity.userEntityRef : undefined, owns: typeof r.body === 'object' ? r.body.backstageIdentity?.identity.ownershipEntityRefs : undefined, body: r.body };
}

describe('anonymous', () => {
  it('GET / is redirected to Keycloak with client_id=backstage, PKCE S256 and the proxy callback', async () => {
    const r = await anonymousRedirect(stack.publicUrl);
    expect(`${r.authorize.origin}${r.authorize.pathname}`).toBe(`${stack.keycloak.issuer}/protocol/openid-connect/auth`);
    expect(r.clientId).toBe('backstage');
    expect(r.codeChallengeMethod).toBe('S256');
    expect(r.authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.redirectUri).toBe(`${stack.publicUrl}/oauth2/callback`);
  });

  it('the proxy serves no route without a login: the health paths, in every spelling, get the login like any page', async () => {
    for (const p of ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness', '/%2ebackstage/health/v1/readiness', '/.backstage/health/v1/%72eadiness', '/.backstage/health/v1/readiness/../../../../api/catalog/entities']) {
      const r = await request(`${stack.publicUrl}${p}`);
      expect([302, 401], `${p} -> ${r.status}`).toContain(r.status);
      expect(r.body, p).not.toMatch(/"status"\s*:\s*"ok"|<html[^>]*>\s*<head>[\s\S]*signInProvider/i);
    }
    expect((await request(`${stack.publicUrl}/api/catalog/entities`)).status).toBe(401);
  });

  it("Backstage's health listener (the kubelet's probes) answers GET readiness and liveness, and nothing else, in any spelling or with any header", async () => {
    for (const p of ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness']) {
      const r = await request(`${stack.healthUrl}${p}`);
      expect(r.status, p).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
    }
    const forged = { 'x-forwarded-preferred-username': 'alice', 'x-forwarded-user': 'alice', 'x-forwarded-uri': '/.backstage/health/v1/readiness', 'x-original-uri': '/.backstage/health/v1/readiness', 'x-requested-with': 'XMLHttpRequest' };
    for (const p of ['/', '/api/catalog/entities', '/api/auth/oauth2Proxy/refresh', '/.backstage/health/v1/readiness?x=1', '/%2ebackstage/health/v1/readiness', '/.backstage/health/v1/readiness/../../../../api/catalog/entities', '/.backstage/health/v1/', '//.backstage/health/v1/readiness']) {
      const r = await rawRequest(stack.healthUrl, p, { headers: forged });
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toMatch(/backstageIdentity|<html|"items"/i);
    }
    const post = await rawRequest(stack.healthUrl, '/.backstage/health/v1/readiness', { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('forged identity headers sent anonymously never reach Backstage', async () => {
    const forged = { 'x-forwarded-user': 'alice', 'x-forwarded-email': alice.email, 'x-forwarded-preferred-username': 'alice', 'x-forwarded-groups': 'admins', 'x-requested-with': 'XMLHttpRequest' };
    const r = await request(`${stack.publicUrl}/api/auth/oauth2Proxy/refresh?probe=anonymous-forged`, { headers: forged });
    expect(r.status).toBe(401);
    await new Promise((res) => setTimeout(res, 300));
    expect(stack.backstage.logs().join('\n')).not.toContain('anonymous-forged');
  });

  it("a connection to Backstage's own port from a non-loopback address is refused", async () => {
    const port = Number(new URL(stack.backstage.url).port);
    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(external).toBeTruthy();
    const outcome = await new Promise<string>((resolve) => {
      const s = net.connect({ host: external!, port }, () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });
});

describe('sign-in', () => {
  it('alice signs in on the real Keycloak page in Chromium and lands in Backstage as user:default/alice owning group:default/admins', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage();
    await signInOnKeycloakPage(page, `${stack.publicUrl}/`, `${stack.keycloak.issuer}/protocol/openid-connect/auth`, alice);
    expect(await page.getByTestId('user-entity-ref').textContent()).toBe('user:default/alice');
    expect(await page.getByTestId('ownership').textContent()).toContain('group:default/admins');
    const shot = await screenshot(page, 'sso-backstage-alice');
    process.stderr.write(`[sso] screenshot: ${shot}\n`);
  });

  it("sign-out in Chromium goes through /oauth2/sign_out and Keycloak's end-session: the next visit asks for the password", async () => {
    const page = await browser!.newPage();
    await page.goto(`${stack.publicUrl}/`);
    await page.getByTestId('user-entity-ref').waitFor({ timeout: 60_000 });
    await Promise.all([page.waitForRequest((r) => r.url().startsWith(`${stack.publicUrl}/oauth2/sign_out`), { timeout: 30_000 }), page.getByTestId('sign-out').click()]);
    await page.waitForURL((u) => u.toString().startsWith(`${stack.keycloak.issuer}/protocol/openid-connect/auth`), { timeout: 30_000 });
    await page.locator('#password').waitFor({ timeout: 30_000 });
    expect(await page.locator('#kc-form-login').count()).toBe(1);
    process.stderr.write(`[sso] screenshot: ${await screenshot(page, 'sso-after-sign-out')}\n`);
    await page.close();
  });

  it('the same flow with a plain HTTP client and a cookie jar', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    const id = await identity(jar);
    expect(id.status).toBe(200);
    expect(id.ref).toBe('user:default/alice');
    expect(id.owns).toContain('group:default/admins');
  });

  it('a wrong password gives no session', async () => {
    const jar = new CookieJar();
    await expect(loginThroughProxy(stack.publicUrl, alice.username, 'not-her-password', jar)).rejects.toThrow(LoginError);
    expect(jar.names('localhost')).not.toContain('_oauth2_proxy_backstage');
    expect((await identity(jar)).status).toBe(401);
  });

  it('identity headers forged by a signed-in bob are replaced by his real identity', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, bob.username, bob.password);
    const id = await identity(jar, { 'x-forwarded-user': 'alice', 'x-forwarded-email': alice.email, 'x-forwarded-preferred-username': 'alice', 'x-forwarded-groups': 'admins' });
    expect(id.status).toBe(200);
    expect(id.ref).toBe('user:default/bob');
    expect(id.owns).toContain('group:default/users');
    expect(id.owns).not.toContain('group:default/admins');
  });
});

describe('sign-out', () => {
  /** What Keycloak answers the proxy's next authorization request for this browser: a redirect (SSO) or its form. */
  async function keycloakAnswer(jar: CookieJar): Promise<'sso' | 'form'> {
    const { authorize } = await anonymousRedirect(stack.publicUrl, jar);
    const res = await request(authorize, { jar });
    if (res.status === 302 && location(res)!.pathname === '/oauth2/callback') return 'sso';
    expect(loginFormAction(res.body), `Keycloak answered ${res.status}`).toBeTruthy();
    return 'form';
  }

  it("/oauth2/sign_out ends the Keycloak SSO session (oauth2-proxy calls Keycloak's end-session with the ID token), not only the proxy cookie", async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    // Keycloak's own session cookie is in the jar: a new proxy login would skip the password.
    const probe = new CookieJar();
    for (const c of jar.all().filter((c) => c.host === '127.0.0.1')) probe.store(new URL(`http://${c.host}`), [`${c.name}=${c.value}`]);
    expect(await keycloakAnswer(probe)).toBe('sso');
    const out = await request(`${stack.publicUrl}/oauth2/sign_out?rd=%2F`, { jar });
    expect(out.status).toBe(302);
    expect(location(out)!.pathname).toBe('/');
    expect(jar.names('localhost')).not.toContain('_oauth2_proxy_backstage');
    expect((await identity(jar)).status).toBe(401);
    expect(await keycloakAnswer(jar)).toBe('form');
    expect(stack.proxy.logs().join('\n')).not.toMatch(/error while calling backend logout/);
  });

  it('a copied session cookie outlives sign-out until its next refresh (cookie.refresh), then is refused', async () => {
    // The cookie session store keeps the whole session in the cookie: sign-out clears the browser's
    // copy, and a copy taken before lives until the proxy next refreshes it with Keycloak (which
    // refuses: the SSO session is gone). With the default 4m that is at most 4 minutes; 5s here.
    await stack.restartProxy({ global: { oauth2Proxy: { cookie: { refresh: '5s' } } } });
    try {
      const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
      const copy = new CookieJar();
      for (const c of jar.all().filter((c) => c.host === 'localhost')) copy.store(new URL('http://localhost'), [`${c.name}=${c.value}`]);
      expect((await request(`${stack.publicUrl}/oauth2/sign_out?rd=%2F`, { jar })).status).toBe(302);
      expect((await identity(copy)).ref).toBe('user:default/alice');
      await new Promise((res) => setTimeout(res, 6000));
      expect((await identity(copy)).status).toBe(401);
    } finally {
      await stack.restartProxy({ global: { oauth2Proxy: { cookie: { refresh: '4m' } } } });
    }
  });
});

describe('permissions through the proxy', () => {
  async function token(user: { username: string; password: string }): Promise<{ jar: CookieJar; token: string }> {
    const { jar } = await loginThroughProxy(stack.publicUrl, user.username, user.password);
    const id = await identity(jar);
    return { jar, token: (id.body as { backstageIdentity: { token: string } }).backstageIdentity.token };
  }
  const api = (who: { jar: CookieJar; token: string }, method: string, p: string, body?: unknown) =>
    request(`${stack.publicUrl}/api/catalog${p}`, { method, jar: who.jar, headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it("bob (group users) cannot delete alice's User entity (403) or refresh it; alice (admins) may refresh", async () => {
    const b = await token(bob);
    const a = await token(alice);
    const entity = JSON.parse((await api(b, 'GET', '/entities/by-name/user/default/alice')).body);
    expect((await api(b, 'DELETE', `/entities/by-uid/${entity.metadata.uid}`)).status).toBe(403);
    expect((await api(b, 'POST', '/refresh', { entityRef: 'user:default/alice' })).status).toBe(403);
    expect((await api(a, 'POST', '/refresh', { entityRef: 'user:default/alice' })).status).toBe(200);
    expect((await api(b, 'GET', '/entities/by-name/user/default/alice')).status).toBe(200);
    expect((await identity(a.jar)).ref).toBe('user:default/alice');
  });
});

describe('sessions', () => {
  it('survive a Backstage restart and an oauth2-proxy restart', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    await stack.restartBackstage();
    expect((await identity(jar)).ref).toBe('user:default/alice');
    await stack.restartProxy();
    expect((await identity(jar)).ref).toBe('user:default/alice');
  });

  it('end when the cookie secret is rotated', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    await stack.restartProxy({ global: { oauth2Proxy: { cookieSecret: 'rotated-cookie-secret-000000000x' } } });
    expect((await identity(jar)).status).toBe(401);
    // A new sign-in works with the new secret.
    const again = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    expect((await identity(again.jar)).ref).toBe('user:default/alice');
  });
});

describe('access control', () => {
  it('with allowedGroups [/admins], bob is refused and alice is let in', async () => {
    // oauth2-proxy asks for the scope `groups` when groups are restricted: the realm needs that
    // client scope (see docs/troubleshooting.md: invalid_scope). Created here through the admin API.
    await addOptionalClientScope(stack.keycloak, 'groups');

    await stack.restartProxy({ global: { keycloak: { allowedGroups: ['/admins'] } } });
    expect(stack.launch.env.OAUTH2_PROXY_ALLOWED_GROUPS).toBe('/admins');
    await expect(loginThroughProxy(stack.publicUrl, bob.username, bob.password)).rejects.toThrow(/did not complete: last answer 403/);
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    expect((await identity(jar)).ref).toBe('user:default/alice');
    await stack.restartProxy({ global: { keycloak: { allowedGroups: [] } } });
  });
});

describe('Keycloak outage', () => {
  it('a proxy started while Keycloak is down exits (discovery fails); started again once Keycloak is back, it works', async () => {
    await stack.proxy.stop();
    await stack.keycloak.stop();
    // The real sidecar configuration, with Keycloak down:
    let message = '';
    try {
      await stack.restartProxy();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/exited|not ready/);
    expect(message).toMatch(/issuer|discovery|connection refused/i);
    process.stderr.write(`[sso] oauth2-proxy with Keycloak down: ${message.split('\n').slice(0, 3).join(' | ')}\n`);
    // In Kubernetes the kubelet restarts the container with back-off; here we do it by hand.
    await stack.keycloak.start();
    await stack.restartProxy();
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    expect((await identity(jar)).ref).toBe('user:default/alice');
  });
});
