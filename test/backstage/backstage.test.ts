/**
 * The Backstage app of backstage/ as a real backend process (no mocks), in sign-in mode oauth2Proxy
 * (BACKSTAGE_SIGNIN_MODE unset): sign-in from the headers oauth2-proxy sends, only that provider
 * served, the loopback-only listener, the permission policy (least privilege by group, default
 * grants: everyone runs templates), and the
 * refusal of non-canonical request paths. verified-token.test.ts and native.test.ts cover the
 * other modes.
 */
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/run/process.ts';
import { startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { ALL_PROVIDERS, catalog, providerStatus, proxyToken, rawRequest } from './helpers.ts';

const HEADERS_ALICE = {
  // What oauth2-proxy v7 sends for a Keycloak session: the user header is the subject UUID.
  'x-forwarded-user': '6f1c2a9e-3b7d-4c55-9a51-2f0e8d1c7b44',
  'x-forwarded-email': 'alice@example.com',
  'x-forwarded-preferred-username': 'alice',
  'x-forwarded-groups': 'admins',
};

let bs: BackstageHandle;
/** Backstage's health listener (backstageKeycloak.health.listen), where the kubelet's probes go. */
let healthUrl: string;

interface Refresh {
  status: number;
  body: { backstageIdentity?: { identity: { userEntityRef: string; ownershipEntityRefs: string[] } }; error?: { name: string; message: string } };
}

async function refresh(provider: string, headers: Record<string, string>): Promise<Refresh> {
  const res = await fetch(`${bs.url}/api/auth/${provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...headers } });
  return { status: res.status, body: (await res.json()) as Refresh['body'] };
}

beforeAll(async () => {
  const healthPort = await freePort();
  healthUrl = `http://127.0.0.1:${healthPort}`;
  bs = await startBackstage({
    port: await freePort(),
    configs: ['app-config.local.yaml'],
    waitForUser: 'alice',
    env: { APP_CONFIG_backstageKeycloak_health_listen_host: '127.0.0.1', APP_CONFIG_backstageKeycloak_health_listen_port: String(healthPort) },
  });
});

afterAll(async () => {
  await bs?.stop();
});

describe('sign-in through oauth2-proxy headers', () => {
  it('the headers oauth2-proxy sends sign alice in, owning her group', async () => {
    const r = await refresh('oauth2Proxy', HEADERS_ALICE);
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
    expect(r.body.backstageIdentity!.identity.ownershipEntityRefs).toContain('group:default/admins');
  });

  it('falls back to the email when the username matches no User', async () => {
    const r = await refresh('oauth2Proxy', { ...HEADERS_ALICE, 'x-forwarded-preferred-username': 'alice.renamed' });
    expect(r.status).toBe(200);
    expect(r.body.backstageIdentity!.identity.userEntityRef).toBe('user:default/alice');
  });

  it('without identity headers: a clear refusal, not a 500', async () => {
    const r = await refresh('oauth2Proxy', {});
    expect(r.status).toBe(403);
    expect(r.body.error!.message).toMatch(/neither a Keycloak username nor an email/);
  });

  it('a user the catalog does not know: a clear 403 naming them', async () => {
    const r = await refresh('oauth2Proxy', { ...HEADERS_ALICE, 'x-forwarded-preferred-username': 'mallory', 'x-forwarded-email': 'mallory@example.com' });
    expect(r.status).toBe(403);
    expect(r.body.error!.message).toMatch(/Keycloak user "mallory" <mallory@example.com> has no User entity in the Backstage catalog/);
  });

  it('serves the frontend with the sign-in provider in its injected config', async () => {
    const html = await (await fetch(`${bs.url}/`)).text();
    // backstage-cli's bundle: the entry chunk `main.<hash>.js` after the runtime and vendor chunks.
    const main = /<script defer(?:="")? src="(\/static\/main\.[0-9a-f]+\.js)"><\/script>/.exec(html);
    expect(main, 'the entry script of the app bundle').not.toBeNull();
    const script = await fetch(`${bs.url}${main![1]}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(html).toMatch(/"signInProvider": "oauth2Proxy"/);
  });
});

describe('listener', () => {
  it('listens on the configured loopback address only', async () => {
    const port = Number(new URL(bs.url).port);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(external, 'this machine has a non-loopback IPv4 address to test from').toBeTruthy();
    const connect = (host: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect({ host, port }, () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    expect(await connect('127.0.0.1')).toBe('connected');
    expect(await connect(external!)).toBe('ECONNREFUSED');
  });
});

describe('only the provider of the mode', () => {
  it('oauth2Proxy answers; every other provider path is 404, even from loopback', async () => {
    expect(await providerStatus(bs.url, 'oauth2Proxy', 'refresh', { 'x-forwarded-preferred-username': 'alice' })).toBe(200);
    for (const [provider, path] of ALL_PROVIDERS.filter(([p]) => p !== 'oauth2Proxy')) {
      expect(await providerStatus(bs.url, provider, path, { 'x-oidc-id-token': 'x.y.z' }), provider).toBe(404);
    }
  });
});

describe('permission policy: least privilege by Keycloak group', () => {
  let alice: string;
  let bob: string;
  let aliceUid: string;
  beforeAll(async () => {
    alice = await proxyToken(bs.url, 'alice');
    bob = await proxyToken(bs.url, 'bob');
    const r = await catalog(bs.url, bob, 'GET', '/entities/by-name/user/default/alice');
    expect(r.status).toBe(200);
    aliceUid = r.body.metadata.uid;
  });

  it('every signed-in user reads the catalog (bob, group users)', async () => {
    expect((await catalog(bs.url, bob, 'GET', '/entities/by-name/group/default/admins')).status).toBe(200);
    const list = await catalog(bs.url, bob, 'GET', '/entities?filter=kind=user');
    expect(list.status).toBe(200);
    expect(list.body.map((e: { metadata: { name: string } }) => e.metadata.name).sort()).toEqual(['alice', 'bob']);
    expect((await catalog(bs.url, bob, 'GET', '/locations')).status).toBe(200);
  });

  it("bob (not in admins) cannot delete alice's User entity: 403, and alice still signs in", async () => {
    const r = await catalog(bs.url, bob, 'DELETE', `/entities/by-uid/${aliceUid}`);
    expect(r.status).toBe(403);
    expect(r.body.error.name).toBe('NotAllowedError');
    expect((await catalog(bs.url, bob, 'GET', '/entities/by-name/user/default/alice')).status).toBe(200);
    expect(await providerStatus(bs.url, 'oauth2Proxy', 'refresh', { 'x-forwarded-preferred-username': 'alice' })).toBe(200);
  });

  it('bob cannot refresh entities, register or unregister locations, or analyze one: 403 each', async () => {
    expect((await catalog(bs.url, bob, 'POST', '/refresh', { entityRef: 'user:default/alice' })).status).toBe(403);
    expect((await catalog(bs.url, bob, 'POST', '/locations', { type: 'url', target: 'https://example.com/catalog-info.yaml' })).status).toBe(403);
    expect((await catalog(bs.url, bob, 'POST', '/analyze-location', { location: { type: 'url', target: 'https://example.com/x' } })).status).toBe(403);
    // A location alice registered (nothing listens on 127.0.0.1:1: processing it fails harmlessly).
    const created = await catalog(bs.url, alice, 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/catalog-info.yaml' });
    expect(created.status).toBe(201);
    const id = created.body.location.id as string;
    expect((await catalog(bs.url, bob, 'DELETE', `/locations/${id}`)).status).toBe(403);
    expect((await catalog(bs.url, bob, 'GET', `/locations/${id}`)).status).toBe(200);
    expect((await catalog(bs.url, alice, 'DELETE', `/locations/${id}`)).status).toBe(204);
  });

  it('alice (admins) may refresh and delete: the same calls succeed for her', async () => {
    expect((await catalog(bs.url, alice, 'POST', '/refresh', { entityRef: 'user:default/bob' })).status).toBe(200);
    const bobUid = (await catalog(bs.url, alice, 'GET', '/entities/by-name/user/default/bob')).body.metadata.uid;
    expect((await catalog(bs.url, alice, 'DELETE', `/entities/by-uid/${bobUid}`)).status).toBe(204);
    expect((await catalog(bs.url, alice, 'GET', '/entities/by-name/user/default/bob')).status).toBe(404);
  });

  it('defaults (global.permissions.grants): bob, an ordinary user, runs the template and dry-runs it; registering stays refused', async () => {
    const template = await catalog(bs.url, bob, 'GET', '/entities/by-name/template/default/docs-only-component');
    expect(template.status).toBe(200);
    const post = (p: string, body: unknown) => fetch(`${bs.url}/api/scaffolder/v2/${p}`, { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const run = await post('tasks', { templateRef: 'template:default/docs-only-component', values: { name: 'bobs-docs', owner: 'group:default/users' } });
    expect(run.status, await run.clone().text()).toBe(201);
    const dry = await post('dry-run', { template: template.body, values: { name: 'bobs-dry-run', owner: 'group:default/users' }, secrets: {}, directoryContents: [] });
    expect(dry.status).not.toBe(403);
    expect((await catalog(bs.url, bob, 'POST', '/locations', { type: 'url', target: 'http://127.0.0.1:1/bob.yaml' })).status).toBe(403);
  });

  it('without a token the catalog answers 401', async () => {
    expect((await fetch(`${bs.url}/api/catalog/entities`)).status).toBe(401);
  });
});

describe("the health listener (the kubelet's probes; no route through the proxy needs to skip the login)", () => {
  it('GET and HEAD of the two health paths answer as Backstage does', async () => {
    for (const p of ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness']) {
      const r = await rawRequest(healthUrl, p);
      expect(r.status, p).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
      expect((await rawRequest(healthUrl, p, { method: 'HEAD' })).status, `HEAD ${p}`).toBe(200);
    }
  });

  it('everything else is 404, whatever the path, spelling, method or headers: no page, no API, no sign-in', async () => {
    const forged = { ...HEADERS_ALICE, 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-uri': '/.backstage/health/v1/readiness', 'x-original-uri': '/.backstage/health/v1/readiness' };
    const attempts: [string, string][] = [
      ['GET', '/'],
      ['GET', '/settings'],
      ['GET', '/api/auth/oauth2Proxy/refresh'],
      ['GET', '/api/catalog/entities'],
      ['GET', '/.backstage/health/v1/readiness?verbose=1'],
      ['GET', '/.backstage/health/v1/readiness/'],
      ['GET', '//.backstage/health/v1/readiness'],
      ['GET', '/%2ebackstage/health/v1/readiness'],
      ['GET', '/.backstage/health/v1/readiness/../../../../api/catalog/entities'],
      ['GET', '/.backstage/health/v1/readiness#x'],
      ['POST', '/.backstage/health/v1/readiness'],
      ['PUT', '/.backstage/health/v1/liveness'],
      ['OPTIONS', '/.backstage/health/v1/liveness'],
    ];
    for (const [method, p] of attempts) {
      const r = await rawRequest(healthUrl, p, { method, headers: forged });
      expect(r.status, `${method} ${p}`).toBe(404);
      expect(r.body, `${method} ${p}`).not.toMatch(/<html|backstageIdentity|"items"|"status":"ok"/i);
    }
  });
});

describe('only canonical request paths', () => {
  it('the byte-exact health paths answer 200', async () => {
    for (const p of ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness']) {
      const r = await rawRequest(bs.url, p);
      expect(r.status, p).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
    }
  });

  it('percent-encoded or dot-segment spellings of any path get 400, never index.html', async () => {
    for (const p of [
      '/%2ebackstage/health/v1/readiness',
      '/%2Ebackstage/health/v1/readiness',
      '/.backstage/health/v1/%72eadiness',
      '/.backstage/%68ealth/v1/liveness',
      '/.backstage/health/v1/readiness/../../../../api/catalog/entities',
      '/.backstage/health/v1/./readiness',
      '/.backstage/health/v1/readiness/%2e%2e/%2e%2e/%2e%2e/%2e%2e/',
      '/api/catalog%2fentities',
      '/%zz',
      '/index.html%2e',
    ]) {
      const r = await rawRequest(bs.url, p);
      expect(r.status, p).toBe(400);
      expect(r.body, p).not.toMatch(/<html|<!doctype/i);
      expect(JSON.parse(r.body).error.message, p).toMatch(/not in canonical form/);
    }
  });

  it('ordinary paths and encoded query strings are untouched', async () => {
    expect((await rawRequest(bs.url, '/')).status).toBe(200);
    expect((await rawRequest(bs.url, '/settings')).status).toBe(200);
    expect((await rawRequest(bs.url, '/api/catalog/entities?filter=kind%3Duser')).status).toBe(401);
    expect((await rawRequest(bs.url, '/api/catalog/entities/by-name/user/default/alice%20x')).status).toBe(401);
  });
});
