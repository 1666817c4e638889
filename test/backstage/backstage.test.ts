/**
 * The Backstage app of backstage/ as a real backend process (no mocks): sign-in from the headers
 * oauth2-proxy sends, the loopback-only listener, and the oidcProxy provider's token checks against
 * an issuer served here with keys generated for the test.
 */
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { freePort } from '../../scripts/lib/run/process.ts';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';

const HEADERS_ALICE = {
  // What oauth2-proxy v7 sends for a Keycloak session: the user header is the subject UUID.
  'x-forwarded-user': '6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44',
  'x-forwarded-email': 'alice@example.com',
  'x-forwarded-preferred-username': 'alice',
  'x-forwarded-groups': 'admins',
};

let bs: BackstageHandle;
let issuerServer: http.Server;
let issuer: string;
type PrivateKey = Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey'];
let key: PrivateKey;
let otherKey: PrivateKey;
let tmp: string;

interface Refresh {
  status: number;
  body: { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { name: string; message: string } };
}

async function refresh(provider: string, headers: Record<string, string>): Promise<Refresh> {
  const res = await fetch(`${bs.url}/api/auth/${provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...headers } });
  return { status: res.status, body: (await res.json()) as Refresh['body'] };
}

async function token(claims: Record<string, unknown>, opts: { signWith?: PrivateKey; iss?: string; aud?: string; exp?: string | number } = {}): Promise<string> {
  return new jose.SignJWT({ preferred_username: 'alice', email: 'alice@example.com', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? 'backstage')
    .setSubject('6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.signWith ?? key);
}

beforeAll(async () => {
  // The issuer: discovery document and JWKS with the test's public key.
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  otherKey = (await jose.generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/realms/test`;
  issuerServer = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/realms/test/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
    else if (req.url === '/realms/test/protocol/openid-connect/certs') res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => issuerServer.listen(port, '127.0.0.1', r));

  tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-backstage-test-'));
  const config = path.join(tmp, 'app-config.test.yaml');
  await writeFile(config, `auth:\n  providers:\n    oidcProxy:\n      issuer: ${issuer}\n      audience: backstage\n      header: x-oidc-id-token\n`);
  bs = await startBackstage({ port: await freePort(), configs: ['app-config.local.yaml', config], waitForUser: 'alice' });
});

afterAll(async () => {
  await bs?.stop();
  await new Promise((r) => issuerServer?.close(r));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('sign-in through oauth2-proxy headers', () => {
  it('the headers oauth2-proxy sends sign alice in, owning her group', async () => {
    const r = await refresh('oauth2Proxy', HEADERS_ALICE);
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    expect(r.body.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
  });

  it('falls back to the email when the username matches no User', async () => {
    const r = await refresh('oauth2Proxy', { ...HEADERS_ALICE, 'x-forwarded-preferred-username': 'alice.renamed' });
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
  });

  it('without identity headers: a clear refusal, not a 500', async () => {
    const r = await refresh('oauth2Proxy', {});
    expect(r.status).toBe(403);
    expect(r.body.error!.message).toMatch(/neither a Keycloak username nor an email/);
  });

  it('a user the catalog does not know: a clear 403 naming them', async () => {
    const r = await refresh('oauth2Proxy', { ...HEADERS_ALICE, 'x-forwarded-preferred-username': 'mallory', 'x-forwarded-email': 'mallory@example.com' });
    expect(r.status).toBe(403);
    expect(r.body.error!.message).toMatch(/Keycloak user "mallory" <mallory@example.com> has no User entity in the Backstage catalog/);
  });

  it('serves the frontend with the sign-in provider in its injected config', async () => {
    const html = await (await fetch(`${bs.url}/`)).text();
    expect(html).toMatch(/<script type="module" src="\/static\/index-[A-Z0-9]+\.js"><\/script>/);
    expect(html).toMatch(/"signInProvider": "oauth2Proxy"/);
  });
});

describe('listener', () => {
  it('listens on the configured loopback address only', async () => {
    const port = Number(new URL(bs.url).port);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(external, 'this machine has a non-loopback IPv4 address to test from').toBeTruthy();
    const connect = (host: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect({ host, port }, () => (s.destroy(), resolve('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    expect(await connect('127.0.0.1')).toBe('connected');
    expect(await connect(external!)).toBe('ECONNREFUSED');
  });
});

describe('verified-token mode (oidcProxy)', () => {
  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    ['a missing token', async () => ({}), /no x-oidc-id-token header/],
    ['a malformed token', async () => ({ 'x-oidc-id-token': 'not.a.jwt' }), /malformed token/],
    ['a bad signature', async () => ({ 'x-oidc-id-token': await token({}, { signWith: otherKey }) }), /bad signature/],
    ['a wrong audience', async () => ({ 'x-oidc-id-token': await token({}, { aud: 'another-client' }) }), /wrong audience/],
    ['a wrong issuer', async () => ({ 'x-oidc-id-token': await token({}, { iss: 'http://127.0.0.1:1/realms/evil' }) }), /wrong issuer/],
    ['an expired token', async () => ({ 'x-oidc-id-token': await token({}, { exp: Math.floor(Date.now() / 1000) - 120 }) }), /token expired/],
  ];

  it('a valid ID token signs alice in', async () => {
    const r = await refresh('oidcProxy', { 'x-oidc-id-token': await token({}) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    expect(r.body.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
  });

  for (const [name, headers, reason] of cases) {
    it(`refuses ${name} with 401 and logs the reason`, async () => {
      const before = bs.logs().length;
      const r = await refresh('oidcProxy', await headers());
      expect(r.status).toBe(401);
      expect(r.body.error!.name).toBe('AuthenticationError');
      await new Promise((res) => setTimeout(res, 200));
      expect(bs.logs().slice(before).join('\n')).toMatch(new RegExp(`oidcProxy: refused GET .*: ${reason.source}`));
    });
  }

  it('identity headers do not sign anyone in on the verified provider', async () => {
    const r = await refresh('oidcProxy', HEADERS_ALICE);
    expect(r.status).toBe(401);
  });
});
