/**
 * A plain-HTTP OIDC client for the SSO tier: the shared cookie jar (scripts/lib/http.ts), PKCE, a real authorization-code login
 * against Keycloak's login page (no browser), the code exchange, and JWT payload decoding.
 *
 *   const r = await codeLogin({ issuer: kc.issuer, backchannel: kc.url, clientId, clientSecret,
 *                               redirectUri, username: 'alice', password });
 *   r.code / r.tokens / r.loginError
 */
import { decodeEntities, loginFormAction, loginPageError } from '../../scripts/lib/login/keycloak-page.ts';
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from '../../scripts/lib/http.ts';

export { CookieJar };

/** fetch with the jar, never following redirects (callers decide). */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(new URL(url));
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual', signal: init.signal ?? AbortSignal.timeout(30_000) });
  jar.store(new URL(url), res.headers.getSetCookie());
  return res;
}

export function pkcePair(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge, method: 'S256' };
}

/** Decodes a JWT's payload WITHOUT verifying it (tests assert on claims; oauth2-proxy verifies). */
export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  end_session_endpoint?: string;
  [k: string]: unknown;
}

/** GETs `<backchannel>/realms/<realm>/.well-known/openid-configuration` (issuer is the public one). */
export async function discover(backchannelBase: string, realm: string): Promise<Discovery> {
  const res = await fetch(`${backchannelBase}/realms/${realm}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`discovery: HTTP ${res.status}`);
  return (await res.json()) as Discovery;
}

export { decodeEntities, loginFormAction, loginPageError };

export interface CodeLoginOptions {
  /** Public issuer, e.g. http://127.0.0.1:8080/realms/backstage. */
  issuer: string;
  /** Loopback base URL requests actually go to (public origin rewritten to it); default: the issuer's origin. */
  backchannel?: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  username: string;
  password: string;
  scope?: string;
  /** Set false to omit PKCE (to prove the client requires it). */
  pkce?: boolean;
  jar?: CookieJar;
}

export interface CodeLoginResult {
  /** The authorization code, when the login succeeded. */
  code?: string;
  /** Error text shown on the login page, or `error` from the redirect. */
  loginError?: string;
  /** Where Keycloak redirected the user agent after the credentials POST (or the error redirect). */
  location?: string;
  tokens?: { id_token: string; access_token: string; refresh_token?: string; [k: string]: unknown };
  idToken?: Record<string, unknown>;
  accessToken?: Record<string, unknown>;
  /** HTTP status of the token endpoint, when the code was exchanged. */
  tokenStatus?: number;
  tokenError?: unknown;
}

/**
 * Authorization-code (+ PKCE S256) login as a user agent without JavaScript: GET the auth
 * endpoint, parse the login form, POST credentials, read the code from the redirect to
 * `redirectUri` (not followed), exchange it at the token endpoint with the client secret.
 */
export async function codeLogin(opts: CodeLoginOptions): Promise<CodeLoginResult> {
  const issuer = new URL(opts.issuer);
  const realm = issuer.pathname.replace(/^.*\/realms\//, '').replace(/\/$/, '');
  const back = (opts.backchannel ?? issuer.origin).replace(/\/+$/, '');
  const toBack = (u: string) => (u.startsWith(issuer.origin) ? back + u.slice(issuer.origin.length) : u);
  const jar = opts.jar ?? new CookieJar();
  const disc = await discover(back, realm);
  const pkce = pkcePair();
  const state = randomBytes(12).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    scope: opts.scope ?? 'openid profile email',
    state,
    nonce: randomBytes(12).toString('base64url'),
  });
  if (opts.pkce !== false) {
    params.set('code_challenge', pkce.challenge);
    params.set('code_challenge_method', pkce.method);
  }

  let url = toBack(`${disc.authorization_endpoint}?${params}`);
  let res = await jarFetch(jar, url);
  for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
    const loc = res.headers.get('location')!;
    if (loc.startsWith(opts.redirectUri)) return fromRedirect(loc);
    url = toBack(new URL(loc, url).toString());
    res = await jarFetch(jar, url);
  }
  const html = await res.text();
  if (res.status !== 200) return { loginError: `auth endpoint HTTP ${res.status}: ${loginPageError(html) ?? html.slice(0, 200)}` };
  const action = loginFormAction(html);
  if (!action) return { loginError: `no login form on the auth page: ${loginPageError(html) ?? html.slice(0, 200)}` };

  const post = await jarFetch(jar, toBack(new URL(action, url).toString()), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: opts.username, password: opts.password, credentialId: '' }),
  });
  const location = post.headers.get('location') ?? undefined;
  if (!location?.startsWith(opts.redirectUri)) {
    const body = await post.text();
    return { loginError: loginPageError(body) ?? `credentials POST: HTTP ${post.status}, location ${location ?? 'none'}`, location };
  }
  return fromRedirect(location);

  async function fromRedirect(loc: string): Promise<CodeLoginResult> {
    const q = new URL(loc).searchParams;
    if (q.get('state') !== state) return { loginError: `state mismatch in redirect ${loc}`, location: loc };
    const code = q.get('code');
    if (!code) return { loginError: q.get('error_description') ?? q.get('error') ?? 'no code', location: loc };
    const tokenRes = await fetch(toBack(disc.token_endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: opts.redirectUri,
        ...(opts.pkce !== false ? { code_verifier: pkce.verifier } : {}),
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await tokenRes.json()) as CodeLoginResult['tokens'] & { error?: string };
    if (!tokenRes.ok || !body?.id_token) return { code, location: loc, tokenStatus: tokenRes.status, tokenError: body };
    return {
      code,
      location: loc,
      tokenStatus: tokenRes.status,
      tokens: body,
      idToken: decodeJwt(body.id_token),
      accessToken: decodeJwt(body.access_token),
    };
  }
}
