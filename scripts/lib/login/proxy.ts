/**
 * The browser's sign-in through oauth2-proxy and Keycloak, scripted with a cookie jar: every hop
 * is a real request to the real services, checked as it goes.
 */
import { CookieJar, location, request } from '../http.ts';
import { loginFormAction, loginPageError } from './keycloak-page.ts';

export class LoginError extends Error {}

export interface AuthRedirect {
  /** Keycloak authorization endpoint the anonymous request was sent to. */
  authorize: URL;
  clientId: string | null;
  redirectUri: string | null;
  codeChallengeMethod: string | null;
  scope: string | null;
}

/**
 * GETs `publicUrl/` anonymously and follows the proxy's own redirects (never Keycloak's) until the
 * browser would be sent to Keycloak. Returns the authorization request's parameters.
 */
export async function anonymousRedirect(publicUrl: string, jar = new CookieJar()): Promise<AuthRedirect> {
  let res = await request(new URL('/', publicUrl), { jar });
  for (let hop = 0; hop < 5; hop++) {
    const next = location(res);
    if (res.status < 300 || res.status >= 400 || !next) {
      throw new LoginError(`anonymous GET ${res.url.href} answered ${res.status} instead of a redirect to Keycloak`);
    }
    if (next.origin !== new URL(publicUrl).origin) {
      return {
        authorize: next,
        clientId: next.searchParams.get('client_id'),
        redirectUri: next.searchParams.get('redirect_uri'),
        codeChallengeMethod: next.searchParams.get('code_challenge_method'),
        scope: next.searchParams.get('scope'),
      };
    }
    res = await request(next, { jar });
  }
  throw new LoginError('too many redirects inside the proxy');
}

export interface LoginResult {
  jar: CookieJar;
  /** Where the proxy finally sent the browser after the callback. */
  landed: URL;
}

/**
 * Signs `username` in through the proxy at `publicUrl`: anonymous request, Keycloak's login page,
 * the credentials POST, the proxy's callback. Throws LoginError when no session results (wrong
 * password, user not allowed, ...), with what Keycloak or the proxy answered.
 */
export async function loginThroughProxy(publicUrl: string, username: string, password: string, jar = new CookieJar()): Promise<LoginResult> {
  const origin = new URL(publicUrl).origin;
  const { authorize } = await anonymousRedirect(publicUrl, jar);
  // Keycloak's authorization endpoint: follow its own redirects to the login page.
  let page = await request(authorize, { jar });
  for (let hop = 0; page.status >= 300 && page.status < 400 && hop < 5; hop++) page = await request(location(page)!, { jar });
  const formAction = loginFormAction(page.body);
  if (!formAction) throw new LoginError(`no Keycloak login form at ${page.url.href} (status ${page.status})`);
  const action = new URL(formAction, page.url);
  const form = new URLSearchParams({ username, password, credentialId: '' }).toString();
  let res = await request(action, { method: 'POST', body: form, jar, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  if (res.status === 200 && loginFormAction(res.body)) {
    throw new LoginError(`Keycloak refused the credentials of ${username}: ${loginPageError(res.body) ?? 'login form shown again'}`);
  }
  // Back to the proxy's callback, then on to the application.
  for (let hop = 0; hop < 6; hop++) {
    const next = location(res);
    if (!next) break;
    if (next.origin === origin && next.pathname !== '/oauth2/callback' && !next.pathname.startsWith('/oauth2/')) {
      const names = jar.names(next.hostname);
      if (names.length === 0) throw new LoginError('the proxy set no session cookie');
      return { jar, landed: next };
    }
    res = await request(next, { jar });
  }
  throw new LoginError(`sign-in of ${username} did not complete: last answer ${res.status} from ${res.url.href}${res.status >= 400 ? `: ${res.body.slice(0, 300)}` : ''}`);
}

export interface BackstageIdentity {
  profile?: { email?: string; displayName?: string };
  backstageIdentity?: { token: string; identity: { type: string; userEntityRef: string; ownershipEntityRefs: string[] } };
}

/** GET /api/auth/oauth2Proxy/refresh with the session: what Backstage thinks the user is. */
export async function backstageIdentity(publicUrl: string, jar: CookieJar, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: BackstageIdentity | string }> {
  const res = await request(new URL('/api/auth/oauth2Proxy/refresh', publicUrl), { jar, headers: { 'x-requested-with': 'XMLHttpRequest', ...extraHeaders } });
  try {
    return { status: res.status, body: JSON.parse(res.body) as BackstageIdentity };
  } catch {
    return { status: res.status, body: res.body };
  }
}
