/**
 * The native sign-in modes: Backstage runs the code flow with Keycloak itself, no proxy in front.
 *
 *   oidc    provider `oidc`: upstream oidcAuthenticator (openid-client: discovery, PKCE-less code
 *           flow with nonce and state, ID token verified: signature, iss, aud, exp, nonce).
 *           Config: auth.providers.oidc.<env>.{metadataUrl, clientId, clientSecret, prompt,
 *           additionalScopes}.
 *   oauth2  provider `oauth2`: upstream oauth2Authenticator (passport-oauth2: explicit
 *           authorizationUrl and tokenUrl, for identity servers whose discovery document cannot be
 *           used), then Keycloak's userinfo endpoint (backstageKeycloak.userinfoUrl) with the access
 *           token tells who signed in. Config: auth.providers.oauth2.<env>.{authorizationUrl,
 *           tokenUrl, clientId, clientSecret, prompt, additionalScopes}.
 *
 * Both resolve like the proxy modes (preferred_username names the catalog User, email is the
 * fallback, a clear 403 otherwise) after enforcing backstageKeycloak.signIn.allowedGroups /
 * allowedRoles (access.ts). The resolver runs again on every /refresh, so a user removed from an
 * allowed group loses access at the next refresh.
 */
import { coreServices, createBackendModule, type LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { AuthenticationError } from '@backstage/errors';
import { oauth2Authenticator } from '@backstage/plugin-auth-backend-module-oauth2-provider';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import { authProvidersExtensionPoint, createOAuthAuthenticator, createOAuthProviderFactory, type OAuthAuthenticatorResult } from '@backstage/plugin-auth-node';
import { enforceAccess, jwtPayload, mergeClaims, readAccessRules, type KeycloakClaims } from './access';
import { signInKeycloakUser } from './resolvers';

function profileOf(claims: KeycloakClaims) {
  return { profile: { email: claims.email, displayName: claims.displayName ?? claims.username } };
}

/** Keycloak's userinfo answer for an access token (oauth2 mode). */
async function userinfo(url: string, accessToken: string, logger: LoggerService): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    logger.warn(`oauth2: userinfo ${url} unreachable: ${(e as Error).message}`);
    throw new AuthenticationError(`Keycloak's userinfo endpoint is unreachable (${url})`);
  }
  if (!res.ok) {
    logger.warn(`oauth2: userinfo ${url} answered ${res.status}`);
    throw new AuthenticationError(`Keycloak's userinfo endpoint refused the access token (${res.status})`);
  }
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The upstream oauth2 authenticator with the prompt taken from config like the oidc provider does
 * (`auto` sends none); upstream always sends prompt=consent.
 */
const keycloakOauth2Authenticator = createOAuthAuthenticator({
  defaultProfileTransform: oauth2Authenticator.defaultProfileTransform,
  scopes: { persist: true, required: ['openid', 'profile', 'email'] },
  initialize(ctx) {
    return { helper: oauth2Authenticator.initialize(ctx), prompt: ctx.config.getOptionalString('prompt') ?? 'auto' };
  },
  async start(input, { helper, prompt }) {
    return helper.start(input, { accessType: 'offline', ...(prompt === 'auto' ? {} : { prompt }) });
  },
  async authenticate(input, { helper }) {
    return helper.authenticate(input);
  },
  async refresh(input, { helper }) {
    return helper.refresh(input);
  },
});

function nativeModule(mode: 'oidc' | 'oauth2') {
  return createBackendModule({
    pluginId: 'auth',
    moduleId: `keycloak-${mode}-provider`,
    register(reg) {
      reg.registerInit({
        deps: { providers: authProvidersExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger },
        async init({ providers, config, logger }) {
          const rules = readAccessRules(config);
          if (mode === 'oidc') {
            const claimsOf = (r: OAuthAuthenticatorResult<{ userinfo: object }>) =>
              // ID token first (verified by openid-client), then userinfo; roles from the access token.
              mergeClaims(jwtPayload(r.session.idToken), r.fullProfile.userinfo as Record<string, unknown>, jwtPayload(r.session.accessToken));
            providers.registerProvider({
              providerId: 'oidc',
              factory: createOAuthProviderFactory({
                authenticator: oidcAuthenticator,
                profileTransform: async (result) => profileOf(claimsOf(result)),
                async signInResolver({ result }, ctx) {
                  const claims = claimsOf(result);
                  enforceAccess(claims, rules);
                  return signInKeycloakUser({ username: claims.username, email: claims.email }, ctx);
                },
              }),
            });
          } else {
            const url = userinfoUrl(config);
            providers.registerProvider({
              providerId: 'oauth2',
              factory: createOAuthProviderFactory({
                authenticator: keycloakOauth2Authenticator,
                // The ID token came straight from the token endpoint: good enough for a display name.
                profileTransform: async (result) => profileOf(mergeClaims(jwtPayload(result.session.idToken))),
                async signInResolver({ result }, ctx) {
                  const info = await userinfo(url, result.session.accessToken, logger);
                  const claims = mergeClaims(info, jwtPayload(result.session.idToken), jwtPayload(result.session.accessToken));
                  enforceAccess(claims, rules);
                  return signInKeycloakUser({ username: claims.username, email: claims.email }, ctx);
                },
              }),
            });
          }
        },
      });
    },
  });
}

function userinfoUrl(config: Config): string {
  const url = config.getOptionalString('backstageKeycloak.userinfoUrl');
  if (!url) throw new Error('backstageKeycloak.userinfoUrl is not set: the oauth2 sign-in mode asks Keycloak who signed in there (the chart sets it from global.keycloak.issuerUrl / internalUrl)');
  return url;
}

export const authModuleKeycloakOidcProvider = nativeModule('oidc');
export const authModuleKeycloakOauth2Provider = nativeModule('oauth2');
