/**
 * npm run bench:proxy -- [--seconds 10] [--concurrency 8]
 *
 * In one run on one machine: requests per second and p50/p99 latency of a Backstage API endpoint
 * (GET /api/catalog/entities/by-name/user/default/alice with alice's Backstage token) called
 * directly on Backstage's loopback port, then through oauth2-proxy with a valid session (cookie plus
 * the same token). Then the ratios and the proxy's resident memory. Direct and proxied phases
 * alternate in slices so both see the same machine load. Targets: throughput through the proxy at
 * least 90% of direct, p50 added at most 1 ms. The last line is `proxy/direct throughput ratio: <x>`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgv } from 'zx';
import { DEV_USERS } from './lib/dev-credentials.ts';
import { backstageIdentity, loginThroughProxy } from './lib/login.ts';
import { residentBytes } from './lib/run/backstage.ts';
import { startStack } from './lib/run/stack.ts';

const a = parseArgv(process.argv.slice(2), { string: ['seconds', 'concurrency'] });
const seconds = Number(a.seconds ?? 10);
const concurrency = Number(a.concurrency ?? 8);
const slices = 5;

interface Phase {
  latencies: number[];
  errors: number;
  ms: number;
}

/** Closed-loop load for `ms`: `concurrency` workers on keep-alive connections. */
async function load(url: string, headers: Record<string, string>, ms: number): Promise<Phase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      const req = http.get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - t);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => (errors++, resolve()));
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  agent.destroy();
  return { latencies, errors, ms: performance.now() - start };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const stack = await startStack({ log: (l) => console.error(l) });
try {
  const alice = DEV_USERS.alice;
  const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
  const id = await backstageIdentity(stack.publicUrl, jar);
  if (typeof id.body !== 'object' || !id.body.backstageIdentity) throw new Error(`no Backstage identity through the proxy: ${id.status}`);
  const token = id.body.backstageIdentity.token;
  const path = '/api/catalog/entities/by-name/user/default/alice';
  const direct = `${stack.backstage.url}${path}`;
  const proxied = `${stack.publicUrl.replace('localhost', '127.0.0.1')}${path}`;
  const proxyHeaders = { authorization: `Bearer ${token}`, cookie: jar.header(new URL(stack.publicUrl)) ?? '', host: new URL(stack.publicUrl).host };
  const directHeaders = { authorization: `Bearer ${token}` };
  // Warm both paths, then alternate slices.
  await load(direct, directHeaders, 1000);
  await load(proxied, proxyHeaders, 1000);
  const d: Phase = { latencies: [], errors: 0, ms: 0 };
  const p: Phase = { latencies: [], errors: 0, ms: 0 };
  for (let i = 0; i < slices; i++) {
    for (const [target, headers, acc] of [[direct, directHeaders, d], [proxied, proxyHeaders, p]] as const) {
      const r = await load(target, headers, (seconds * 1000) / slices);
      acc.latencies.push(...r.latencies);
      acc.errors += r.errors;
      acc.ms += r.ms;
    }
  }
  const rps = (x: Phase) => x.latencies.length / (x.ms / 1000);
  const rss = await residentBytes(stack.proxy.process.child.pid!);
  console.log(`endpoint: GET ${path} (Backstage token), concurrency ${concurrency}, ${seconds}s per path in ${slices} alternating slices`);
  console.log(`direct:        ${rps(d).toFixed(0)} req/s  p50 ${pct(d.latencies, 50).toFixed(2)} ms  p99 ${pct(d.latencies, 99).toFixed(2)} ms  errors ${d.errors}`);
  console.log(`through proxy: ${rps(p).toFixed(0)} req/s  p50 ${pct(p.latencies, 50).toFixed(2)} ms  p99 ${pct(p.latencies, 99).toFixed(2)} ms  errors ${p.errors}`);
  console.log(`p50 added by the proxy: ${(pct(p.latencies, 50) - pct(d.latencies, 50)).toFixed(2)} ms (target <= 1 ms); p99 added: ${(pct(p.latencies, 99) - pct(d.latencies, 99)).toFixed(2)} ms`);
  console.log(`oauth2-proxy resident memory: ${rss ? (rss / 1024 / 1024).toFixed(1) : '?'} MiB`);
  console.log(`proxy/direct throughput ratio: ${(rps(p) / rps(d)).toFixed(3)}`);
} finally {
  await stack.stop();
}
