/**
 * global.signIn.mode=verifiedToken end to end: oauth2-proxy runs the rendered alpha config and
 * forwards the Keycloak ID token; Backstage's oidcProxy provider verifies it against the real
 * Keycloak's keys. Forged, wrong-audience and expired tokens are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_BACKSTAGE_CLIENT, DEV_CATALOG_CLIENT, DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import type { CookieJar } from '../../scripts/lib/http.ts';
import { loginThroughProxy } from '../../scripts/lib/login/proxy.ts';
import { codeLogin } from '../support/oidc.ts';
import { startStack, type Stack } from '../../scripts/lib/run/stack.ts';

let stack: Stack;
const { alice, bob } = DEV_USERS;

beforeAll(async () => {
  stack = await startStack({ values: { global: { signIn: { mode: 'verifiedToken' } } } });
  process.stderr.write(`[sso:verified] rewrites: ${stack.rewrites.map((r) => r.key).join(', ')}\n`);
});

afterAll(async () => {
  await stack?.stop();
});

async function refreshVia(base: string, jar: CookieJar | undefined, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/auth/oidcProxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...(jar ? { cookie: jar.header(new URL(base)) ?? '' } : {}), ...headers } });
  const body = (await res.json()) as { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { message: string } };
  return { status: res.status, ref: body.backstageIdentity?.identity.userEntityRef, owns: body.backstageIdentity?.identity.ownershipEntityRefs, error: body.error?.message };
}

/** alice's real ID token for the backstage client, straight from Keycloak's code flow. */
async function aliceIdToken(): Promise<string> {
  const r = await codeLogin({ issuer: stack.keycloak.issuer, backchannel: stack.keycloak.url, clientId: DEV_BACKSTAGE_CLIENT.clientId, clientSecret: stack.launch.env.OAUTH2_PROXY_CLIENT_SECRET!, redirectUri: `${stack.publicUrl}/oauth2/callback`, username: alice.username, password: alice.password });
  if (!r.tokens?.id_token) throw new Error(`no ID token: ${r.loginError ?? JSON.stringify(r.tokenError) ?? 'unknown'}`);
  return r.tokens.id_token;
}

describe('verifiedToken mode', () => {
  it('the sign-in page uses the oidcProxy provider, and alice is signed in from her verified ID token', async () => {
    const html = await (await fetch(`${stack.backstage.url}/`)).text();
    expect(html).toMatch(/"signInProvider": "oidcProxy"/);
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    const r = await refreshVia(stack.publicUrl, jar);
    expect(r.status).toBe(200);
    expect(r.ref).toBe('user:default/alice');
    expect(r.owns).toContain('group:default/admins');
  });

  it('the oauth2Proxy provider is not served at all: forged identity headers straight to Backstage (loopback) get 404', async () => {
    const res = await fetch(`${stack.backstage.url}/api/auth/oauth2Proxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': alice.email } });
    expect(res.status).toBe(404);
    for (const other of ['oidc', 'oauth2', 'guest']) expect((await fetch(`${stack.backstage.url}/api/auth/${other}/refresh?env=production`, { headers: { 'x-requested-with': 'XMLHttpRequest' } })).status, other).toBe(404);
  });

  it("/oauth2/sign_out ends the Keycloak session with the verified mode's proxy too (backendLogoutURL in the alpha config)", async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    expect((await refreshVia(stack.publicUrl, jar)).status).toBe(200);
    const out = await fetch(`${stack.publicUrl}/oauth2/sign_out?rd=%2F`, { headers: { cookie: jar.header(new URL(stack.publicUrl)) ?? '' }, redirect: 'manual' });
    expect(out.status).toBe(302);
    // Keycloak's session is gone: its cookie no longer signs anyone in.
    const r = await codeLogin({ issuer: stack.keycloak.issuer, backchannel: stack.keycloak.url, clientId: DEV_BACKSTAGE_CLIENT.clientId, clientSecret: stack.launch.env.OAUTH2_PROXY_CLIENT_SECRET!, redirectUri: `${stack.publicUrl}/oauth2/callback`, username: alice.username, password: 'wrong-password-on-purpose', jar });
    expect(r.code).toBeUndefined();
    expect(stack.proxy.logs().join('\n')).not.toMatch(/error while calling backend logout/);
  });

  it("a token sent by a signed-in bob is replaced by the proxy with bob's own", async () => {
    const forged = await aliceIdToken();
    const { jar } = await loginThroughProxy(stack.publicUrl, bob.username, bob.password);
    const r = await refreshVia(stack.publicUrl, jar, { 'x-oidc-id-token': forged });
    expect(r.ref).toBe('user:default/bob');
  });

  it('directly on the backend: a forged token (payload altered) is refused', async () => {
    const [h, p, sig] = (await aliceIdToken()).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, preferred_username: 'bob', email: bob.email })).toString('base64url'), sig].join('.');
    const r = await refreshVia(stack.backstage.url, undefined, { 'x-oidc-id-token': forged });
    expect(r.status).toBe(401);
    expect(r.error).toMatch(/bad signature/);
  });

  it('directly on the backend: a genuine Keycloak token for another client (wrong audience) is refused', async () => {
    const res = await fetch(`${stack.keycloak.url}/realms/backstage/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CATALOG_CLIENT.clientId, client_secret: stack.catalogClientSecret }),
    });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const r = await refreshVia(stack.backstage.url, undefined, { 'x-oidc-id-token': token });
    expect(r.status).toBe(401);
    expect(r.error).toMatch(/wrong audience/);
  });

  it('directly on the backend: a token just past its expiry is accepted within the 30 s clock skew, an expired one is refused', async () => {
    // Tokens of the backstage client live 5 s for this check (Keycloak's per-client lifespan).
    const token = await stack.keycloak.adminToken();
    const admin = `${stack.keycloak.url}/admin/realms/backstage`;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const client = ((await (await fetch(`${admin}/clients?clientId=backstage`, { headers: auth })).json()) as { id: string; attributes: Record<string, string> }[])[0]!;
    await fetch(`${admin}/clients/${client.id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ ...client, attributes: { ...client.attributes, 'access.token.lifespan': '5' } }) });
    const idToken = await aliceIdToken();
    const exp = (JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp * 1000;
    // 2 s past exp: inside the skew the verifier allows (Keycloak's and Backstage's clocks may differ).
    await new Promise((res) => setTimeout(res, Math.max(0, exp + 2000 - Date.now())));
    expect((await refreshVia(stack.backstage.url, undefined, { 'x-oidc-id-token': idToken })).status).toBe(200);
    // 32 s past exp: beyond it.
    await new Promise((res) => setTimeout(res, Math.max(0, exp + 32_000 - Date.now())));
    const r = await refreshVia(stack.backstage.url, undefined, { 'x-oidc-id-token': idToken });
    expect(r.status).toBe(401);
    expect(r.error).toMatch(/token expired|"exp" claim timestamp check failed/);
  });
});
