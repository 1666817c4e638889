/**
 * Auth provider `oidcProxy`: signs users in from a Keycloak ID token that oauth2-proxy forwards in a
 * request header, verified here (signature against the issuer's JWKS, issuer, audience, expiry with
 * CLOCK_SKEW_SECONDS of tolerance, the claim typ "ID" of Keycloak's ID tokens, azp = the audience)
 * instead of trusting plain identity headers. The email fallback needs email_verified true. Written by this project: the upstream `oidcProxy`
 * module was never published.
 *
 * Config (auth.providers.oidcProxy):
 *   issuer    the realm issuer, e.g. https://keycloak.example.com/realms/backstage (required)
 *   audience  the client id the token must be issued for (required)
 *   header    request header carrying the raw JWT (default x-oidc-id-token)
 *   jwksUrl   where to fetch the signing keys (default: jwks_uri from the issuer's discovery
 *             document; set it when pods reach Keycloak at another address than the issuer)
 *   signIn.resolvers  accepted for symmetry with oauth2Proxy; the resolution is always
 *             preferred_username, then email (see resolvers.ts)
 * Every refusal answers 401 and logs the reason.
 */
import { coreServices, createBackendModule, type LoggerService } from '@backstage/backend-plugin-api';
import { AuthenticationError } from '@backstage/errors';
import { authProvidersExtensionPoint, createProxyAuthenticator, createProxyAuthProviderFactory } from '@backstage/plugin-auth-node';
import { signInKeycloakUser } from './resolvers';

/**
 * Clock skew allowed between Keycloak and this backend when checking exp, nbf and iat: 30 s. A token
 * expired less than 30 s ago is still accepted; one expired longer ago is refused.
 */
export const CLOCK_SKEW_SECONDS = 30;

type Jose = typeof import('jose');
// jose 6 is ESM-only; Node 22 loads it from this CommonJS module with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jose: Jose = require('jose');

interface Settings {
  issuer: string;
  audience: string;
  header: string;
  keys: Parameters<Jose['jwtVerify']>[1];
  logger: LoggerService;
}

interface VerifiedToken {
  claims: Record<string, unknown>;
  token: string;
}

async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`OIDC discovery ${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
  if (doc.issuer !== issuer) throw new Error(`OIDC discovery ${url} reports issuer ${doc.issuer}, not ${issuer}`);
  if (!doc.jwks_uri) throw new Error(`OIDC discovery ${url} has no jwks_uri`);
  return doc.jwks_uri;
}

/** Why a token was refused, in words for the log (jose's codes mapped to the checks). */
function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const claim = (e as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'signed by a key the issuer does not publish';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'iss') return 'wrong issuer';
      if (claim === 'aud') return 'wrong audience';
      return `claim ${claim} invalid`;
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return (e as Error).message;
  }
}

export function createOidcProxyAuthenticator(logger: LoggerService) {
  return createProxyAuthenticator<Settings, VerifiedToken, undefined>({
    defaultProfileTransform: async (result) => ({
      profile: {
        email: typeof result.claims.email === 'string' ? result.claims.email : undefined,
        displayName: typeof result.claims.name === 'string' ? result.claims.name : undefined,
      },
    }),
    initialize({ config }) {
      const issuer = config.getString('issuer').replace(/\/$/, '');
      const audience = config.getString('audience');
      const header = (config.getOptionalString('header') ?? 'x-oidc-id-token').toLowerCase();
      const configured = config.getOptionalString('jwksUrl');
      let remote: ReturnType<Jose['createRemoteJWKSet']> | undefined;
      // Discovery happens on first use, so Backstage starts even while Keycloak is down.
      const keys = (async (protectedHeader: Parameters<ReturnType<Jose['createRemoteJWKSet']>>[0], token: Parameters<ReturnType<Jose['createRemoteJWKSet']>>[1]) => {
        remote ??= jose.createRemoteJWKSet(new URL(configured ?? (await discoverJwksUrl(issuer))));
        return remote(protectedHeader, token);
      }) as Settings['keys'];
      return { issuer, audience, header, keys, logger };
    },
    async authenticate({ req }, s) {
      const value = req.headers[s.header];
      const raw = Array.isArray(value) ? value[0] : value;
      if (!raw) {
        s.logger.warn(`oidcProxy: refused ${req.method} ${req.path}: no ${s.header} header`);
        throw new AuthenticationError(`Missing ${s.header} header: is Backstage reached through oauth2-proxy with the ID token forwarded?`);
      }
      try {
        const { payload } = await jose.jwtVerify(raw.trim(), s.keys as Parameters<Jose['jwtVerify']>[1] & ((...a: never[]) => unknown), {
          issuer: s.issuer,
          audience: s.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
          clockTolerance: CLOCK_SKEW_SECONDS,
        });
        // Keycloak marks its ID tokens with the claim typ "ID" (access tokens: "Bearer", refresh
        // tokens: "Refresh"): an access token of the same client and issuer is not an identity.
        if (payload.typ !== 'ID') throw Object.assign(new Error(`not an ID token (typ ${JSON.stringify(payload.typ ?? null)})`), { code: 'BK_TYP' });
        // The authorized party is the client the token was issued to; `aud` may list more clients.
        if (payload.azp !== s.audience) throw Object.assign(new Error(`issued to another client (azp ${JSON.stringify(payload.azp ?? null)}, expected ${s.audience})`), { code: 'BK_AZP' });
        return { result: { claims: payload as Record<string, unknown>, token: raw } };
      } catch (e) {
        const why = reason(e);
        s.logger.warn(`oidcProxy: refused ${req.method} ${req.path}: ${why}`);
        throw new AuthenticationError(`ID token refused: ${why}`);
      }
    },
  });
}

/** The provider factory of `oidcProxy` (a verified Keycloak ID token from a header). */
export function oidcProxyProviderFactory(logger: LoggerService) {
  return createProxyAuthProviderFactory({
    authenticator: createOidcProxyAuthenticator(logger),
    async signInResolver({ result }, ctx) {
      const c = result.claims;
      const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
      return signInKeycloakUser({ username: str(c.preferred_username), subject: str(c.sub), email: str(c.email), emailVerified: c.email_verified === true }, ctx);
    },
  });
}

/** Registers the `oidcProxy` provider only, whatever the sign-in mode. */
export const authModuleOidcProxyProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'oidc-proxy-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint, logger: coreServices.logger },
      async init({ providers, logger }) {
        providers.registerProvider({ providerId: 'oidcProxy', factory: oidcProxyProviderFactory(logger) });
      },
    });
  },
});
