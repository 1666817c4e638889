/**
 * @backstage-keycloak/plugin-keycloak-react: sign-in and sign-out with Keycloak for a Backstage app
 * (keycloak.tsx). Add `keycloakAuthApiFactory` to the app's apis and `KeycloakSignInPage` as its
 * SignInPage component.
 */
export { KeycloakSignInPage, keycloakAuthApiFactory, keycloakAuthApiRef, signInProvider, PROXY_PROVIDERS } from './keycloak';
