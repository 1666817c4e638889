/**
 * Who may sign in, in the native modes (oidc, oauth2), where no oauth2-proxy enforces
 * global.keycloak.allowedGroups / allowedRoles: the same rule as oauth2-proxy's keycloak-oidc
 * provider, so switching modes never widens access.
 *
 *   - no allowed groups and no allowed roles: every user of the realm (with a catalog User);
 *   - otherwise the user needs ONE of the allowed groups (exactly as the `groups` claim carries them)
 *     OR one of the allowed roles (realm role `r`, or client role `<client>:<role>`).
 *
 * Claims come from tokens Backstage received directly from Keycloak's token endpoint (back channel,
 * client-authenticated; in oidc mode openid-client has also verified the ID token) and from
 * Keycloak's userinfo endpoint: never from the browser.
 */
import { NotAllowedError } from '@backstage/errors';
import type { Config } from '@backstage/config';

export interface AccessRules {
  allowedGroups: string[];
  allowedRoles: string[];
}

/** What Keycloak says about the user. */
export interface KeycloakClaims {
  username?: string;
  /** Keycloak user id (`sub`). */
  subject?: string;
  email?: string;
  /** `email_verified` is exactly true. */
  emailVerified: boolean;
  displayName?: string;
  groups: string[];
  /** Realm roles as `r`, client roles as `<client>:<role>`. */
  roles: string[];
}

/** backstageKeycloak.signIn.{allowedGroups, allowedRoles}. */
export function readAccessRules(config: Config): AccessRules {
  const c = config.getOptionalConfig('backstageKeycloak.signIn');
  return {
    allowedGroups: c?.getOptionalStringArray('allowedGroups') ?? [],
    allowedRoles: c?.getOptionalStringArray('allowedRoles') ?? [],
  };
}

/** The payload of a JWT, without verifying it (for tokens received over the back channel only). */
export function jwtPayload(token: string | undefined): Record<string, unknown> {
  if (!token) return {};
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Keycloak's role claims (realm_access.roles, resource_access.<client>.roles) as `r` / `<client>:<r>`. */
export function keycloakRoles(claims: Record<string, unknown>): string[] {
  const roles = strings((claims.realm_access as { roles?: unknown } | undefined)?.roles);
  const resources = claims.resource_access;
  if (resources && typeof resources === 'object') {
    for (const [client, v] of Object.entries(resources as Record<string, { roles?: unknown }>)) {
      for (const r of strings(v?.roles)) roles.push(`${client}:${r}`);
    }
  }
  return roles;
}

/**
 * Merges claim sources, first wins for single values: e.g. (userinfo, ID token, access token).
 * Groups come from the first source that has a `groups` claim; roles from all of them.
 */
export function mergeClaims(...sources: Record<string, unknown>[]): KeycloakClaims {
  const first = (key: string): string | undefined => sources.map((s) => str(s[key])).find(Boolean);
  const groupSource = sources.find((s) => Array.isArray(s.groups));
  return {
    username: first('preferred_username'),
    subject: first('sub'),
    email: first('email'),
    // From the same source as the email: a verified flag of one source never vouches for another's email.
    emailVerified: sources.find((s) => str(s.email))?.email_verified === true,
    displayName: first('name'),
    groups: groupSource ? strings(groupSource.groups) : [],
    roles: [...new Set(sources.flatMap(keycloakRoles))],
  };
}

/** Throws a clear 403 when the rules refuse the user; returns otherwise. */
export function enforceAccess(claims: KeycloakClaims, rules: AccessRules): void {
  const { allowedGroups, allowedRoles } = rules;
  if (!allowedGroups.length && !allowedRoles.length) return;
  // Exact comparison, as oauth2-proxy does: `/admins` (full path) and `admins` are different names.
  const byGroup = allowedGroups.some((g) => claims.groups.includes(g));
  const byRole = allowedRoles.some((r) => claims.roles.includes(r));
  if (byGroup || byRole) return;
  const wanted = [allowedGroups.length ? `one of the groups ${allowedGroups.join(', ')}` : '', allowedRoles.length ? `one of the roles ${allowedRoles.join(', ')}` : ''].filter(Boolean).join(' or ');
  throw new NotAllowedError(
    `Sign-in refused: Keycloak user "${claims.username ?? '?'}" needs ${wanted} (global.keycloak.allowedGroups / allowedRoles); ` +
      `Keycloak says groups [${claims.groups.join(', ')}], roles [${claims.roles.join(', ')}].`,
  );
}
