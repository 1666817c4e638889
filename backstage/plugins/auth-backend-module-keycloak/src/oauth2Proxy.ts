/**
 * Auth provider `oauth2Proxy`: the upstream authenticator (identity from the headers oauth2-proxy
 * injects), with this project's resolution: X-Forwarded-Preferred-Username names the catalog User,
 * X-Forwarded-User (Keycloak's `sub`) must be the one the catalog User is bound to,
 * X-Forwarded-Email is the fallback, and an unknown user gets a clear 403 (see resolvers.ts).
 * The configured signIn.resolvers are not used: this module replaces the upstream one.
 */
import { createBackendModule } from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint, createProxyAuthProviderFactory } from '@backstage/plugin-auth-node';
import { oauth2ProxyAuthenticator } from '@backstage/plugin-auth-backend-module-oauth2-proxy-provider';
import { signInKeycloakUser } from './resolvers';

/** The provider factory of `oauth2Proxy` with Keycloak's resolution (registered as `oauth2Proxy`). */
export function keycloakOauth2ProxyProviderFactory() {
  return createProxyAuthProviderFactory({
    authenticator: oauth2ProxyAuthenticator,
    async signInResolver({ result }, ctx) {
      const header = (name: string) => result.getHeader(name) || undefined;
      // X-Forwarded-User is Keycloak's `sub`. oauth2-proxy refuses a login whose email Keycloak has
      // not verified (unless OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL, which the chart
      // refuses), so the email header is a verified one.
      return signInKeycloakUser({ username: header('x-forwarded-preferred-username'), subject: header('x-forwarded-user'), email: header('x-forwarded-email'), emailVerified: true }, ctx);
    },
  });
}

/** Registers the `oauth2Proxy` provider only, whatever the sign-in mode. */
export const authModuleKeycloakOauth2ProxyProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'keycloak-oauth2-proxy-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({ providerId: 'oauth2Proxy', factory: keycloakOauth2ProxyProviderFactory() });
      },
    });
  },
});
