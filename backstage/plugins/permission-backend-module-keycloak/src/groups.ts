/**
 * Keycloak groups as catalog Groups, named from their FULL path so that no group can take another's
 * name: the Keycloak catalog ingestion (keycloakGroupTransformer) and the permission policy
 * (permissions.ts, which turns the configured paths into group refs) use this one function.
 *
 *   /admins              -> admins                       a top-level group whose name is already a
 *                                                       plain entity name ([a-z0-9] and inner `-`)
 *                                                       keeps it: readable refs for the common case
 *   /developers/Admins   -> developers.admins.<16 hex>   everything else: the path's segments
 *   /Admins, /team_a     -> admins.<16 hex>, ...         (lower-cased, other characters as `-`)
 *                                                       joined by `.`, then `.` and 64 bits of the
 *                                                       path's SHA-256
 *
 * Injective: plain names never contain a `.`, every other name ends in `.` + a hash of the exact
 * path, so `/developers/admins` can never become `admins` (the attack of issue 17: a subgroup named
 * like the admin group made its members admins) and two nested groups of the same name never meet.
 */
import { createHash } from 'node:crypto';

/** Annotation of an ingested Group holding its full Keycloak path (keycloak.org/id holds its id). */
export const KEYCLOAK_PATH_ANNOTATION = 'keycloak.org/path';

const PLAIN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A full Keycloak group path: `/` then one or more non-empty segments separated by `/`. */
export const GROUP_PATH = /^(\/[^/]+)+$/;

/** The catalog Group name of the Keycloak group at `path` (e.g. `/admins`). Throws on a non-path. */
export function keycloakGroupEntityName(path: string): string {
  if (!GROUP_PATH.test(path)) throw new Error(`${JSON.stringify(path)} is not a full Keycloak group path (write it as /parent/child, e.g. /admins)`);
  const segments = path.slice(1).split('/');
  if (segments.length === 1 && PLAIN.test(segments[0]!) && segments[0]!.length <= 63) return segments[0]!;
  const hash = createHash('sha256').update(path, 'utf8').digest('hex').slice(0, 16);
  const slug = segments
    .map((s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('.')
    .slice(0, 63 - 17)
    .replace(/[^a-z0-9]+$/, '');
  return `${slug || 'group'}.${hash}`;
}

/** The parts of a catalog Group entity the transformer edits (structural). */
export interface GroupEntityLike {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { profile?: { displayName?: string } };
}

/**
 * Group transformer for @backstage-community/plugin-catalog-backend-module-keycloak
 * (keycloakTransformerExtensionPoint.setGroupTransformer): names the Group with
 * keycloakGroupEntityName(path) and records the path (keycloak.org/path). The display name stays
 * the group's own name. A group without a path is not ingested.
 */
export async function keycloakGroupTransformer<E extends GroupEntityLike>(entity: E, group: { name?: string; path?: string }, _realm?: string): Promise<E | undefined> {
  if (!group.path || !GROUP_PATH.test(group.path)) return undefined;
  entity.metadata.name = keycloakGroupEntityName(group.path);
  entity.metadata.annotations = { ...entity.metadata.annotations, [KEYCLOAK_PATH_ANNOTATION]: group.path };
  entity.spec.profile = { ...entity.spec.profile, displayName: entity.spec.profile?.displayName ?? group.name };
  return entity;
}
