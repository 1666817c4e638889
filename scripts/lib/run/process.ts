/**
 * Process plumbing shared by the harnesses: spawn a child in its own process group, capture its
 * output (with secrets masked), wait for readiness, and kill the whole group on stop(), on test
 * failure (the caller's afterAll) and when the Node process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { poll, } from '../poll.ts';

export type Log = (line: string) => void;

/** Default progress logger: stderr, prefixed, with the elapsed time since `since`. */
export function progress(prefix: string, since = Date.now()): Log {
  return (line) => process.stderr.write(`[${prefix} +${((Date.now() - since) / 1000).toFixed(1)}s] ${line}\n`);
}

/** Replaces every occurrence of each secret (length >= 4) with `***`. */
export function masker(secrets: Array<string | undefined>): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of list) out = out.split(s).join('***');
    return out;
  };
}

/** A free TCP port on 127.0.0.1 (bound then released; fine for tests run one file at a time). */
const handedOut = new Set<number>();

/**
 * A loopback TCP port that was free a moment ago (the kernel's choice), never one this process
 * handed out before: the kernel may return a just-closed port again, so two listeners asked for in
 * a row could otherwise get the same one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export { sleep } from '../poll.ts';

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the whole process group (detached: true made the child its leader)
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops every process group started here and still running (SIGTERM, SIGKILL after `graceMs`).
 * For an interrupt while something is still starting (npm run dev): the launcher waiting on that
 * process then fails and runs its own cleanup (temporary homes and data directories).
 */
export async function stopAllProcesses(graceMs = 5000): Promise<void> {
  const children = [...live];
  for (const c of children) killGroup(c, 'SIGTERM');
  const gone = Promise.all(children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('close', () => resolve())))));
  const timer = setTimeout(() => {
    for (const c of children) killGroup(c, 'SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Last resort when a test run dies without afterAll: synchronous SIGKILL of every group we started.
  process.on('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // A program with its own handler (npm run dev) stops its processes gracefully itself; the
    // 'exit' hook above still kills whatever is left.
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      for (const c of live) killGroup(c, 'SIGKILL');
      process.exit(130);
    });
  }
}

export interface Managed {
  child: ChildProcess;
  /** Masked output lines so far (bounded). */
  lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** True once the process has exited. */
  readonly done: boolean;
  /** SIGTERM the process group, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last `n` masked output lines, for error messages. */
  tail(n?: number): string;
}

export interface StartOptions {
  name: string;
  cmd: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Values to mask in every captured line. */
  secrets?: Array<string | undefined>;
  /** Also write masked output to this file (directories are created). */
  logFile?: string;
  /** Called for every masked output line (default: nothing; the file and tail() still have it). */
  onLine?: (line: string) => void;
  /** Run as this uid/gid (e.g. the postgres system user when we are root). */
  uid?: number;
  gid?: number;
}

/** Spawns `cmd args` with exactly `env` (no inheritance) in a new process group. */
export function startProcess(opts: StartOptions): Managed {
  hookExit();
  const mask = masker(opts.secrets ?? []);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  const child = spawn(opts.cmd, opts.args, {
    env,
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  live.add(child);
  let file: WriteStream | undefined;
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    file = createWriteStream(opts.logFile, { flags: 'a' });
  }
  const lines: string[] = [];
  let done = false;
  const onData = (buf: Buffer, carry: { rest: string }) => {
    const text = carry.rest + buf.toString('utf8');
    const parts = text.split('\n');
    carry.rest = parts.pop() ?? '';
    for (const raw of parts) emit(raw);
  };
  const emit = (raw: string) => {
    const line = mask(raw.replace(/\r$/, ''));
    lines.push(line);
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    file?.write(`${line}\n`);
    opts.onLine?.(line);
  };
  const outCarry = { rest: '' };
  const errCarry = { rest: '' };
  child.stdout?.on('data', (b: Buffer) => onData(b, outCarry));
  child.stderr?.on('data', (b: Buffer) => onData(b, errCarry));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (e) => {
      emit(`[${opts.name}] spawn error: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      if (outCarry.rest) emit(outCarry.rest);
      if (errCarry.rest) emit(errCarry.rest);
      done = true;
      live.delete(child);
      file?.end();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    lines,
    exited,
    get done() {
      return done;
    },
    async stop(graceMs = 10_000) {
      if (done) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL'); // stragglers in the group (e.g. a JVM a wrapper script left behind)
    },
    tail(n = 30) {
      return lines.slice(-n).join('\n');
    },
  };
}

/**
 * Polls `check` until it returns true. Fails early when `proc` exits, and after `timeoutMs` with
 * the process's last output in the message.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: Managed },
): Promise<void> {
  const proc = opts.proc;
  try {
    await poll(what, check, {
      timeoutMs: opts.timeoutMs,
      intervalMs: opts.intervalMs,
      abortIf: async () => (proc?.done ? `the process exited (${await proc.exited}) before it was ready. Last output:\n${proc.tail()}` : undefined),
    });
  } catch (e) {
    const msg = (e as Error).message;
    if (proc && msg.startsWith('timed out')) throw new Error(`${msg}. Last output:\n${proc.tail()}`);
    throw e;
  }
}

/** GET `url` and report whether it answered 200 (short timeout). */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
  await res.arrayBuffer().catch(() => undefined);
  return res.status === 200;
}

/** True in CI: a missing tool must then fail the run, never skip. */
export const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
