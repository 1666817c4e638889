/**
 * A signed-in user's steady traffic while something changes (npm run bench:upgrade, the cluster
 * tier's production tests): requests at a fixed rate (open loop: sent on schedule whatever the
 * answers), alternating the app page and catalog API calls, with the user's oauth2-proxy cookie and
 * Backstage token, as the browser sends them. Each request opens its own connection, so every one is
 * routed afresh by the Service (a pod that is going away gets no new ones once its endpoint is gone).
 *
 * A request fails when it gets no answer (connection error, 15 s timeout), a 5xx, a redirect (to the
 * login) or 401/403 (signed out); only 200 counts as served. Cookies the proxy refreshes are kept.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CookieJar, localhostLookup } from '../http.ts';
import { pct } from './load.ts';

export interface TrafficOptions {
  /** Public URL of Backstage (through the proxy), e.g. http://backstage.localhost:7007. */
  baseUrl: string;
  /** The user's session (oauth2-proxy cookie); refreshed cookies are stored back. */
  jar: CookieJar;
  /** The user's Backstage token, for the catalog API. */
  token: string;
  /** Requests per second (default 24). */
  rate?: number;
  /** Paths sent in turn (default: the app page and two catalog API calls). */
  paths?: string[];
}

export interface TrafficResult {
  sent: number;
  served: number;
  failed: number;
  /** Failure kind -> count (e.g. "ECONNRESET", "HTTP 503", "redirect to /oauth2/start"). */
  failures: Record<string, number>;
  /** The first failures, with when they happened (seconds since the start). */
  samples: string[];
  p50: number;
  p99: number;
  seconds: number;
}

export const DEFAULT_PATHS = ['/', '/api/catalog/entities?limit=5', '/catalog', '/api/catalog/entity-facets?facet=kind'];

/** Starts the traffic; `stop()` waits for the requests in flight and returns the figures. */
export function startTraffic(o: TrafficOptions): { stop(): Promise<TrafficResult>; snapshot(): { sent: number; failed: number } } {
  const rate = o.rate ?? 24;
  const paths = o.paths ?? DEFAULT_PATHS;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const samples: string[] = [];
  let sent = 0;
  let failed = 0;
  let running = true;
  const inflight = new Set<Promise<void>>();
  const start = performance.now();

  const fail = (kind: string, detail: string): void => {
    failed++;
    failures[kind] = (failures[kind] ?? 0) + 1;
    if (samples.length < 10) samples.push(`${((performance.now() - start) / 1000).toFixed(1)}s ${detail}`);
  };

  const one = (p: string, due: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const url = new URL(p, o.baseUrl);
      const headers: Record<string, string> = { 'user-agent': 'backstage-keycloak-traffic', accept: p.startsWith('/api/') ? 'application/json' : 'text/html' };
      const cookie = o.jar.header(url);
      if (cookie) headers.cookie = cookie;
      if (p.startsWith('/api/')) headers.authorization = `Bearer ${o.token}`;
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, { method: 'GET', headers, agent: false, lookup: localhostLookup, timeout: 15_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          o.jar.store(url, res.headers['set-cookie']);
          const s = res.statusCode ?? 0;
          if (s === 200) latencies.push(performance.now() - due);
          else if (s >= 300 && s < 400) fail(`redirect to ${new URL(res.headers.location ?? '/', url).pathname}`, `${p}: ${s} -> ${res.headers.location ?? ''}`);
          else if (s === 401 || s === 403) fail(`HTTP ${s} (signed out)`, `${p}: ${s}`);
          else fail(`HTTP ${s}`, `${p}: ${s}`);
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          fail(e.code ?? e.message, `${p}: response ${e.code ?? e.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        fail(e.code ?? e.message, `${p}: ${e.code ?? e.message}`);
        resolve();
      });
      req.end();
    });

  const loop = (async () => {
    for (let i = 0; running; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      sent++;
      const r = one(paths[i % paths.length]!, due);
      inflight.add(r);
      void r.then(() => inflight.delete(r));
    }
  })();

  return {
    snapshot: () => ({ sent, failed }),
    async stop() {
      running = false;
      await loop;
      await Promise.all([...inflight]);
      return { sent, served: latencies.length, failed, failures, samples, p50: pct(latencies, 50), p99: pct(latencies, 99), seconds: (performance.now() - start) / 1000 };
    },
  };
}

/** One line per result: "<name>: sent N, failed F (kinds), p50 X ms, p99 Y ms". */
export function formatTraffic(name: string, r: TrafficResult, extra = ''): string {
  const kinds = Object.entries(r.failures).map(([k, n]) => `${n} ${k}`).join(', ');
  return `${name}: sent ${r.sent} in ${r.seconds.toFixed(0)} s (${(r.sent / r.seconds).toFixed(1)}/s), failed ${r.failed}${kinds ? ` (${kinds})` : ''}, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms${extra}`;
}
