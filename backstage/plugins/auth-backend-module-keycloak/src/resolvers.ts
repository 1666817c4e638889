/**
 * Sign-in resolution shared by every provider: Keycloak's preferred_username names the catalog User
 * through keycloakUserEntityName (identity.ts: the same function the catalog ingestion uses), the
 * User must be bound to the same Keycloak user (keycloak.org/id = `sub`; see identity.ts), and a
 * VERIFIED email is the fallback. A user the catalog does not know, or an entity that belongs to
 * another Keycloak user, gets a clear 403 naming who they are and what to do, never a 500.
 */
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { AuthResolverContext, BackstageSignInResult } from '@backstage/plugin-auth-node';
import { bindingMismatch, keycloakUserEntityName, type EntityLike } from './identity';

export interface KeycloakIdentity {
  /** preferred_username claim (or X-Forwarded-Preferred-Username). */
  username?: string;
  /** Keycloak user id: the `sub` claim (or X-Forwarded-User). */
  subject?: string;
  email?: string;
  /**
   * Whether Keycloak verified that email (`email_verified`). The email fallback is used only when
   * true: Keycloak lets users edit their email in the account console by default.
   */
  emailVerified?: boolean;
}

function isNotFound(e: unknown): boolean {
  return e instanceof NotFoundError || (e as Error).name === 'NotFoundError';
}

function refName(entity: EntityLike): string {
  return `user:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
}

/** Signs in the catalog User bound to this Keycloak user: by name, else by verified email. */
export async function signInKeycloakUser(identity: KeycloakIdentity, ctx: AuthResolverContext): Promise<BackstageSignInResult> {
  const { username, email, subject } = identity;
  if (!username && !email) {
    throw new NotAllowedError('Sign-in refused: the request carries neither a Keycloak username nor an email (is Backstage reached through oauth2-proxy?)');
  }
  const who = `Keycloak user "${username ?? '?'}"`;
  const signInAs = async (entity: EntityLike, by: 'name' | 'email') => {
    const why = bindingMismatch(entity, { subject, username }, by);
    if (why) throw new NotAllowedError(`Sign-in refused: ${who}${subject ? ` (id ${subject})` : ''} maps to ${refName(entity)}, but ${why}. Two Keycloak users must not share one catalog User; ask an administrator.`);
    return ctx.signInWithCatalogUser({ entityRef: refName(entity) });
  };
  if (username) {
    try {
      const { entity } = await ctx.findCatalogUser({ entityRef: { name: keycloakUserEntityName(username) } });
      return await signInAs(entity, 'name');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  if (email && identity.emailVerified === true) {
    try {
      const { entity } = await ctx.findCatalogUser({ filter: { 'spec.profile.email': email } });
      return await signInAs(entity, 'email');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  const unverified = email && identity.emailVerified !== true ? ' (the email is not verified by Keycloak, so it was not used)' : '';
  throw new NotAllowedError(
    `Sign-in refused: ${who}${email ? ` <${email}>` : ''} has no User entity in the Backstage catalog ` +
      `(looked up by name, then by verified spec.profile.email)${unverified}. Ask an administrator to add it, or check the Keycloak catalog ingestion.`,
  );
}
