/**
 * Attacks on the proxy's decision "does this request need a login", performed against the real
 * oauth2-proxy running the rendered configuration, with a loopback HTTP server in Backstage's place
 * recording what reaches it. No session is ever obtained: every request here must get the login
 * (401 for the API, a redirect to Keycloak or 403 otherwise) and NOTHING may reach the upstream.
 *
 * The class (issue: login bypass through X-Forwarded-Uri): no client-controlled header may decide
 * whether a request is authenticated. With --reverse-proxy (global.oauth2Proxy.trustedProxyIPs set)
 * oauth2-proxy matched its login-free routes against a trusted sender's X-Forwarded-Uri, so
 * `GET /` with `X-Forwarded-Uri: /.backstage/health/v1/readiness` reached Backstage without a
 * session. The chart now gives oauth2-proxy no login-free route at all (probes use Backstage's
 * health listener), so no header can select one.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { render } from '../support/chart.ts';
import { freePort, startProxy, type RunningProxy } from '../support/oauth2-proxy.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

let upstream: http.Server;
let upstreamUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  const port = await freePort();
  upstream = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
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

/** Headers proxies and ingress controllers use to carry the "original" path or prefix. */
const PATH_HEADERS = ['X-Forwarded-Uri', 'X-Original-URI', 'X-Original-URL', 'X-Forwarded-Prefix', 'X-Rewrite-URL', 'X-Forwarded-Path'];
/** Paths a proxy might ever have served without a login: Backstage's health paths and the proxy's own. */
const FREE_PATHS = ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness', '/ping', '/ready', '/oauth2/static/x'];
/** What the attacker actually wants. */
const TARGETS = ['/', '/api/catalog/entities', '/catalog/default/user/alice', '/.backstage/health/v1/readiness'];
const METHODS = ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'];

/** A login answer: 401 (API or non-browser), 403, or a redirect to the sign-in, never the upstream. */
function isLogin(status: number): boolean {
  return status === 401 || status === 403 || status === 302;
}

async function send(proxy: RunningProxy, method: string, target: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${proxy.url}${target}`, { method, headers, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

describe.each([
  ['oauth2Proxy', {}],
  ['verifiedToken', { signIn: { mode: 'verifiedToken' } }],
])('%s mode: no header decides whether a request is authenticated', (_mode, extra) => {
  it.each([
    // The sender (this test, on 127.0.0.1) is trusted: what an ingress controller, or any pod in an
    // over-wide trusted range, can do.
    ['the client inside trustedProxyIPs (--reverse-proxy on)', ['127.0.0.0/8']],
    ['the client outside trustedProxyIPs', ['10.0.0.0/8']],
    ['trustedProxyIPs empty (the default, no --reverse-proxy)', []],
  ])('%s: every path header, every login-free path, every target and method gets the login; nothing reaches Backstage', async (_what, trusted) => {
    const m = await render({ values: { global: { ...extra, keycloak: INTERNAL, oauth2Proxy: { trustedProxyIPs: trusted } } } });
    const cm = m.configMap('backstage-oauth2-proxy').data!;
    expect(cm.OAUTH2_PROXY_REVERSE_PROXY).toBe(trusted.length ? 'true' : 'false');
    // No login-free route of any kind is configured.
    expect(Object.keys(cm).filter((k) => /SKIP_AUTH|TRUSTED_IP$|TRUSTED_IPS/.test(k))).toEqual([]);
    const proxy = await startProxy(m, { upstream: upstreamUrl });
    try {
      seen.length = 0;
      const leaked: string[] = [];
      let sent = 0;
      for (const header of PATH_HEADERS) {
        for (const free of FREE_PATHS) {
          for (const target of TARGETS) {
            for (const method of METHODS) {
              const status = await send(proxy, method, target, { [header]: free, 'X-Forwarded-Proto': 'https', ...IDENTITY });
              sent++;
              if (!isLogin(status)) leaked.push(`${method} ${target} ${header}: ${free} -> ${status}`);
            }
          }
        }
      }
      // The plain requests, without any header, get the login too (the health paths included).
      for (const target of TARGETS) for (const method of METHODS) if (!isLogin(await send(proxy, method, target, {}))) leaked.push(`${method} ${target} (no header)`);
      expect(sent).toBe(PATH_HEADERS.length * FREE_PATHS.length * TARGETS.length * METHODS.length);
      expect(leaked).toEqual([]);
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});

describe('the attack, performed against the configuration before the fix', () => {
  it("a login-free health route (the chart's former OAUTH2_PROXY_SKIP_AUTH_ROUTES) plus a trusted sender: GET / with X-Forwarded-Uri reaches Backstage without a session", async () => {
    const m = await render({ values: { global: { keycloak: INTERNAL, oauth2Proxy: { trustedProxyIPs: ['127.0.0.0/8'] } } } });
    const cm = m.configMap('backstage-oauth2-proxy');
    // What the chart rendered until this fix.
    cm.data!.OAUTH2_PROXY_SKIP_AUTH_ROUTES = 'GET=^/\\.backstage/health/v1/(readiness|liveness)$';
    const proxy = await startProxy(m, { upstream: upstreamUrl });
    try {
      seen.length = 0;
      const status = await send(proxy, 'GET', '/api/catalog/entities', { 'X-Forwarded-Uri': '/.backstage/health/v1/readiness' });
      // Why the fix removes the route instead of relying on oauth2-proxy's header handling: with
      // the pinned release the request is passed to the upstream, unauthenticated.
      expect(status).toBe(200);
      expect(seen.map((s) => s.url)).toEqual(['/api/catalog/entities']);
      // Identity headers are never injected for it (there is no session), but Backstage gets the
      // request all the same: a page, the frontend config, or an API that needs no user.
      expect(seen[0]!.headers['x-forwarded-user']).toBeUndefined();
    } finally {
      await proxy.stop();
    }
  });
});

describe('the security model page says what holds', () => {
  it('the precise header rule and what a trusted source can do (docs/security-model.md, which owns the text)', async () => {
    const page = await readFile(path.join(repoRoot, 'docs/security-model.md'), 'utf8');
    expect(page).not.toMatch(/strips client X-Forwarded-\*/);
    expect(page).toMatch(/deletes the identity headers/);
    expect(page).toMatch(/no route without a\s+login/);
    expect(page).toMatch(/What a trusted source can do/);
  });
});
