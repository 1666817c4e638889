/**
 * Issue 17, identity and permission attacks, performed against the real backend (sign-in mode
 * oauth2Proxy: identity headers as oauth2-proxy sends them) with users and groups ingested by the
 * real Keycloak catalog provider (@backstage-community/plugin-catalog-backend-module-keycloak,
 * through the app's keycloakIdentity module) from a Keycloak admin API double
 * (test/harness/keycloak-admin-double.ts) that the test edits between ingestions (every 2 s):
 *
 *   - admin by a group's name: mallory in `/developers/admins` is not an admin, alice in `/admins` is;
 *     two nested groups named `admins` do not collide;
 *   - identities that can be claimed: `alice@corp` and `alice-corp` map to one catalog name; in both
 *     orders of creation neither signs in as the other;
 *   - grants by full group path (global.permissions.grants): run templates, register, delete, build
 *     TechDocs, each granted and refused; scaffolder runs readable and cancellable only by their
 *     owner and admins.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll } from '../../scripts/lib/poll.ts';
import { freePort } from '../../scripts/lib/run/process.ts';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { startKeycloakAdminDouble, type DoubleUser, type KeycloakAdminDouble } from '../support/keycloak-admin-double.ts';
import { catalog } from './helpers.ts';

const USERS = {
  alice: { id: '11111111-0000-4000-8000-000000000001', username: 'alice', email: 'alice@example.com', firstName: 'Alice', lastName: 'Admin' },
  bob: { id: '11111111-0000-4000-8000-000000000002', username: 'bob', email: 'bob@example.com', firstName: 'Bob', lastName: 'User' },
  mallory: { id: '11111111-0000-4000-8000-000000000003', username: 'mallory', email: 'mallory@example.com', firstName: 'Mallory', lastName: 'Dev' },
  carol: { id: '11111111-0000-4000-8000-000000000004', username: 'carol', email: 'carol@example.com', firstName: 'Carol', lastName: 'Platform' },
};
const ALICE_CORP: DoubleUser = { id: '22222222-0000-4000-8000-00000000000a', username: 'alice-corp', email: 'alice-corp@example.com', firstName: 'Alice', lastName: 'Corp' };
const ALICE_AT_CORP: DoubleUser = { id: '22222222-0000-4000-8000-00000000000b', username: 'alice@corp', email: 'alice@corp.example', firstName: 'Alice', lastName: 'AtCorp' };

let bs: BackstageHandle;
let kc: KeycloakAdminDouble;
let tmp: string;

interface SignIn {
  status: number;
  ref?: string;
  owns?: string[];
  token?: string;
  message?: string;
}

/** Signs `u` in through the oauth2Proxy provider with the headers oauth2-proxy sends for them. */
async function signIn(u: DoubleUser, base = bs.url): Promise<SignIn> {
  const res = await fetch(`${base}/api/auth/oauth2Proxy/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-user': u.id, 'x-forwarded-preferred-username': u.username, ...(u.email ? { 'x-forwarded-email': u.email } : {}) },
  });
  const body = (await res.json()) as { backstageIdentity?: { token: string; identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { message: string } };
  return { status: res.status, ref: body.backstageIdentity?.identity.userEntityRef, owns: body.backstageIdentity?.identity.ownershipEntityRefs, token: body.backstageIdentity?.token, message: body.error?.message };
}

async function token(u: DoubleUser): Promise<string> {
  const r = await signIn(u);
  if (!r.token) throw new Error(`${u.username} cannot sign in: ${r.status} ${r.message}`);
  return r.token;
}

/** The catalog User `name` as the catalog has it now (undefined when absent). */
async function userEntity(name: string): Promise<any> {
  const r = await catalog(bs.url, await token(USERS.alice), 'GET', `/entities/by-name/user/default/${encodeURIComponent(name)}`);
  return r.status === 200 ? r.body : undefined;
}

async function untilIngested(what: string, check: () => Promise<boolean>): Promise<void> {
  await poll(what, async () => (await check()) || undefined, { timeoutMs: 45_000, intervalMs: 500 });
}

beforeAll(async () => {
  kc = await startKeycloakAdminDouble('backstage', {
    users: Object.values(USERS),
    groups: [
      { id: 'g-admins', name: 'admins', members: ['alice'] },
      { id: 'g-users', name: 'users', members: ['bob'] },
      { id: 'g-developers', name: 'developers', members: [] },
      // Anyone who may manage the /developers subtree can create this one.
      { id: 'g-dev-admins', name: 'admins', parentId: 'g-developers', members: ['mallory'] },
      { id: 'g-platform', name: 'platform', members: [] },
      { id: 'g-platform-admins', name: 'admins', parentId: 'g-platform', members: ['carol'] },
    ],
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-identity-'));
  const config = path.join(tmp, 'app-config.identity.yaml');
  // A static User (no keycloak.org/id: not from the ingestion), named like a cleaned username.
  const staticOrg = path.join(tmp, 'static-org.yaml');
  await writeFile(staticOrg, 'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: dave-corp\nspec:\n  profile:\n    email: dave-corp@example.com\n  memberOf: []\n');
  await writeFile(
    config,
    [
      'catalog:',
      '  locations:',
      '    - type: file',
      '      target: ./catalog/templates/docs-component/template.yaml',
      '      rules: [{ allow: [Template] }]',
      '    - type: file',
      '      target: ./catalog/portal/hello-service/catalog-info.yaml',
      '    - type: file',
      `      target: ${staticOrg}`,
      '      rules: [{ allow: [User] }]',
      '  providers:',
      '    keycloakOrg:',
      '      default:',
      `        baseUrl: ${kc.url}`,
      '        loginRealm: backstage',
      '        realm: backstage',
      '        clientId: backstage-catalog',
      '        clientSecret: double-catalog-secret',
      '        schedule:',
      '          frequency: { seconds: 2 }',
      '          timeout: { minutes: 1 }',
      '          initialDelay: { seconds: 0 }',
      'backstageKeycloak:',
      '  permissions:',
      '    adminGroups: [/admins]',
      '    grants:',
      '      runTemplates: [/users, /platform/admins]',
      '      registerEntities: [/users]',
      '      deleteEntities: [/platform/admins]',
      '      buildTechDocs: [/platform/admins]',
      '',
    ].join('\n'),
  );
  bs = await startBackstage({
    port: await freePort(),
    configs: ['app-config.local.yaml', config],
    env: { BACKSTAGE_KEYCLOAK_CATALOG_SYNC: 'true' },
    waitFor: { what: 'alice, ingested from the Keycloak double, signs in', check: async (url) => (await signIn(USERS.alice, url)).status === 200 },
  });
});

afterAll(async () => {
  await bs?.stop();
  await kc?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('admin rights from a group name (issue 17, Medium)', () => {
  it('alice in /admins owns group:default/admins, named from the full path', async () => {
    const r = await signIn(USERS.alice);
    expect(r.status).toBe(200);
    expect(r.owns).toContain('group:default/admins');
    const g = await catalog(bs.url, r.token!, 'GET', '/entities/by-name/group/default/admins');
    expect(g.body.metadata.annotations['keycloak.org/path']).toBe('/admins');
  });

  it('mallory in /developers/admins is NOT in group:default/admins; /developers/admins and /platform/admins are two Groups', async () => {
    const m = await signIn(USERS.mallory);
    expect(m.status).toBe(200);
    expect(m.owns).not.toContain('group:default/admins');
    const c = await signIn(USERS.carol);
    const t = await token(USERS.alice);
    const byPath = async (p: string) => (await catalog(bs.url, t, 'GET', `/entities?filter=kind=group,metadata.annotations.keycloak.org/path=${encodeURIComponent(p)}`)).body as any[];
    const dev = await byPath('/developers/admins');
    const platform = await byPath('/platform/admins');
    expect(dev).toHaveLength(1);
    expect(platform).toHaveLength(1);
    const devRef = `group:default/${dev[0].metadata.name}`;
    const platformRef = `group:default/${platform[0].metadata.name}`;
    expect(devRef).not.toBe(platformRef);
    expect(m.owns).toContain(devRef);
    expect(c.owns).toContain(platformRef);
    expect(c.owns).not.toContain(devRef);
    // Members are kept apart too, and so is the hierarchy (parent and children follow the paths).
    expect(dev[0].spec.members).toEqual(['mallory']);
    expect(platform[0].spec.members).toEqual(['carol']);
    const [developers] = await byPath('/developers');
    expect(developers.spec.children).toEqual([dev[0].metadata.name]);
    expect(dev[0].spec.parent).toBe(developers.metadata.name);
    const [top] = await byPath('/admins');
    expect(top.spec.parent).toBeUndefined();
    expect(top.spec.children).toEqual([]);
  });

  it('mallory cannot delete, register or refresh (403 each); alice can', async () => {
    const mallory = await token(USERS.mallory);
    const bobUid = (await catalog(bs.url, mallory, 'GET', '/entities/by-name/user/default/bob')).body.metadata.uid;
    expect((await catalog(bs.url, mallory, 'DELETE', `/entities/by-uid/${bobUid}`)).status).toBe(403);
    expect((await catalog(bs.url, mallory, 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/catalog-info.yaml' })).status).toBe(403);
    expect((await catalog(bs.url, mallory, 'POST', '/refresh', { entityRef: 'user:default/bob' })).status).toBe(403);
    const alice = await token(USERS.alice);
    expect((await catalog(bs.url, alice, 'POST', '/refresh', { entityRef: 'user:default/bob' })).status).toBe(200);
    const created = await catalog(bs.url, alice, 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/alice.yaml' });
    expect(created.status).toBe(201);
    expect((await catalog(bs.url, alice, 'DELETE', `/locations/${created.body.location.id}`)).status).toBe(204);
  });
});

describe('grants by full Keycloak group path (global.permissions.grants)', () => {
  it('registerEntities [/users]: bob registers and refreshes; mallory and carol are refused', async () => {
    const bob = await token(USERS.bob);
    const created = await catalog(bs.url, bob, 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/bob.yaml' });
    expect(created.status).toBe(201);
    expect((await catalog(bs.url, bob, 'POST', '/refresh', { entityRef: 'user:default/bob' })).status).toBe(200);
    expect((await catalog(bs.url, bob, 'POST', '/analyze-location', { location: { type: 'url', target: 'http://127.0.0.1:1/x.yaml' } })).status).not.toBe(403);
    for (const u of [USERS.mallory, USERS.carol]) {
      expect((await catalog(bs.url, await token(u), 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/other.yaml' })).status, u.username).toBe(403);
    }
    // deleteEntities is not bob's: his own location stays.
    expect((await catalog(bs.url, bob, 'DELETE', `/locations/${created.body.location.id}`)).status).toBe(403);
    expect((await catalog(bs.url, await token(USERS.carol), 'DELETE', `/locations/${created.body.location.id}`)).status).toBe(204);
  });

  it('deleteEntities [/platform/admins]: carol deletes an entity; bob and mallory are refused', async () => {
    const carol = await token(USERS.carol);
    const uid = (await catalog(bs.url, carol, 'GET', '/entities/by-name/user/default/mallory')).body.metadata.uid;
    expect((await catalog(bs.url, await token(USERS.bob), 'DELETE', `/entities/by-uid/${uid}`)).status).toBe(403);
    expect((await catalog(bs.url, await token(USERS.mallory), 'DELETE', `/entities/by-uid/${uid}`)).status).toBe(403);
    expect((await catalog(bs.url, carol, 'DELETE', `/entities/by-uid/${uid}`)).status).toBe(204);
    // The next ingestion brings mallory back.
    await untilIngested('mallory re-ingested', async () => !!(await userEntity('mallory')));
  });

  it('buildTechDocs [/platform/admins]: bob and mallory trigger no build (the published docs, none yet); carol does', async () => {
    await untilIngested('hello-service in the catalog', async () => (await catalog(bs.url, await token(USERS.alice), 'GET', '/entities/by-name/component/default/hello-service')).status === 200);
    const sync = async (u: DoubleUser) => {
      const res = await fetch(`${bs.url}/api/techdocs/sync/default/component/hello-service`, { headers: { authorization: `Bearer ${await token(u)}` }, signal: AbortSignal.timeout(180_000) });
      return { status: res.status, body: await res.text() };
    };
    const metadata = async () => (await fetch(`${bs.url}/api/techdocs/static/docs/default/component/hello-service/techdocs_metadata.json`, { headers: { authorization: `Bearer ${await token(USERS.bob)}` } })).status;
    for (const u of [USERS.bob, USERS.mallory]) {
      const r = await sync(u);
      expect(r.status, u.username).toBe(200);
      expect(r.body, u.username).toContain('event: finish\ndata: {"updated":false}');
      expect(r.body, u.username).not.toContain('event: log');
    }
    expect(await metadata()).toBe(404);
    expect(bs.logs().join('\n')).toMatch(/TechDocs build of default\/component\/hello-service not triggered: backstage-keycloak\.techdocs\.build denied/);
    const built = await sync(USERS.carol);
    expect(built.body).toMatch(/event: finish\ndata: \{"updated":true\}/);
    expect(await metadata()).toBe(200);
  }, 240_000);

  describe('runTemplates [/users, /platform/admins] and scaffolder runs', () => {
    const run = async (t: string) =>
      fetch(`${bs.url}/api/scaffolder/v2/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ templateRef: 'template:default/docs-only-component', values: { name: `svc-${Date.now()}`, owner: 'group:default/users' } }),
      });
    const task = async (t: string, id: string) => (await fetch(`${bs.url}/api/scaffolder/v2/tasks/${id}`, { headers: { authorization: `Bearer ${t}` } })).status;
    let bobTask: string;

    beforeAll(async () => {
      await untilIngested('the template in the catalog', async () => (await catalog(bs.url, await token(USERS.alice), 'GET', '/entities/by-name/template/default/docs-only-component')).status === 200);
    });

    it('bob and carol run the template (201); mallory is refused (403), dry-run too', async () => {
      const r = await run(await token(USERS.bob));
      expect(r.status).toBe(201);
      bobTask = ((await r.json()) as { id: string }).id;
      expect((await run(await token(USERS.carol))).status).toBe(201);
      const m = await run(await token(USERS.mallory));
      expect(m.status).toBe(403);
      const template = (await catalog(bs.url, await token(USERS.alice), 'GET', '/entities/by-name/template/default/docs-only-component')).body;
      const dry = async (u: DoubleUser) =>
        (
          await fetch(`${bs.url}/api/scaffolder/v2/dry-run`, {
            method: 'POST',
            headers: { authorization: `Bearer ${await token(u)}`, 'content-type': 'application/json' },
            body: JSON.stringify({ template, values: { name: 'dry', owner: 'group:default/users' }, secrets: {}, directoryContents: [] }),
          })
        ).status;
      expect(await dry(USERS.mallory)).toBe(403);
      expect(await dry(USERS.bob)).not.toBe(403);
    });

    it("a run's log and parameters: bob (owner) and alice (admin) read it; carol does not, nor cancels it", async () => {
      expect(await task(await token(USERS.bob), bobTask)).toBe(200);
      expect(await task(await token(USERS.alice), bobTask)).toBe(200);
      const carol = await token(USERS.carol);
      expect(await task(carol, bobTask)).toBe(403);
      const events = await fetch(`${bs.url}/api/scaffolder/v2/tasks/${bobTask}/events`, { headers: { authorization: `Bearer ${carol}` } });
      expect(events.status).toBe(403);
      const cancel = await fetch(`${bs.url}/api/scaffolder/v2/tasks/${bobTask}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${carol}` } });
      expect(cancel.status).toBe(403);
      const list = (await (await fetch(`${bs.url}/api/scaffolder/v2/tasks`, { headers: { authorization: `Bearer ${carol}` } })).json()) as { tasks: { id: string }[] };
      expect(list.tasks.map((t) => t.id)).not.toContain(bobTask);
    });

    it("the sample template's log does not carry the workspace's contents", async () => {
      const bob = await token(USERS.bob);
      await poll('bob\'s run finished', async () => {
        const t = (await (await fetch(`${bs.url}/api/scaffolder/v2/tasks/${bobTask}`, { headers: { authorization: `Bearer ${bob}` } })).json()) as { status: string };
        return ['completed', 'failed'].includes(t.status) ? t.status : undefined;
      }, { timeoutMs: 30_000 });
      const events = (await (await fetch(`${bs.url}/api/scaffolder/v2/tasks/${bobTask}/events`, { headers: { authorization: `Bearer ${bob}` } })).json()) as { body: { message?: string } }[];
      const log = events.map((e) => e.body.message ?? '').join('\n');
      expect(log).toMatch(/Rendered svc-/);
      // The rendered files' contents (mkdocs.yml, docs/index.md) must not be in the log.
      expect(log).not.toMatch(/site_name:|techdocs-core|Write the documentation here/);
    });
  });
});

