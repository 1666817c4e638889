/**
 * Sign-in mode verifiedToken (BACKSTAGE_SIGNIN_MODE=verifiedToken) on the real backend: the
 * oidcProxy provider verifies the ID token against an issuer served here with keys generated for
 * the test, and it is the ONLY provider: the oauth2Proxy provider, which trusts plain identity
 * headers, answers 404 even from loopback (issue 10: it used to stay registered).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/run/process.ts';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer.ts';
import { ALL_PROVIDERS, providerStatus } from './helpers.ts';

let bs: BackstageHandle;
let iss: TestIssuer;
let tmp: string;

interface Refresh {
  status: number;
  body: { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { name: string; message: string } };
}

async function refresh(headers: Record<string, string>, base = bs.url): Promise<Refresh> {
  const res = await fetch(`${base}/api/auth/oidcProxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...headers } });
  return { status: res.status, body: (await res.json()) as Refresh['body'] };
}

// As Keycloak issues them: typ "ID", azp the client, email_verified.
const alice = { typ: 'ID', azp: 'backstage', preferred_username: 'alice', email: 'alice@example.com', email_verified: true, sub: '6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44' };
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  iss = await startTestIssuer({ clientId: 'backstage', clientSecret: 'unused' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-backstage-test-'));
  const config = path.join(tmp, 'app-config.verified.yaml');
  // The chart's verifiedToken config: only the oidcProxy provider (the local file also carries
  // oauth2Proxy's: the backend must still not serve it in this mode).
  await writeFile(config, `app:\n  signInProvider: oidcProxy\nauth:\n  providers:\n    oidcProxy:\n      issuer: ${iss.issuer}\n      audience: backstage\n      header: x-oidc-id-token\n`);
  bs = await startBackstage({
    port: await freePort(),
    configs: ['app-config.local.yaml', config],
    env: { BACKSTAGE_SIGNIN_MODE: 'verifiedToken' },
    waitFor: { what: 'alice signs in with a verified token', check: async (url) => (await refresh({ 'x-oidc-id-token': await iss.sign(alice) }, url)).status === 200 },
  });
});

afterAll(async () => {
  await bs?.stop();
  await iss?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('only the provider of the mode', () => {
  it('a forged X-Forwarded-Preferred-Username on loopback signs no one in: oauth2Proxy is 404', async () => {
    const res = await fetch(`${bs.url}/api/auth/oauth2Proxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': 'alice@example.com' } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('backstageIdentity');
  });

  it('every provider path but oidcProxy is 404', async () => {
    for (const [provider, p] of ALL_PROVIDERS.filter(([id]) => id !== 'oidcProxy')) expect(await providerStatus(bs.url, provider, p), provider).toBe(404);
  });

  it('the frontend is told to use the oidcProxy sign-in page', async () => {
    expect(await (await fetch(`${bs.url}/`)).text()).toMatch(/"signInProvider": "oidcProxy"/);
  });
});

describe('verified-token sign-in (oidcProxy)', () => {
  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    ['a missing token', async () => ({}), /no x-oidc-id-token header/],
    ['a malformed token', async () => ({ 'x-oidc-id-token': 'not.a.jwt' }), /malformed token/],
    ['a bad signature', async () => ({ 'x-oidc-id-token': await iss.sign(alice, { key: iss.otherKey }) }), /bad signature/],
    ['a wrong audience', async () => ({ 'x-oidc-id-token': await iss.sign(alice, { aud: 'another-client' }) }), /wrong audience/],
    ['a wrong issuer', async () => ({ 'x-oidc-id-token': await iss.sign(alice, { iss: 'http://127.0.0.1:1/realms/evil' }) }), /wrong issuer/],
    ['an expired token', async () => ({ 'x-oidc-id-token': await iss.sign(alice, { exp: Math.floor(Date.now() / 1000) - 120 }) }), /token expired/],
    ['a token expired 45 s ago (beyond the 30 s clock skew)', async () => ({ 'x-oidc-id-token': await iss.sign(alice, { exp: now() - 45 }) }), /token expired/],
    // Keycloak's access token: same issuer, same key, aud may include the client, but typ Bearer.
    ['an access token (typ Bearer) instead of an ID token', async () => ({ 'x-oidc-id-token': await iss.sign({ ...alice, typ: 'Bearer' }) }), /not an ID token \(typ \\?"Bearer\\?"\)/],
    ['a token without typ', async () => ({ 'x-oidc-id-token': await iss.sign({ ...alice, typ: undefined }) }), /not an ID token \(typ null\)/],
    // An ID token another client of the realm obtained, whose aud also lists ours.
    ['an ID token issued to another client (azp)', async () => ({ 'x-oidc-id-token': await iss.sign({ ...alice, azp: 'other-client' }) }), /issued to another client \(azp \\?"other-client\\?", expected backstage\)/],
  ];

  it('accepts a token expired 10 s ago: inside the documented 30 s clock skew', async () => {
    const r = await refresh({ 'x-oidc-id-token': await iss.sign(alice, { exp: now() - 10 }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
  });

  it('a valid ID token signs alice in, owning her group', async () => {
    const r = await refresh({ 'x-oidc-id-token': await iss.sign(alice) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    expect(r.body.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
  });

  for (const [name, headers, reason] of cases) {
    it(`refuses ${name} with 401 and logs the reason`, async () => {
      const before = bs.logs().length;
      const r = await refresh(await headers());
      expect(r.status).toBe(401);
      expect(r.body.error!.name).toBe('AuthenticationError');
      await new Promise((res) => setTimeout(res, 200));
      expect(bs.logs().slice(before).join('\n')).toMatch(new RegExp(`oidcProxy: refused GET .*: ${reason.source}`));
    });
  }

  it("an unverified email never signs in as the User with that email (eve sets alice's address in the account console)", async () => {
    const eve = { typ: 'ID', azp: 'backstage', preferred_username: 'eve', email: 'alice@example.com', sub: '0e0e0e0e-0000-4000-8000-00000000000e' };
    for (const claims of [{ ...eve, email_verified: false }, eve]) {
      const r = await refresh({ 'x-oidc-id-token': await iss.sign(claims) });
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.backstageIdentity).toBeUndefined();
      expect(r.body.error!.message).toMatch(/the email is not verified by Keycloak, so it was not used/);
    }
  });

  it("a verified email still finds the User (the username matches no entity)", async () => {
    const r = await refresh({ 'x-oidc-id-token': await iss.sign({ ...alice, preferred_username: 'alice.renamed' }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
  });

  it('identity headers do not sign anyone in on the verified provider', async () => {
    const r = await refresh({ 'x-forwarded-preferred-username': 'alice', 'x-forwarded-email': 'alice@example.com' });
    expect(r.status).toBe(401);
  });
});
