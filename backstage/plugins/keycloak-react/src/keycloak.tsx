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
import { OAuth2 } from '@backstage/core-app-api';
import { ProxiedSignInPage, SignInPage as ProviderSignInPage } from '@backstage/core-components';
import {
  type ApiRef,
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

/**
 * The chart's sign-in modes (global.signIn.mode) and the Backstage auth provider each one signs in
 * with (app.signInProvider).
 */
export const SIGN_IN_MODES = { oauth2Proxy: 'oauth2Proxy', verifiedToken: 'oidcProxy', oidc: 'oidc', oauth2: 'oauth2' } as const;
export type SignInMode = keyof typeof SIGN_IN_MODES;
export type SignInProvider = (typeof SIGN_IN_MODES)[SignInMode];

/** The provider of the deployment's sign-in mode (app.signInProvider). */
export function signInProvider(config: ConfigApi): string {
  return config.getOptionalString('app.signInProvider') ?? 'oauth2Proxy';
}

/** What the Keycloak auth APIs implement: Backstage's OAuth client for the native provider. */
export type KeycloakAuthApi = OAuthApi & OpenIdConnectApi & ProfileInfoApi & BackstageIdentityApi & SessionApi;

/** Backstage's OAuth client for the native provider of app.signInProvider (oidc or oauth2), titled Keycloak. */
export const keycloakAuthApiRef = createApiRef<KeycloakAuthApi>({
  id: 'backstage-keycloak.auth.keycloak',
});

/** The same client, always for provider `oidc` (the sign-in page of mode oidc, whatever the config says). */
export const keycloakOidcAuthApiRef = createApiRef<KeycloakAuthApi>({
  id: 'backstage-keycloak.auth.keycloak-oidc',
});

/** The same client, always for provider `oauth2`. */
export const keycloakOAuth2AuthApiRef = createApiRef<KeycloakAuthApi>({
  id: 'backstage-keycloak.auth.keycloak-oauth2',
});

/** A factory for `api`: provider `fixed`, or the native provider of app.signInProvider. */
function keycloakAuthFactory(api: ApiRef<KeycloakAuthApi>, fixed?: 'oidc' | 'oauth2') {
  return createApiFactory({
    api,
    deps: { discoveryApi: discoveryApiRef, oauthRequestApi: oauthRequestApiRef, configApi: configApiRef },
    factory: ({ discoveryApi, oauthRequestApi, configApi }) => {
      const configured = signInProvider(configApi);
      // In the proxy modes no native provider exists: oidc keeps the unused client harmless.
      const provider = fixed ?? (PROXY_PROVIDERS.includes(configured) ? 'oidc' : configured);
      return OAuth2.create({
        configApi,
        discoveryApi,
        oauthRequestApi,
        provider: { id: provider, title: 'Keycloak', icon: () => null },
        environment: configApi.getOptionalString('auth.environment'),
        defaultScopes: ['openid', 'profile', 'email'],
      });
    },
  });
}

export const keycloakAuthApiFactory = keycloakAuthFactory(keycloakAuthApiRef);
export const keycloakOidcAuthApiFactory = keycloakAuthFactory(keycloakOidcAuthApiRef, 'oidc');
export const keycloakOAuth2AuthApiFactory = keycloakAuthFactory(keycloakOAuth2AuthApiRef, 'oauth2');

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

export interface KeycloakSignInPageProps extends SignInPageProps {
  /** The sign-in mode this page serves; default: the one app.signInProvider names. */
  mode?: SignInMode;
}

/** The native provider's API ref: the fixed one of `mode`, or the config-driven one. */
function authApiRefOf(mode: SignInMode | undefined): ApiRef<KeycloakAuthApi> {
  if (mode === 'oidc') return keycloakOidcAuthApiRef;
  if (mode === 'oauth2') return keycloakOAuth2AuthApiRef;
  return keycloakAuthApiRef;
}

/**
 * The sign-in page of the mode (`mode`, or app.signInProvider's), whose identity signs out of
 * Keycloak too.
 */
export function KeycloakSignInPage({ mode, ...props }: KeycloakSignInPageProps) {
  const config = useApi(configApiRef);
  const apiRef = authApiRefOf(mode);
  const keycloak = useApi(apiRef);
  const provider = mode ? SIGN_IN_MODES[mode] : signInProvider(config);
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
      provider={{ id: 'keycloak', title: 'Keycloak', message: 'Sign in using Keycloak', apiRef }}
    />
  );
}
