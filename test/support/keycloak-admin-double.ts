/**
 * TEST DOUBLE for Keycloak's admin REST API, the part the catalog ingestion
 * (@backstage-community/plugin-catalog-backend-module-keycloak 3.x through
 * @keycloak/keycloak-admin-client) calls: client-credentials token, server info (a Keycloak 26
 * version, so subgroups are listed through /children), users and groups with count, paging,
 * members, children and lookup by id. The realm is a plain object the test edits between
 * ingestions (a user created later, a subgroup added); answers are shaped as Keycloak 26's
 * (brief representations: id, name, path, parentId, subGroupCount; users with id, username,
 * email, names). The sso tier runs the same ingestion against the real Keycloak.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleUser {
  id: string;
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export interface DoubleGroup {
  id: string;
  name: string;
  /** Parent group id (a subgroup) or undefined (top level). */
  parentId?: string;
  /** Usernames of the direct members. */
  members: string[];
}

export interface KeycloakAdminDouble {
  /** Base URL (catalog.providers.keycloakOrg.<id>.baseUrl). */
  url: string;
  realm: { users: DoubleUser[]; groups: DoubleGroup[] };
  /** Requests served, as `METHOD path` (for assertions that an ingestion ran). */
  requests: string[];
  stop(): Promise<void>;
}

function pathOf(groups: DoubleGroup[], g: DoubleGroup): string {
  const parent = g.parentId ? groups.find((p) => p.id === g.parentId) : undefined;
  return `${parent ? pathOf(groups, parent) : ''}/${g.name}`;
}

export async function startKeycloakAdminDouble(realmName: string, realm: KeycloakAdminDouble['realm']): Promise<KeycloakAdminDouble> {
  const requests: string[] = [];
  const brief = (g: DoubleGroup) => ({
    id: g.id,
    name: g.name,
    path: pathOf(realm.groups, g),
    ...(g.parentId ? { parentId: g.parentId } : {}),
    subGroupCount: realm.groups.filter((c) => c.parentId === g.id).length,
    attributes: {},
  });
  const page = <T>(items: T[], q: URLSearchParams) => {
    const first = Number(q.get('first') ?? 0);
    const max = Number(q.get('max') ?? 100);
    return items.slice(first, first + max);
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${u.pathname}`);
    const json = (status: number, v: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (req.method === 'POST' && u.pathname.endsWith('/protocol/openid-connect/token')) {
      req.resume();
      // Unsigned: the admin client only reads `exp` from it (to renew before expiry).
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 300, azp: 'backstage-catalog' })}.`;
      return json(200, { access_token: token, expires_in: 300, token_type: 'Bearer' });
    }
    if (u.pathname === '/admin/serverinfo') return json(200, { systemInfo: { version: '26.7.3' } });
    const base = `/admin/realms/${realmName}`;
    if (!u.pathname.startsWith(base)) return json(404, { error: 'not found' });
    // The admin client asks for collections with a trailing slash (`/users/`).
    const rest = u.pathname.slice(base.length).replace(/\/+$/, '');
    const top = realm.groups.filter((g) => !g.parentId);
    if (rest === '/users/count') return json(200, realm.users.length);
    if (rest === '/users') return json(200, page(realm.users, u.searchParams).map((x) => ({ ...x, enabled: true, emailVerified: true })));
    if (rest === '/groups/count') return json(200, { count: top.length });
    if (rest === '/groups') return json(200, page(top, u.searchParams).map(brief));
    const m = /^\/groups\/([^/]+)(\/children|\/members)?$/.exec(rest);
    const g = m && realm.groups.find((x) => x.id === m[1]);
    if (!m || !g) return json(404, { error: 'Could not find group by id' });
    if (m[2] === '/children') return json(200, page(realm.groups.filter((c) => c.parentId === g.id), u.searchParams).map(brief));
    if (m[2] === '/members') return json(200, page(g.members.map((name) => realm.users.find((x) => x.username === name)).filter(Boolean), u.searchParams));
    return json(200, brief(g));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    realm,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
