/**
 * The kernel's per-process accounting for the benchmarks: CPU time (utime+stime of /proc/<pid>/stat,
 * all threads; children's CPU summed for process trees such as PostgreSQL's backends), the whole
 * machine's busy time (/proc/stat, to show how much of the CPU other jobs took during a phase), and
 * resident memory (VmRSS, VmHWM). CPU time per request holds steady on a shared machine where
 * wall-clock throughput does not.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000; // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK)): a tick is 10 ms

/** The fields of /proc/<pid>/stat after pid and comm (f[0] is field 3, state); undefined when gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time of one process so far, in µs (utime+stime of all its threads); undefined when gone. */
export function cpuUs(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_US : undefined; // fields 14 and 15 (1-based)
}

/** Children pids of `pid` (one level), from /proc/<pid>/task/<pid>/children or a scan. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const out: number[] = [];
    for (const d of readdirSync('/proc')) if (/^\d+$/.test(d) && Number(statFields(d)?.[1]) === pid) out.push(Number(d)); // field 4, ppid
    return out;
  }
}

/** CPU µs of a process and its live children (e.g. the postmaster and its backends). */
export function treeCpuUs(pid: number): number {
  return (cpuUs(pid) ?? 0) + childrenOf(pid).reduce((s, c) => s + (cpuUs(c) ?? 0), 0);
}

/** The machine's busy and total CPU time so far (all cores), in µs, from /proc/stat. */
export function machineCpuUs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) * TICK_US, total: total * TICK_US };
}

/** VmRSS and VmHWM (peak) of a process in bytes. */
export function memory(pid: number): { rss?: number; hwm?: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => {
      const m = new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1];
      return m ? Number(m) * 1024 : undefined;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return {};
  }
}

/** A named set of CPU meters; `sample()` returns each meter's µs so far. */
export type Meters = Record<string, () => number>;

export function sample(meters: Meters): Record<string, number> {
  return Object.fromEntries(Object.entries(meters).map(([k, f]) => [k, f()]));
}

/**
 * Client sockets towards 127.0.0.1:`port` in any state (/proc/net/tcp, tcp6), by local address:
 * a connection closed by its client stays listed in TIME-WAIT for a minute, so the local addresses
 * present after a phase and absent before it are the connections opened during it (e.g.
 * oauth2-proxy's to Backstage: a keep-alive pool that reuses its connections opens none).
 */
export function socketsTo(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[2]?.endsWith(`:${hex}`)) out.add(c[1]!);
    }
  }
  return out;
}

/** How many of `after` are not in `before`. */
export function newIn(before: Set<string>, after: Set<string>): number {
  let n = 0;
  for (const x of after) if (!before.has(x)) n++;
  return n;
}