describe('identities that can be claimed (issue 17, Medium)', () => {
  const without = (...names: string[]) => {
    kc.realm.users = kc.realm.users.filter((u) => !names.includes(u.username));
  };
  afterAll(() => without(ALICE_CORP.username, ALICE_AT_CORP.username));

  for (const [first, second] of [
    [ALICE_CORP, ALICE_AT_CORP],
    [ALICE_AT_CORP, ALICE_CORP],
  ] as const) {
    it(`${first.username} created first, then ${second.username}: neither signs in as the other`, async () => {
      without(ALICE_CORP.username, ALICE_AT_CORP.username);
      await untilIngested('alice-corp gone', async () => !(await userEntity('alice-corp')));
      kc.realm.users.push(first);
      await untilIngested(`${first.username} ingested`, async () => (await userEntity('alice-corp'))?.metadata.annotations['keycloak.org/id'] === first.id);
      const own = await signIn(first);
      expect(own.status, own.message).toBe(200);
      expect(own.ref).toBe('user:default/alice-corp');
      // The second user exists in Keycloak; the catalog still holds the first one's entity.
      kc.realm.users.push(second);
      const claim = await signIn(second);
      expect(claim.status).toBe(403);
      expect(claim.ref).toBeUndefined();
      // After the next ingestion both map to one name: neither is ingested, neither signs in.
      await untilIngested('the clash dropped alice-corp', async () => !(await userEntity('alice-corp')));
      for (const u of [first, second]) {
        const r = await signIn(u);
        expect(r.status, u.username).toBe(403);
      }
      expect(bs.logs().join('\n')).toMatch(/map to user:default\/alice-corp .*none of them is ingested/);
      // The rest of the realm is still ingested.
      expect((await signIn(USERS.bob)).status).toBe(200);
    });
  }

  it('a static User (no keycloak.org/id) is reached only by the username that is its name, never by a cleaned one', async () => {
    const claim = await signIn({ id: '33333333-0000-4000-8000-00000000000d', username: 'dave@corp', email: 'dave@corp.example' });
    expect(claim.status).toBe(403);
    expect(claim.message).toMatch(/maps to user:default\/dave-corp, but its name is not the Keycloak username "dave@corp" itself/);
    const own = await signIn({ id: '33333333-0000-4000-8000-00000000000e', username: 'dave-corp', email: 'dave-corp@example.com' });
    expect(own.status, own.message).toBe(200);
    expect(own.ref).toBe('user:default/dave-corp');
  });
});
