import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, DEV_REALM, DEV_REALM_FILE, DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

describe('the shared dev realm', async () => {
  const realm = JSON.parse(await readFile(path.join(repoRoot, DEV_REALM_FILE), 'utf8'));
  const client = realm.clients.find((c: { clientId: string }) => c.clientId === DEV_CLIENT_ID);

  it('has the realm, groups and users the docs and tests use', () => {
    expect(realm.realm).toBe(DEV_REALM);
    expect(realm.groups.map((g: { name: string }) => g.name).sort()).toEqual(['admins', 'users']);
    for (const u of Object.values(DEV_USERS)) {
      const rep = realm.users.find((x: { username: string }) => x.username === u.username);
      expect(rep.credentials[0].value).toBe(u.password);
      expect(rep.groups).toEqual(u.groups.map((g) => `/${g}`));
      expect(rep.email).toBe(u.email);
    }
    // Keycloak replaces its default client scopes (profile, email, ...) when a realm file lists any.
    expect(realm.clientScopes).toBeUndefined();
  });

  it('has a confidential standard-flow-only client with PKCE, the redirect URI of every sign-in mode, an audience and a groups mapper', () => {
    expect(client).toMatchObject({ publicClient: false, standardFlowEnabled: true, implicitFlowEnabled: false, directAccessGrantsEnabled: false, serviceAccountsEnabled: false });
    expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
    // One client for the four modes: the proxy's callback and Backstage's native handlers.
    expect(client.redirectUris).toEqual(['${BACKSTAGE_PUBLIC_URL}/oauth2/callback', '${BACKSTAGE_PUBLIC_URL}/api/auth/oidc/handler/frame', '${BACKSTAGE_PUBLIC_URL}/api/auth/oauth2/handler/frame']);
    expect(client.attributes['post.logout.redirect.uris']).toBe('${BACKSTAGE_PUBLIC_URL}/*');
    expect(client.secret).toBe('${BACKSTAGE_CLIENT_SECRET}');
    const mappers = Object.fromEntries(client.protocolMappers.map((m: { protocolMapper: string; config: Record<string, string> }) => [m.protocolMapper, m.config]));
    expect(mappers['oidc-audience-mapper']['included.client.audience']).toBe(DEV_CLIENT_ID);
    expect(mappers['oidc-audience-mapper']['id.token.claim']).toBe('true');
    expect(mappers['oidc-group-membership-mapper']).toMatchObject({ 'claim.name': 'groups', 'full.path': 'true', 'id.token.claim': 'true' });
  });
});
