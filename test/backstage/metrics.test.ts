/**
 * Backstage's Prometheus metrics (backstage/packages/backend/src/metrics.ts) on the built backend:
 * with BACKSTAGE_METRICS_PORT set (what the chart does with global.metrics.enabled), a listener of
 * its own answers GET /metrics without a login with Prometheus text carrying Backstage's own
 * OpenTelemetry metrics and the HTTP server request histogram, and serves nothing else.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { DEPLOY_DIR, startBackstage, type BackstageHandle } from '../../scripts/lib/run/backstage.ts';
import { freePort, waitUntil } from '../../scripts/lib/run/process.ts';
import { rawRequest } from './helpers.ts';

let bs: BackstageHandle;
let metricsUrl: string;

/** Sum of every sample of `name` (all label sets) in a Prometheus text exposition. */
function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function scrape(): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  bs = await startBackstage({
    port: await freePort(),
    configs: ['app-config.local.yaml'],
    env: { BACKSTAGE_METRICS_PORT: String(port), BACKSTAGE_METRICS_HOST: '127.0.0.1' },
  });
});

afterAll(async () => {
  await bs?.stop();
});

describe('the metrics listener (BACKSTAGE_METRICS_PORT)', () => {
  it('answers GET /metrics with Prometheus text holding Backstage metrics, without a login', async () => {
    // The catalog's gauges are observed on every scrape once the catalog plugin has started.
    let last = '';
    await waitUntil('catalog_entities_count in /metrics', async () => {
      last = (await scrape()).body;
      return /^catalog_entities_count[{ ]/m.test(last);
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    const r = await scrape();
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/^# TYPE catalog_entities_count gauge$/m);
    expect(r.body).toMatch(/^target_info\{[^}]*service_name="backstage"/m);
    expect(bs.logs().join('\n')).toMatch(/metrics listener on 127\.0\.0\.1:\d+ \(GET \/metrics only\)/);
  });

  it('counts the requests Backstage serves (http_server_request_duration), with their status', async () => {
    const before = total((await scrape()).body, 'http_server_request_duration_count');
    for (let i = 0; i < 3; i++) expect((await fetch(`${bs.url}/.backstage/health/v1/readiness`)).status).toBe(200);
    expect((await fetch(`${bs.url}/api/no-such-plugin/x`)).status).toBe(404);
    const after = (await scrape()).body;
    expect(total(after, 'http_server_request_duration_count') - before).toBeGreaterThanOrEqual(4);
    expect(after).toMatch(/^http_server_request_duration_count\{[^}]*http_response_status_code="404"/m);
  });

  it('does not count its own scrapes', async () => {
    await scrape();
    const a = total((await scrape()).body, 'http_server_request_duration_count');
    const b = total((await scrape()).body, 'http_server_request_duration_count');
    // Backstage's plugins call each other over HTTP now and then; ten scrapes would add ten.
    expect(b - a).toBeLessThan(2);
  });

  it("every Backstage series the example Grafana dashboard queries is in the scrape, with the labels it groups by", async () => {
    const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'examples', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    // Selectors `name{...}`: oauth2-proxy's are its own (docs/monitoring.md), the rest Backstage's.
    const queried = [...new Set(exprs.flatMap((e) => [...e.matchAll(/([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1]!)))].filter((n) => !n.startsWith('oauth2_proxy_'));
    expect(queried.sort()).toEqual(['catalog_entities_count', 'http_server_request_duration_count']);
    const body = (await scrape()).body;
    expect(body).toMatch(/^catalog_entities_count\{[^}]*kind="/m);
    expect(body).toMatch(/^http_server_request_duration_count\{[^}]*http_response_status_code="/m);
  });

  it('serves nothing else: other paths, spellings and methods get 404', async () => {
    for (const p of ['/', '/metrics/', '/metrics?x=1', '//metrics', '/./metrics', '/METRICS', '/.backstage/health/v1/readiness', '/api/catalog/entities', '/api/app/', '/index.html']) {
      const r = await rawRequest(metricsUrl, p);
      expect(r.status, `GET ${p}`).toBe(404);
      expect(r.body, `GET ${p}`).not.toMatch(/# TYPE|<html|catalog/i);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect((await rawRequest(metricsUrl, '/metrics', { method })).status, `${method} /metrics`).toBe(404);
    }
    const head = await rawRequest(metricsUrl, '/metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});

describe('BACKSTAGE_METRICS_PORT', () => {
  // The built module (the backend bundle in the deployable app, npm run backstage:build); importing it without the variable starts nothing.
  const metrics = createRequire(import.meta.url)(path.join(DEPLOY_DIR, 'packages/backend/dist/metrics.cjs.js')) as {
    readMetricsListen(env: Record<string, string | undefined>): { host: string; port: number } | undefined;
  };

  it('unset or empty: no listener', () => {
    expect(metrics.readMetricsListen({})).toBeUndefined();
    expect(metrics.readMetricsListen({ BACKSTAGE_METRICS_PORT: '' })).toBeUndefined();
  });

  it('set: all addresses by default, the chart port', () => {
    expect(metrics.readMetricsListen({ BACKSTAGE_METRICS_PORT: '9464' })).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('not a port: refused, naming the variable and the fix', () => {
    for (const v of ['0', '65536', 'metrics', '94 64', '-1']) {
      expect(() => metrics.readMetricsListen({ BACKSTAGE_METRICS_PORT: v }), v).toThrow(/BACKSTAGE_METRICS_PORT=.* is not a TCP port: use a number from 1 to 65535/);
    }
  });
});
