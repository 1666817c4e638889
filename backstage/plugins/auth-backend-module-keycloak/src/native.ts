/**
 * The native sign-in modes: Backstage runs the code flow with Keycloak itself, no proxy in front.
 *
 *   oidc    provider `oidc`: upstream oidcAuthenticator (openid-client: discovery, PKCE-less code
 *           flow with nonce and state, ID token verified: signature, iss, aud, exp, nonce).
 *           Config: auth.providers.oidc.<env>.{metadataUrl, clientId, clientSecret, prompt,
 *           additionalScopes}.
 *   oauth2  provider `oauth2`: Backstage's generic OAuth2 flow (passport-oauth2: explicit
 *           authorizationUrl and tokenUrl, for identity servers whose discovery document cannot be
 *           used; with PKCE and a configurable prompt, see below), then Keycloak's userinfo endpoint (backstageKeycloak.userinfoUrl) with the access
 *           token tells who signed in. Config: auth.providers.oauth2.<env>.{authorizationUrl,
 *           tokenUrl, clientId, clientSecret, prompt, additionalScopes}.
 *
 * Both resolve like the proxy modes (preferred_username names the catalog User, email is the
 * fallback only when `email_verified` is true, the catalog User bound to the
 * token's `sub`, a clear 403 otherwise) after enforcing backstageKeycloak.signIn.allowedGroups /
 * allowedRoles (access.ts). The resolver runs again on every /refresh, so a user removed from an
 * allowed group loses access at the next refresh.
 */
