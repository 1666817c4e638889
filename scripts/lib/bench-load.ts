/**
 * Closed-loop HTTP load for the benchmarks: `concurrency` workers on keep-alive connections for a
 * given time; latencies of the 200 answers, and the count of anything else.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Phase {
  latencies: number[];
  errors: number;
  ms: number;
}

/** Closed-loop load for `ms`: `concurrency` workers on keep-alive connections. */
export async function load(url: string, headers: Record<string, string>, ms: number, concurrency: number): Promise<Phase> {
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

/** The p-th percentile of `xs`. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Requests per second of a phase. */
export function rps(x: Phase): number {
  return x.latencies.length / (x.ms / 1000);
}
