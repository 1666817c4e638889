/**
 * The sign-in mode this backend runs in, from BACKSTAGE_SIGNIN_MODE (the chart sets it from
 * global.signIn.mode). Exactly one auth provider is registered: the one of the mode. Any other
 * provider path (/api/auth/<other>/...) answers 404, from anywhere, loopback included.
 *
 *   oauth2Proxy    provider oauth2Proxy  identity headers injected by the oauth2-proxy sidecar
 *   verifiedToken  provider oidcProxy    Keycloak ID token forwarded by the sidecar, verified here
 *   oidc           provider oidc         Backstage's own OpenID Connect code flow with Keycloak
 *   oauth2         provider oauth2       Backstage's generic OAuth2 code flow + Keycloak's userinfo
 */

export const SIGN_IN_PROVIDERS = {
  oauth2Proxy: 'oauth2Proxy',
  verifiedToken: 'oidcProxy',
  oidc: 'oidc',
  oauth2: 'oauth2',
} as const;

export type SignInMode = keyof typeof SIGN_IN_PROVIDERS;

/** The mode named by `value` (default oauth2Proxy when unset); throws naming the variable otherwise. */
export function signInMode(value: string | undefined = process.env.BACKSTAGE_SIGNIN_MODE): SignInMode {
  const mode = value === undefined || value === '' ? 'oauth2Proxy' : value;
  if (!(mode in SIGN_IN_PROVIDERS)) {
    throw new Error(`BACKSTAGE_SIGNIN_MODE=${JSON.stringify(value)} is not a sign-in mode: use one of ${Object.keys(SIGN_IN_PROVIDERS).join(', ')} (the chart sets it from global.signIn.mode)`);
  }
  return mode as SignInMode;
}
