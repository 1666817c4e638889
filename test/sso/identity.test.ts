/**
 * Issue 17, admin rights from a group's name, on the real Keycloak: a group `/developers/admins`
 * (creatable by anyone who manages the /developers subtree) is created through Keycloak's admin
 * API with a user in it, the catalog ingests the realm (the Keycloak provider's task triggered
 * through Backstage's scheduler API), and that user, signed in through oauth2-proxy, is not an
 * admin: not in group:default/admins, refused a delete; alice in `/admins` still is. The backstage
 * tier performs the same and more (identity.test.ts) against a double of the admin API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { request, type CookieJar } from '../../scripts/lib/http.ts';
import { backstageIdentity, loginThroughProxy } from '../../scripts/lib/login/proxy.ts';
import { poll } from '../../scripts/lib/poll.ts';
import { startStack, type Stack } from '../../scripts/lib/run/stack.ts';

let stack: Stack;
const { alice } = DEV_USERS;
const MALLORY = { username: 'mallory', password: 'mallory-dev-password' };

/** A call to Keycloak's admin REST API of realm backstage; returns the status and the Location's last segment. */
async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; id?: string; json?: any }> {
  const res = await fetch(`${stack.keycloak.url}/admin/realms/backstage${path}`, {
    method,
    headers: { authorization: `Bearer ${await stack.keycloak.adminToken()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, id: res.headers.get('location')?.split('/').pop(), json: text ? JSON.parse(text) : undefined };
}

async function signedIn(username: string, password: string): Promise<{ jar: CookieJar; token: string; owns: string[] }> {
  const { jar } = await loginThroughProxy(stack.publicUrl, username, password);
  const id = await backstageIdentity(stack.publicUrl, jar);
  if (typeof id.body !== 'object' || !id.body.backstageIdentity) throw new Error(`${username}: ${id.status} ${JSON.stringify(id.body)}`);
  return { jar, token: id.body.backstageIdentity.token, owns: id.body.backstageIdentity.identity.ownershipEntityRefs };
}

beforeAll(async () => {
  stack = await startStack();
  const developers = await admin('POST', '/groups', { name: 'developers' });
  expect(developers.status).toBe(201);
  const sub = await admin('POST', `/groups/${developers.id}/children`, { name: 'admins' });
  expect(sub.status).toBe(201);
  const user = await admin('POST', '/users', {
    username: MALLORY.username,
    enabled: true,
    email: 'mallory@example.com',
    emailVerified: true,
    firstName: 'Mallory',
    lastName: 'Dev',
    credentials: [{ type: 'password', value: MALLORY.password, temporary: false }],
  });
  expect(user.status).toBe(201);
  expect((await admin('PUT', `/users/${user.id}/groups/${sub.id}`)).status).toBe(204);
  // Ingest now instead of at the next scheduled run (frequencyMinutes).
  const a = await signedIn(alice.username, alice.password);
  const trigger = await request(`${stack.publicUrl}/api/catalog/.backstage/scheduler/v1/tasks/${encodeURIComponent('KeycloakOrgEntityProvider:default:refresh')}/trigger`, {
    method: 'POST',
    jar: a.jar,
    headers: { authorization: `Bearer ${a.token}` },
  });
  expect(trigger.status, trigger.body).toBe(200);
  await poll('mallory ingested and signing in', async () => !!(await signedIn(MALLORY.username, MALLORY.password)), { timeoutMs: 120_000, intervalMs: 2000 });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

describe('admin rights from a group name (real Keycloak)', () => {
  it('mallory in /developers/admins is not in group:default/admins; her group is named from its full path', async () => {
    const m = await signedIn(MALLORY.username, MALLORY.password);
    expect(m.owns).not.toContain('group:default/admins');
    const dev = m.owns.find((r) => r.startsWith('group:default/developers.admins.'));
    expect(dev, m.owns.join(', ')).toMatch(/^group:default\/developers\.admins\.[0-9a-f]{16}$/);
    const group = await request(`${stack.publicUrl}/api/catalog/entities/by-name/group/default/${dev!.split('/').pop()}`, { jar: m.jar, headers: { authorization: `Bearer ${m.token}` } });
    expect(JSON.parse(group.body).metadata.annotations['keycloak.org/path']).toBe('/developers/admins');
  });

  it("mallory's delete is refused (403); alice in /admins still owns group:default/admins and may change the catalog", async () => {
    const m = await signedIn(MALLORY.username, MALLORY.password);
    const bob = await request(`${stack.publicUrl}/api/catalog/entities/by-name/user/default/bob`, { jar: m.jar, headers: { authorization: `Bearer ${m.token}` } });
    const uid = JSON.parse(bob.body).metadata.uid as string;
    const del = await request(`${stack.publicUrl}/api/catalog/entities/by-uid/${uid}`, { method: 'DELETE', jar: m.jar, headers: { authorization: `Bearer ${m.token}` } });
    expect(del.status).toBe(403);
    const a = await signedIn(alice.username, alice.password);
    expect(a.owns).toContain('group:default/admins');
    // The policy does hold admins: alice's refresh of the same entity is allowed.
    const refresh = await request(`${stack.publicUrl}/api/catalog/refresh`, { method: 'POST', jar: a.jar, headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ entityRef: 'user:default/bob' }) });
    expect(refresh.status).toBe(200);
  });
});