import { coreServices, createBackendModule, type LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { AuthenticationError } from '@backstage/errors';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import { createHash, createHmac } from 'node:crypto';
import { authProvidersExtensionPoint, createOAuthAuthenticator, createOAuthProviderFactory, PassportOAuthAuthenticatorHelper, type OAuthAuthenticatorResult } from '@backstage/plugin-auth-node';
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

type Verify = (accessToken: string, refreshToken: string, params: Record<string, unknown>, fullProfile: object, done: (err: unknown, user?: unknown, info?: unknown) => void) => void;
interface OAuth2StrategyLike {
  authenticate(req: { query?: Record<string, unknown> }, options?: Record<string, unknown>): void;
  authorizationParams(options: Record<string, unknown>): Record<string, string>;
  tokenParams(options: Record<string, unknown>): Record<string, string>;
}
// The strategy the upstream oauth2 provider uses (passport-oauth2), constructed the same way here so
// that prompt and PKCE can be set: upstream always sends prompt=consent and no PKCE, which a
// Keycloak client requiring PKCE (the dev realm's does) refuses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Strategy: OAuth2Strategy } = require('passport-oauth2') as { Strategy: new (options: Record<string, unknown>, verify: Verify) => OAuth2StrategyLike };

/**
 * Backstage's generic OAuth2 flow (passport-oauth2 driven by PassportOAuthAuthenticatorHelper, as
 * in @backstage/plugin-auth-backend-module-oauth2-provider) with two changes:
 *   - prompt from config like the oidc provider (`auto` sends none), instead of always `consent`;
 *   - PKCE S256. Backstage hands passport its own `state` (a random nonce bound to a cookie of the
 *     browser, checked before the code is exchanged), so the verifier is derived from that state
 *     and the client secret (HMAC-SHA256): only this backend can compute it, and a code obtained
 *     for any other authorization request fails at the token endpoint.
 */
const keycloakOauth2Authenticator = createOAuthAuthenticator({
  defaultProfileTransform: PassportOAuthAuthenticatorHelper.defaultProfileTransform,
  scopes: { persist: true, required: ['openid', 'profile', 'email'] },
  initialize({ callbackUrl, config }) {
    const clientId = config.getString('clientId');
    const clientSecret = config.getString('clientSecret');
    const strategy = new OAuth2Strategy(
      { clientID: clientId, clientSecret, callbackURL: callbackUrl, authorizationURL: config.getString('authorizationUrl'), tokenURL: config.getString('tokenUrl'), passReqToCallback: false },
      (accessToken, refreshToken, params, fullProfile, done) => done(undefined, { fullProfile, params, accessToken }, { refreshToken }),
    );
    const verifier = (state: string) => createHmac('sha256', clientSecret).update(`backstage-keycloak pkce ${state}`).digest('base64url');
    strategy.authorizationParams = (options): Record<string, string> =>
      typeof options.state === 'string' ? { code_challenge: createHash('sha256').update(verifier(options.state)).digest('base64url'), code_challenge_method: 'S256' } : {};
    strategy.tokenParams = (options): Record<string, string> => (typeof options.pkceState === 'string' ? { code_verifier: verifier(options.pkceState) } : {});
    const authenticate = strategy.authenticate;
    // passport runs authenticate on an Object.create() of the strategy: keep `this`.
    strategy.authenticate = function authenticateWithPkce(this: OAuth2StrategyLike, req, options) {
      return authenticate.call(this, req, { ...options, pkceState: req.query?.state });
    };
    return { helper: PassportOAuthAuthenticatorHelper.from(strategy as never), prompt: config.getOptionalString('prompt') ?? 'auto' };
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

/**
 * The provider factory of a native mode: `oidc` (registered as `oidc`) or `oauth2` (as `oauth2`),
 * with backstageKeycloak.signIn.{allowedGroups, allowedRoles} enforced at every sign-in and refresh.
 */
export function nativeProviderFactory(mode: 'oidc' | 'oauth2', config: Config, logger: LoggerService) {
  const rules = readAccessRules(config);
  if (mode === 'oidc') {
    const claimsOf = (r: OAuthAuthenticatorResult<{ userinfo: object }>) =>
      // ID token first (verified by openid-client), then userinfo; roles from the access token.
      mergeClaims(jwtPayload(r.session.idToken), r.fullProfile.userinfo as Record<string, unknown>, jwtPayload(r.session.accessToken));
    return createOAuthProviderFactory({
      authenticator: oidcAuthenticator,
      profileTransform: async (result) => profileOf(claimsOf(result)),
      async signInResolver({ result }, ctx) {
        const claims = claimsOf(result);
        enforceAccess(claims, rules);
        return signInKeycloakUser({ username: claims.username, subject: claims.subject, email: claims.email, emailVerified: claims.emailVerified }, ctx);
      },
    });
  }
  const url = userinfoUrl(config);
  return createOAuthProviderFactory({
    authenticator: keycloakOauth2Authenticator,
    // The ID token came straight from the token endpoint: good enough for a display name.
    profileTransform: async (result) => profileOf(mergeClaims(jwtPayload(result.session.idToken))),
    async signInResolver({ result }, ctx) {
      const info = await userinfo(url, result.session.accessToken, logger);
      const claims = mergeClaims(info, jwtPayload(result.session.idToken), jwtPayload(result.session.accessToken));
      enforceAccess(claims, rules);
      return signInKeycloakUser({ username: claims.username, subject: claims.subject, email: claims.email, emailVerified: claims.emailVerified }, ctx);
    },
  });
}

function nativeModule(mode: 'oidc' | 'oauth2') {
  return createBackendModule({
    pluginId: 'auth',
    moduleId: `keycloak-${mode}-provider`,
    register(reg) {
      reg.registerInit({
        deps: { providers: authProvidersExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger },
        async init({ providers, config, logger }) {
          providers.registerProvider({ providerId: mode, factory: nativeProviderFactory(mode, config, logger) });
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

/** Registers the `oidc` provider only, whatever the sign-in mode. */
export const authModuleKeycloakOidcProvider = nativeModule('oidc');
/** Registers the `oauth2` provider only, whatever the sign-in mode. */
export const authModuleKeycloakOauth2Provider = nativeModule('oauth2');
