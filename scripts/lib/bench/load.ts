/**
 * HTTP load for the benchmarks, on keep-alive connections:
 * - closed loop: `concurrency` workers, each sending its next request when the previous answered
 *   (throughput at saturation, and latency including CPU queueing);
 * - open loop: requests sent at fixed scheduled times (`rate` per second) whatever the answers,
 *   latency measured from the SCHEDULED send time, so a stall is charged to every request it
 *   delays (no coordinated omission).
 * Latencies of the 200 answers; anything else counts as an error.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Phase {
  latencies: number[];
  errors: number;
  ms: number;
}

export const emptyPhase = (): Phase => ({ latencies: [], errors: 0, ms: 0 });

export function addPhase(acc: Phase, r: Phase): void {
  for (const l of r.latencies) acc.latencies.push(l);
  acc.errors += r.errors;
  acc.ms += r.ms;
}

function send(agent: http.Agent, url: string, headers: Record<string, string>, from: number, out: Phase): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) out.latencies.push(performance.now() - from);
        else out.errors++;
        resolve();
      });
    });
    req.on('error', () => {
      out.errors++;
      resolve();
    });
  });
}

/** Closed-loop load for `ms`: `concurrency` workers on keep-alive connections. */
export async function load(url: string, headers: Record<string, string>, ms: number, concurrency: number): Promise<Phase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out = emptyPhase();
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await send(agent, url, headers, performance.now(), out);
    }),
  );
  agent.destroy();
  out.ms = performance.now() - start;
  return out;
}

/**
 * Open-loop load for `ms` at `rate` requests per second: request i is due at start + i/rate and
 * sent then (late only if this process itself is late), its latency counted from that due time.
 */
export async function openLoad(url: string, headers: Record<string, string>, ms: number, rate: number): Promise<Phase> {
  const agent = new http.Agent({ keepAlive: true });
  const out = emptyPhase();
  const start = performance.now();
  const n = Math.floor((ms / 1000) * rate);
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(send(agent, url, headers, due, out));
  }
  await Promise.all(inflight);
  agent.destroy();
  out.ms = performance.now() - start;
  return out;
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
