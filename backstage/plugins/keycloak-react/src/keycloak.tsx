/**
 * Sign-in and sign-out with Keycloak in every sign-in mode (config app.signInProvider, set by the
 * chart from global.signIn.mode):
 *
 *   oauth2Proxy, oidcProxy  the proxy modes: ProxiedSignInPage (oauth2-proxy already signed the user
 *                           in). Sign-out goes through /oauth2/sign_out, where oauth2-proxy calls
 *                           Keycloak's end-session endpoint with the session's ID token
 *                           (--backend-logout-url), clears its cookie and comes back here.
 *   oidc, oauth2            the native modes: a sign-in page with one provider, "Keycloak", using
 *                           Backstage's OAuth popup flow. Sign-out clears Backstage's session, then
 *                           sends the browser to Keycloak's end-session endpoint
 *                           (backstageKeycloak.endSessionUrl) with id_token_hint and back to the app.
 *
 * Either way the Keycloak SSO session ends: the next sign-in asks for the password again.
 */
import React from 'react';
import { OAuth2 } from '@backstage/core-app-api';
import { ProxiedSignInPage, SignInPage as ProviderSignInPage } from '@backstage/core-components';
import {
  configApiRef,
  createApiFactory,
  createApiRef,
  discoveryApiRef,
  oauthRequestApiRef,
  useApi,
  type BackstageIdentityApi,
  type ConfigApi,
  type IdentityApi,
  type OAuthApi,
  type OpenIdConnectApi,
  type ProfileInfoApi,
  type SessionApi,
  type SignInPageProps,
} from '@backstage/core-plugin-api';

export const PROXY_PROVIDERS = ['oauth2Proxy', 'oidcProxy'];

/** The provider of the deployment's sign-in mode (app.signInProvider). */
export function signInProvider(config: ConfigApi): string {
  return config.getOptionalString('app.signInProvider') ?? 'oauth2Proxy';
}

/** Backstage's OAuth client for the native provider (oidc or oauth2), titled Keycloak. */
export const keycloakAuthApiRef = createApiRef<OAuthApi & OpenIdConnectApi & ProfileInfoApi & BackstageIdentityApi & SessionApi>({
  id: 'backstage-keycloak.auth.keycloak',
});

export const keycloakAuthApiFactory = createApiFactory({
  api: keycloakAuthApiRef,
  deps: { discoveryApi: discoveryApiRef, oauthRequestApi: oauthRequestApiRef, configApi: configApiRef },
  factory: ({ discoveryApi, oauthRequestApi, configApi }) => {
    const provider = signInProvider(configApi);
    return OAuth2.create({
      configApi,
      discoveryApi,
      oauthRequestApi,
      // Unused in the proxy modes (no such provider there): oidc keeps it harmless.
      provider: { id: PROXY_PROVIDERS.includes(provider) ? 'oidc' : provider, title: 'Keycloak', icon: () => null },
      environment: configApi.getOptionalString('auth.environment'),
      defaultScopes: ['openid', 'profile', 'email'],
    });
  },
});

/** `inner` with its signOut replaced. */
function withSignOut(inner: IdentityApi, signOut: () => Promise<void>): IdentityApi {
  const legacy = inner as IdentityApi & { getUserId?: () => string; getIdToken?: () => Promise<string | undefined>; getProfile?: () => unknown };
  return {
    getUserId: () => legacy.getUserId?.() ?? '',
    getIdToken: async () => legacy.getIdToken?.(),
    getProfile: () => legacy.getProfile?.(),
    getProfileInfo: () => inner.getProfileInfo(),
    getBackstageIdentity: () => inner.getBackstageIdentity(),
    getCredentials: () => inner.getCredentials(),
    signOut,
  } as IdentityApi;
}

/** Leaves the page for `url` and never settles, so Backstage does not navigate elsewhere meanwhile. */
function leaveFor(url: string): Promise<void> {
  window.location.assign(url);
  return new Promise<void>(() => undefined);
}

/** The sign-in page of the mode, whose identity signs out of Keycloak too. */
export function KeycloakSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const keycloak = useApi(keycloakAuthApiRef);
  const provider = signInProvider(config);
  const appUrl = config.getString('app.baseUrl').replace(/\/+$/, '');
  const basePath = new URL(appUrl).pathname.replace(/\/+$/, '');

  if (PROXY_PROVIDERS.includes(provider)) {
    const onSignInSuccess = (identity: IdentityApi) =>
      props.onSignInSuccess(
        withSignOut(identity, async () => {
          await identity.signOut().catch(() => undefined);
          return leaveFor(`${basePath}/oauth2/sign_out?rd=${encodeURIComponent(`${basePath}/`)}`);
        }),
      );
    return <ProxiedSignInPage {...props} provider={provider} onSignInSuccess={onSignInSuccess} />;
  }

  const endSessionUrl = config.getOptionalString('backstageKeycloak.endSessionUrl');
  const onSignInSuccess = (identity: IdentityApi) =>
    props.onSignInSuccess(
      withSignOut(identity, async () => {
        // Read the ID token while the session still exists, then end Backstage's session (its
        // refresh-token cookie; the oidc provider also revokes the refresh token), then Keycloak's.
        const idToken = await keycloak.getIdToken({ optional: true }).catch(() => undefined);
        await identity.signOut().catch(() => undefined);
        if (!endSessionUrl) return leaveFor(`${basePath}/`);
        const params = new URLSearchParams({ post_logout_redirect_uri: `${appUrl}/` });
        if (idToken) params.set('id_token_hint', idToken);
        return leaveFor(`${endSessionUrl}?${params}`);
      }),
    );
  return (
    <ProviderSignInPage
      {...props}
      onSignInSuccess={onSignInSuccess}
      provider={{ id: 'keycloak', title: 'Keycloak', message: 'Sign in using Keycloak', apiRef: keycloakAuthApiRef }}
    />
  );
}
