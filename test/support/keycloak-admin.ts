/**
 * Realm changes tests make through Keycloak's admin REST API (the real Keycloak of the stack).
 *
 *   await addOptionalClientScope(stack.keycloak, 'groups');   // realm backstage, client backstage
 */
import { expect } from 'vitest';
import type { KeycloakHandle } from '../../scripts/lib/run/keycloak.ts';

/**
 * Creates the client scope `name` (if missing) and makes it an optional scope of the client, so a
 * sign-in may ask for it. oauth2-proxy and Backstage's resolver ask for `groups` when groups are
 * restricted: the realm needs that scope (docs/troubleshooting.md: invalid_scope).
 */
export async function addOptionalClientScope(keycloak: KeycloakHandle, name: string, opts: { realm?: string; clientId?: string } = {}): Promise<void> {
  const admin = `${keycloak.url}/admin/realms/${opts.realm ?? 'backstage'}`;
  const auth = { authorization: `Bearer ${await keycloak.adminToken()}`, 'content-type': 'application/json' };
  const created = await fetch(`${admin}/client-scopes`, { method: 'POST', headers: auth, body: JSON.stringify({ name, protocol: 'openid-connect', attributes: { 'include.in.token.scope': 'true' } }) });
  expect([201, 409]).toContain(created.status);
  const scope = ((await (await fetch(`${admin}/client-scopes`, { headers: auth })).json()) as { id: string; name: string }[]).find((s) => s.name === name)!;
  const client = ((await (await fetch(`${admin}/clients?clientId=${encodeURIComponent(opts.clientId ?? 'backstage')}`, { headers: auth })).json()) as { id: string }[])[0]!;
  expect((await fetch(`${admin}/clients/${client.id}/optional-client-scopes/${scope.id}`, { method: 'PUT', headers: auth })).status).toBe(204);
}
