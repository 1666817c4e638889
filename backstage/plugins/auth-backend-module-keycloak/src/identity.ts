/**
 * How a Keycloak user becomes a catalog User, in ONE place: the Keycloak catalog ingestion (through
 * keycloakUserTransformer) and every sign-in resolver (resolvers.ts) use the same function, so the
 * name a user is looked up by is the name they were ingested under.
 *
 *   name        keycloakUserEntityName(username): the username with every character outside
 *               [A-Za-z0-9-_.] replaced by `-` (what the ingestion always did). This is NOT
 *               injective (`alice@corp` and `alice-corp` both give `alice-corp`), so the name alone
 *               never decides who someone is:
 *   binding     the ingested User carries `keycloak.org/id`, the Keycloak user id (the `sub` of
 *               every token; oauth2-proxy sends it as X-Forwarded-User), and
 *               `keycloak.org/username`, the raw username. A sign-in whose subject (or, without a
 *               subject, raw username) differs from the entity's is refused: of two Keycloak users
 *               that map to one entity, neither can sign in as the other.
 *   unbound     a User without `keycloak.org/id` (a static catalog file) is matched only when the
 *               raw username IS its name (case aside, as the catalog compares names): no cleaned
 *               name can reach it.
 */
/** The parts of a catalog entity the binding reads (structural: no dependency on catalog-model). */
export interface EntityLike {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

/** Annotation holding the Keycloak user (or group) id; the ingestion module sets it. */
export const KEYCLOAK_ID_ANNOTATION = 'keycloak.org/id';
/** Annotation holding the raw Keycloak username of an ingested User. */
export const KEYCLOAK_USERNAME_ANNOTATION = 'keycloak.org/username';

/** The catalog User name of a Keycloak username (ingestion and sign-in alike). */
export function keycloakUserEntityName(username: string): string {
  return username.replace(/[^A-Za-z0-9\-_.]/g, '-');
}

/** Who signs in, as far as the binding is concerned. */
export interface KeycloakSubject {
  /** Keycloak user id (`sub`, X-Forwarded-User). */
  subject?: string;
  /** Raw preferred_username. */
  username?: string;
}

/**
 * Why `entity` must not be signed in as `who`, or undefined when it may.
 * Bound entities (keycloak.org/id) need the same subject; unbound ones, when found by name
 * (`by: 'name'`), the raw username as their name (found by a verified email, the email matched).
 */
export function bindingMismatch(entity: EntityLike, who: KeycloakSubject, by: 'name' | 'email'): string | undefined {
  const boundId = entity.metadata.annotations?.[KEYCLOAK_ID_ANNOTATION];
  if (boundId) {
    if (who.subject) return who.subject === boundId ? undefined : `it is bound to another Keycloak user (keycloak.org/id ${boundId})`;
    const boundName = entity.metadata.annotations?.[KEYCLOAK_USERNAME_ANNOTATION];
    return boundName && who.username === boundName ? undefined : 'it is bound to a Keycloak user id and the sign-in carries no subject to compare';
  }
  // The catalog compares names case-insensitively; nothing else may differ.
  if (by === 'name' && who.username !== undefined && who.username.toLowerCase() !== entity.metadata.name.toLowerCase()) {
    return `its name is not the Keycloak username "${who.username}" itself (only ingested Users, bound by keycloak.org/id, are matched on a cleaned name)`;
  }
  return undefined;
}

/** The parts of the ingestion module's UserRepresentation the transformer reads. */
export interface KeycloakUserLike {
  id?: string;
  username?: string;
}

/**
 * User transformer for @backstage-community/plugin-catalog-backend-module-keycloak
 * (keycloakTransformerExtensionPoint.setUserTransformer): names the User with
 * keycloakUserEntityName and binds it to the Keycloak user (keycloak.org/id, keycloak.org/username).
 * A user without id or username is not ingested.
 */
export async function keycloakUserTransformer<E extends EntityLike>(entity: E, user: KeycloakUserLike, _realm?: string, _groups?: unknown): Promise<E | undefined> {
  if (!user.id || !user.username) return undefined;
  entity.metadata.name = keycloakUserEntityName(user.username);
  entity.metadata.annotations = { ...entity.metadata.annotations, [KEYCLOAK_ID_ANNOTATION]: user.id, [KEYCLOAK_USERNAME_ANNOTATION]: user.username };
  return entity;
}
