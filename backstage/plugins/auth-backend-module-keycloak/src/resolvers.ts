/**
 * Sign-in resolution shared by both providers: Keycloak's preferred_username names the catalog User
 * (its `sub`, which oauth2-proxy sends as X-Forwarded-User, is a UUID), with the email as fallback.
 * A user the catalog does not know gets a clear 403 naming who they are and what to do, never a
 * 500 with a stack trace.
 */
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { AuthResolverContext, BackstageSignInResult } from '@backstage/plugin-auth-node';

export interface KeycloakIdentity {
  /** preferred_username claim (or X-Forwarded-Preferred-Username). */
  username?: string;
  email?: string;
}

/** Signs in the catalog User named after the Keycloak username, else the one with that email. */
export async function signInKeycloakUser(identity: KeycloakIdentity, ctx: AuthResolverContext): Promise<BackstageSignInResult> {
  const { username, email } = identity;
  if (!username && !email) {
    throw new NotAllowedError('Sign-in refused: the request carries neither a Keycloak username nor an email (is Backstage reached through oauth2-proxy?)');
  }
  if (username) {
    try {
      return await ctx.signInWithCatalogUser({ entityRef: { name: username } });
    } catch (e) {
      if (!(e instanceof NotFoundError) && (e as Error).name !== 'NotFoundError') throw e;
    }
  }
  if (email) {
    try {
      return await ctx.signInWithCatalogUser({ filter: { 'spec.profile.email': email } });
    } catch (e) {
      if (!(e instanceof NotFoundError) && (e as Error).name !== 'NotFoundError') throw e;
    }
  }
  throw new NotAllowedError(
    `Sign-in refused: Keycloak user "${username ?? '?'}"${email ? ` <${email}>` : ''} has no User entity in the Backstage catalog ` +
      '(looked up by name, then by spec.profile.email). Ask an administrator to add it, or check the Keycloak catalog ingestion.',
  );
}
