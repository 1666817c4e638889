/**
 * What the README and NOTES say about X-Forwarded-* headers, checked against the real oauth2-proxy
 * running the rendered configuration, with a loopback HTTP server in Backstage's place recording
 * what reaches it. No login is needed: the claims are about requests without a session.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { render } from '../helpers/chart.ts';
import { freePort, startProxy } from '../helpers/oauth2-proxy-server.ts';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

let upstream: http.Server;
let upstreamUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  const port = await freePort();
  upstream = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end('upstream');
  });
  await new Promise<void>((r) => upstream.listen(port, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  await new Promise((r) => upstream?.close(r));
});

const INTERNAL = { internalUrl: 'http://127.0.0.1:9' };
const IDENTITY = { 'X-Forwarded-User': 'admin', 'X-Forwarded-Email': 'admin@example.com', 'X-Forwarded-Preferred-Username': 'admin', 'X-Forwarded-Groups': '/admins', 'X-Oidc-Id-Token': 'forged.jwt.token' };

async function through(values: Record<string, unknown>, reqPath: string, headers: Record<string, string>): Promise<{ status: number; reached?: Seen }> {
  const proxy = await startProxy(await render({ values }), { upstream: upstreamUrl });
  try {
    seen.length = 0;
    const res = await fetch(`${proxy.url}${reqPath}`, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    return { status: res.status, reached: seen[0] };
  } finally {
    await proxy.stop();
  }
}

describe('X-Forwarded-* through the rendered proxy', () => {
  it.each([
    ['oauth2Proxy', {}],
    ['verifiedToken', { signIn: { mode: 'verifiedToken' } }],
  ])('%s mode: every identity header the proxy injects is deleted from the client\'s request; other headers pass through', async (_mode, extra) => {
    const res = await through({ global: { ...extra, keycloak: INTERNAL } }, '/.backstage/health/v1/readiness', { ...IDENTITY, 'X-Custom': 'kept' });
    expect(res.status).toBe(200);
    const h = res.reached!.headers;
    for (const name of ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-preferred-username', 'x-forwarded-groups']) expect(h[name], name).toBeUndefined();
    if (_mode === 'verifiedToken') expect(h['x-oidc-id-token']).toBeUndefined();
    expect(h['x-custom']).toBe('kept');
  });

  it('with trustedProxyIPs empty (the default), no --reverse-proxy: a client\'s X-Forwarded-Uri cannot pick the login-free route (401, nothing reaches Backstage)', async () => {
    const m = await render({ values: { global: { oauth2Proxy: { trustedProxyIPs: [] } } } });
    expect(m.configMap('backstage-oauth2-proxy').data!.OAUTH2_PROXY_REVERSE_PROXY).toBe('false');
    const res = await through({ global: { keycloak: INTERNAL, oauth2Proxy: { trustedProxyIPs: [] } } }, '/api/catalog/entities', { 'X-Forwarded-Uri': '/.backstage/health/v1/readiness', ...IDENTITY });
    expect(res.status).toBe(401);
    expect(res.reached).toBeUndefined();
  });

  it('the bypass that --reverse-proxy without a trusted list would open is real (why the default is off)', async () => {
    // The same request against the rendered configuration with only --reverse-proxy forced on.
    const m = await render({ values: { global: { keycloak: INTERNAL, oauth2Proxy: { trustedProxyIPs: [] } } } });
    const cm = m.configMap('backstage-oauth2-proxy');
    cm.data!.OAUTH2_PROXY_REVERSE_PROXY = 'true';
    const proxy = await startProxy(m, { upstream: upstreamUrl });
    try {
      seen.length = 0;
      const res = await fetch(`${proxy.url}/api/catalog/entities`, { headers: { 'X-Forwarded-Uri': '/.backstage/health/v1/readiness', ...IDENTITY }, redirect: 'manual' });
      await res.arrayBuffer();
      expect(seen[0]?.url).toBe('/api/catalog/entities');
      expect(seen[0]?.headers['x-forwarded-user']).toBeUndefined();
    } finally {
      await proxy.stop();
    }
  });

  it('with trustedProxyIPs set, a client outside them cannot: 401, nothing reaches Backstage', async () => {
    const res = await through({ global: { keycloak: INTERNAL, oauth2Proxy: { trustedProxyIPs: ['10.0.0.0/8'] } } }, '/api/catalog/entities', { 'X-Forwarded-Uri': '/.backstage/health/v1/readiness' });
    expect(res.status).toBe(401);
    expect(res.reached).toBeUndefined();
  });
});

describe('the README says what holds', () => {
  it('no claim that the proxy strips every client X-Forwarded-* header; the precise rule and the trustedProxyIPs effect instead', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/strips client X-Forwarded-\*/);
    expect(readme).toMatch(/deletes the identity headers/);
    expect(readme).toMatch(/When\s+that list is empty \(the default\), it runs WITHOUT `--reverse-proxy` and ignores them from every\s+client/);
    expect(readme).toMatch(/X-Forwarded-Uri/);
  });
});
