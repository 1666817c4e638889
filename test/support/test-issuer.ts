/**
 * An OpenID Connect issuer served by the test itself, with RSA keys generated for the run, so the
 * backstage tier can drive Backstage's real oidc/oauth2 providers (openid-client, passport-oauth2)
 * through a whole code flow without Keycloak (the sso tier does it against the real Keycloak).
 *
 *   const iss = await startTestIssuer({ clientId: 'backstage', clientSecret: 's' });
 *   iss.issuer                            http://127.0.0.1:<port>/realms/test
 *   iss.authorize(authorizeUrl, claims)   what Keycloak's login would do: a redirect URL back to the
 *                                         client's redirect_uri with a fresh code and the same state
 *   iss.sign(claims, { key?, aud?, ... }) an ID token signed by the issuer (or another key)
 *
 * Endpoints: discovery, JWKS, token (authorization_code with PKCE S256 required, as the dev realm's
 * client requires it, and refresh_token grants; client credentials checked), userinfo (Bearer access token), end session. Tokens carry what Keycloak's
 * carry: preferred_username, email, email_verified, name, groups, realm_access, nonce.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { freePort } from '../../scripts/lib/run/process.ts';

type PrivateKey = Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey'];

export interface TestIssuer {
  issuer: string;
  url: string;
  key: PrivateKey;
  otherKey: PrivateKey;
  /** Token requests received (grant types), for assertions. */
  tokenRequests: string[];
  /** The next token response's ID token is signed with this key / for this audience (once). */
  tamperNextIdToken(how: { key?: PrivateKey; aud?: string }): void;
  authorize(authorizeUrl: URL | string, claims: Record<string, unknown>): URL;
  /** A token signed by the issuer; an ID token as Keycloak issues one (typ "ID", azp the client) unless `claims` set typ/azp. */
  sign(claims: Record<string, unknown>, opts?: { key?: PrivateKey; aud?: string; iss?: string; exp?: string | number }): Promise<string>;
  stop(): Promise<void>;
}

interface Grant {
  claims: Record<string, unknown>;
  /** PKCE S256 challenge of the authorization request (Keycloak's pkce.code.challenge.method S256 requires one). */
  challenge?: string;
  nonce?: string;
  redirectUri: string;
  clientId: string;
}

export async function startTestIssuer(opts: { clientId: string; clientSecret: string }): Promise<TestIssuer> {
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  const otherKey = (await jose.generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/realms/test`;
  const codes = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  const accessTokens = new Map<string, Record<string, unknown>>();
  const tokenRequests: string[] = [];
  let tamper: { key?: PrivateKey; aud?: string } | undefined;

  const sign = (claims: Record<string, unknown>, o: { key?: PrivateKey; aud?: string; iss?: string; exp?: string | number } = {}) =>
    // Shaped like Keycloak's ID tokens unless the claims say otherwise: typ "ID", azp the client.
    new jose.SignJWT({ typ: 'ID', azp: opts.clientId, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .setIssuer(o.iss ?? issuer)
      .setAudience(o.aud ?? opts.clientId)
      .setSubject(String(claims.sub ?? `subject-of-${String(claims.preferred_username ?? 'nobody')}`))
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m')
      .sign(o.key ?? pair.privateKey);

  async function tokensFor(grant: Grant): Promise<Record<string, unknown>> {
    const access = await sign({ ...grant.claims, typ: 'Bearer', azp: grant.clientId }, { aud: 'account' });
    accessTokens.set(access, grant.claims);
    const refresh = randomBytes(24).toString('base64url');
    refreshTokens.set(refresh, { ...grant, nonce: undefined });
    const id = await sign({ typ: 'ID', ...grant.claims, ...(grant.nonce ? { nonce: grant.nonce } : {}), azp: grant.clientId }, tamper ?? {});
    tamper = undefined;
    return { access_token: access, id_token: id, refresh_token: refresh, token_type: 'Bearer', expires_in: 300, scope: 'openid profile email' };
  }

  async function body(req: http.IncomingMessage): Promise<URLSearchParams> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  }

  const server = http.createServer(async (req, res) => {
    const json = (status: number, v: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    const path = new URL(req.url ?? '/', url).pathname;
    try {
      if (path === '/realms/test/.well-known/openid-configuration') {
        return json(200, {
          issuer,
          authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
          token_endpoint: `${issuer}/protocol/openid-connect/token`,
          userinfo_endpoint: `${issuer}/protocol/openid-connect/userinfo`,
          jwks_uri: `${issuer}/protocol/openid-connect/certs`,
          end_session_endpoint: `${issuer}/protocol/openid-connect/logout`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          code_challenge_methods_supported: ['plain', 'S256'],
        });
      }
      if (path === '/realms/test/protocol/openid-connect/certs') return json(200, { keys: [jwk] });
      if (path === '/realms/test/protocol/openid-connect/token' && req.method === 'POST') {
        const form = await body(req);
        let clientId = form.get('client_id') ?? '';
        let secret = form.get('client_secret') ?? '';
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (basic) {
          const [id, s] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent);
          clientId = id ?? '';
          secret = s ?? '';
        }
        tokenRequests.push(form.get('grant_type') ?? '?');
        if (clientId !== opts.clientId || secret !== opts.clientSecret) return json(401, { error: 'unauthorized_client' });
        if (form.get('grant_type') === 'authorization_code') {
          const grant = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (!grant || grant.redirectUri !== form.get('redirect_uri')) return json(400, { error: 'invalid_grant', error_description: 'Code not valid' });
          const verifier = form.get('code_verifier') ?? '';
          if (!grant.challenge || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          return json(200, await tokensFor(grant));
        }
        if (form.get('grant_type') === 'refresh_token') {
          const grant = refreshTokens.get(form.get('refresh_token') ?? '');
          if (!grant) return json(400, { error: 'invalid_grant', error_description: 'Token is not active' });
          return json(200, await tokensFor(grant));
        }
        return json(400, { error: 'unsupported_grant_type' });
      }
      if (path === '/realms/test/protocol/openid-connect/userinfo') {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const claims = accessTokens.get(token);
        if (!claims) return json(401, { error: 'invalid_token' });
        return json(200, { sub: claims.sub ?? `subject-of-${String(claims.preferred_username)}`, ...claims });
      }
      res.writeHead(404).end();
    } catch (e) {
      json(500, { error: (e as Error).message });
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));

  return {
    issuer,
    url,
    key: pair.privateKey,
    otherKey,
    tokenRequests,
    tamperNextIdToken(how) {
      tamper = how;
    },
    authorize(authorizeUrl, claims) {
      const a = new URL(authorizeUrl);
      const redirectUri = a.searchParams.get('redirect_uri');
      if (!redirectUri) throw new Error(`authorization request without redirect_uri: ${a.href}`);
      const code = randomBytes(16).toString('base64url');
      if (a.searchParams.get('code_challenge_method') !== 'S256') throw new Error(`authorization request without PKCE S256 (the issuer requires it, like the dev realm's client): ${a.href}`);
      codes.set(code, { claims, nonce: a.searchParams.get('nonce') ?? undefined, redirectUri, clientId: a.searchParams.get('client_id') ?? '', challenge: a.searchParams.get('code_challenge') ?? undefined });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      const state = a.searchParams.get('state');
      if (state) back.searchParams.set('state', state);
      return back;
    },
    sign,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
