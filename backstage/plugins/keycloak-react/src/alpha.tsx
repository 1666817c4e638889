/**
 * The new frontend system's entry (`@backstage-keycloak/plugin-keycloak-react/alpha`): the same
 * sign-in pages and auth API as the legacy entry (keycloak.tsx), as extensions of the `app`
 * plugin, in one module that is this entry's default export. An app created by
 * `@backstage/create-app` (`app.packages: all`) discovers it once the package is a dependency of
 * packages/app; otherwise `createApp({ features: [keycloakModule] })`.
 *
 * Extensions (ids as the app reports them; the app root takes exactly ONE enabled sign-in page):
 *   api:app/keycloak-auth                 the native client of app.signInProvider  (enabled)
 *   api:app/keycloak-oidc-auth            the native client, provider oidc          (enabled)
 *   api:app/keycloak-oauth2-auth          the native client, provider oauth2        (enabled)
 *   sign-in-page:app                      the page of app.signInProvider's mode     (enabled; it
 *                                         REPLACES the app plugin's default guest page, which
 *                                         has this id: a second page would leave the app blank)
 *   sign-in-page:app/keycloak-<mode>      the page of one mode: oauth2-proxy, verified-token,
 *                                         oidc, oauth2                              (disabled)
 *
 * To pin a mode in app-config instead of following app.signInProvider, the mode's page FIRST (the
 * app's bootstrap asks only the first sign-in page attached to app/root whether it is enabled, and
 * app.extensions moves the ones it lists to the front; with `sign-in-page:app: false` first the app
 * has no sign-in page and signs everyone in as the guest):
 *   app:
 *     extensions:
 *       - sign-in-page:app/keycloak-oidc: true
 *       - sign-in-page:app: false
 */
import { ApiBlueprint, createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import type { SignInPageProps } from '@backstage/core-plugin-api';
import {
  KeycloakSignInPage,
  keycloakAuthApiFactory,
  keycloakOAuth2AuthApiFactory,
  keycloakOidcAuthApiFactory,
  type SignInMode,
} from './keycloak';

/** The native Keycloak client of app.signInProvider (keycloakAuthApiRef), as an API extension. */
export const keycloakAuthApi = ApiBlueprint.make({
  name: 'keycloak-auth',
  params: (defineParams) => defineParams(keycloakAuthApiFactory),
});

/** The native Keycloak client for provider oidc (keycloakOidcAuthApiRef). */
export const keycloakOidcAuthApi = ApiBlueprint.make({
  name: 'keycloak-oidc-auth',
  params: (defineParams) => defineParams(keycloakOidcAuthApiFactory),
});

/** The native Keycloak client for provider oauth2 (keycloakOAuth2AuthApiRef). */
export const keycloakOAuth2AuthApi = ApiBlueprint.make({
  name: 'keycloak-oauth2-auth',
  params: (defineParams) => defineParams(keycloakOAuth2AuthApiFactory),
});

/**
 * The sign-in page of the mode app.signInProvider names (what the chart sets). No name: its id is
 * the app plugin's default sign-in page's, which this module's extension replaces.
 */
export const keycloakSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (props: SignInPageProps) => <KeycloakSignInPage {...props} />,
  },
});

function modePage(mode: SignInMode, name: string) {
  return SignInPageBlueprint.make({
    name,
    disabled: true,
    params: {
      loader: async () => (props: SignInPageProps) => <KeycloakSignInPage {...props} mode={mode} />,
    },
  });
}

/** One sign-in page per sign-in mode, whatever app.signInProvider says; disabled until enabled. */
export const keycloakSignInPages = {
  oauth2Proxy: modePage('oauth2Proxy', 'keycloak-oauth2-proxy'),
  verifiedToken: modePage('verifiedToken', 'keycloak-verified-token'),
  oidc: modePage('oidc', 'keycloak-oidc'),
  oauth2: modePage('oauth2', 'keycloak-oauth2'),
} as const;

/** Everything above, for the `app` plugin. */
export const keycloakModule = createFrontendModule({
  pluginId: 'app',
  extensions: [keycloakAuthApi, keycloakOidcAuthApi, keycloakOAuth2AuthApi, keycloakSignInPage, ...Object.values(keycloakSignInPages)],
});

export default keycloakModule;
