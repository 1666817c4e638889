/**
 * @backstage-keycloak/plugin-keycloak-react: sign-in and sign-out with Keycloak for a Backstage app
 * (keycloak.tsx). Legacy frontend system: add `keycloakAuthApiFactory` to the app's apis and
 * `KeycloakSignInPage` as its SignInPage component. New frontend system: the `/alpha` entry.
 */
export {
  KeycloakSignInPage,
  keycloakAuthApiFactory,
  keycloakAuthApiRef,
  keycloakOidcAuthApiFactory,
  keycloakOidcAuthApiRef,
  keycloakOAuth2AuthApiFactory,
  keycloakOAuth2AuthApiRef,
  signInProvider,
  PROXY_PROVIDERS,
  SIGN_IN_MODES,
} from './keycloak';
export type { KeycloakAuthApi, KeycloakSignInPageProps, SignInMode, SignInProvider } from './keycloak';
