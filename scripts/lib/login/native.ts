/**
 * The browser's sign-in in the native modes (oidc, oauth2), scripted with a cookie jar: the popup
 * flow Backstage's frontend runs, hop by hop against the real services.
 *
 *   GET  <app>/api/auth/<provider>/start?...&flow=popup   Backstage: nonce cookie, redirect to Keycloak
 *   GET  Keycloak's authorization endpoint                 the login page
 *   POST the credentials                                    Keycloak: redirect to the handler
 *   GET  <app>/api/auth/<provider>/handler/frame?code&state Backstage: code exchange, sign-in
 *                                                           resolution, refresh cookie, and a page
 *                                                           posting the result to the opener
 *   GET  <app>/api/auth/<provider>/refresh                 what the app then reads (the identity)
 */
import { CookieJar, location, request, type HttpResponse } from '../http.ts';
import { LoginError, type BackstageIdentity } from './proxy.ts';
import { loginFormAction, loginPageError } from './keycloak-page.ts';

export type NativeProvider = 'oidc' | 'oauth2';

export interface NativeStart {
  /** Keycloak's authorization request Backstage redirected to. */
  authorize: URL;
  res: HttpResponse;
}

/** GET /api/auth/<provider>/start as the frontend's popup does; returns the redirect to Keycloak. */
export async function nativeStart(appUrl: string, provider: NativeProvider, jar: CookieJar, scope = 'openid profile email'): Promise<NativeStart> {
  const origin = new URL(appUrl).origin;
  const start = new URL(`/api/auth/${provider}/start`, appUrl);
  start.search = new URLSearchParams({ scope, origin, flow: 'popup', env: 'production' }).toString();
  const res = await request(start, { jar });
  const next = location(res);
  if (res.status < 300 || res.status >= 400 || !next) throw new LoginError(`${start.pathname} answered ${res.status} instead of a redirect to Keycloak: ${res.body.slice(0, 300)}`);
  return { authorize: next, res };
}

/** The message the handler frame posts to the opener: the auth response, or an error. */
export function frameMessage(html: string): { response?: BackstageIdentity & { providerInfo?: { idToken?: string } }; error?: { name?: string; message?: string } } | undefined {
  const m = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(html);
  if (!m) return undefined;
  try {
    return JSON.parse(decodeURIComponent(m[1]!));
  } catch {
    return undefined;
  }
}

export interface NativeLogin {
  jar: CookieJar;
  /** The handler's answer, as the frontend receives it. */
  response: BackstageIdentity & { providerInfo?: { idToken?: string; accessToken?: string } };
  /** The authorization request (state, redirect_uri, client_id...). */
  authorize: URL;
}

/**
 * Signs `username` in through Backstage's own code flow. Throws LoginError naming what refused:
 * Keycloak (wrong password) or Backstage (the handler's error, e.g. not in an allowed group).
 */
export async function loginNative(appUrl: string, provider: NativeProvider, username: string, password: string, jar = new CookieJar()): Promise<NativeLogin> {
  const { authorize } = await nativeStart(appUrl, provider, jar);
  let page = await request(authorize, { jar });
  for (let hop = 0; page.status >= 300 && page.status < 400 && hop < 5; hop++) {
    const next = location(page)!;
    if (next.origin === new URL(appUrl).origin) break; // already signed in at Keycloak: straight back
    page = await request(next, { jar });
  }
  let res = page;
  if (!(page.status >= 300 && page.status < 400)) {
    const formAction = loginFormAction(page.body);
    if (!formAction) throw new LoginError(`no Keycloak login form at ${page.url.href} (status ${page.status})`);
    const form = new URLSearchParams({ username, password, credentialId: '' }).toString();
    res = await request(new URL(formAction, page.url), { method: 'POST', body: form, jar, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (res.status === 200 && loginFormAction(res.body)) {
      throw new LoginError(`Keycloak refused the credentials of ${username}: ${loginPageError(res.body) ?? 'login form shown again'}`);
    }
  }
  const handler = location(res);
  if (!handler || handler.origin !== new URL(appUrl).origin) throw new LoginError(`Keycloak did not send ${username} back to Backstage: ${res.status} ${res.url.href}`);
  return completeNative(appUrl, handler, jar, authorize);
}

/** GETs the handler URL Keycloak redirected to and reads the result. */
export async function completeNative(_appUrl: string, handler: URL, jar: CookieJar, authorize: URL): Promise<NativeLogin> {
  const frame = await request(handler, { jar });
  const message = frameMessage(frame.body);
  if (!message) throw new LoginError(`${handler.pathname} answered ${frame.status} without an auth response: ${frame.body.slice(0, 300)}`);
  if (message.error || !message.response?.backstageIdentity) {
    throw new LoginError(`Backstage refused the sign-in: ${message.error?.name ?? 'Error'}: ${message.error?.message ?? JSON.stringify(message).slice(0, 300)}`);
  }
  return { jar, response: message.response, authorize };
}

/** GET /api/auth/<provider>/refresh with the jar: Backstage's identity, from its refresh cookie. */
export async function nativeRefresh(appUrl: string, provider: NativeProvider, jar: CookieJar): Promise<{ status: number; body: (BackstageIdentity & { error?: { name: string; message: string }; providerInfo?: { idToken?: string } }) | string }> {
  const res = await request(new URL(`/api/auth/${provider}/refresh?optional&env=production`, appUrl), { jar, headers: { 'x-requested-with': 'XMLHttpRequest' } });
  try {
    return { status: res.status, body: JSON.parse(res.body) };
  } catch {
    return { status: res.status, body: res.body };
  }
}
