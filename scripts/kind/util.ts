/** Small shared pieces of the kind node build: timed steps, input hashes, docker image lookups. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { $ } from 'zx';
import { toolsDir } from '../lib/paths.ts';
import type { Log } from './docker.ts';

export { stderrLog, type Log } from './docker.ts';

/** Where the kind node build keeps its markers, rootfs tarballs and image archives. */
export function kindCacheDir(): string {
  return path.join(toolsDir(), 'kind-node');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** A failed build step: the message names the step, so "image build failed" says which one. */
export class StepError extends Error {
  readonly step: string;
  constructor(step: string, cause: unknown) {
    super(`step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.step = step;
  }
}

/** Runs fn as a named step: prints "==> name", then "done in Xs", or throws a StepError naming it. */
export async function step<T>(log: Log, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  log(`==> ${name}`);
  try {
    const r = await fn();
    log(`    ${name}: done in ${seconds(Date.now() - t0)}`);
    return r;
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError(name, e);
  }
}

/** sha256 over a JSON rendering with sorted keys, so equal inputs give equal hashes. */
export function hashInputs(value: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canon(x)]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

export const INPUTS_LABEL = 'io.backstage-keycloak.kind.inputs';

/** The inputs label of a local image, or undefined when the image does not exist. */
export async function imageInputs(ref: string): Promise<{ inputs?: string; size: number } | undefined> {
  const out = await $({ quiet: true, nothrow: true })`docker image inspect ${ref} --format ${'{{json .Config.Labels}} {{.Size}}'}`;
  if (!out.ok) return undefined;
  const m = /^(.*) (\d+)$/.exec(out.stdout.trim());
  const labels = (m && m[1] !== 'null' ? JSON.parse(m[1]!) : {}) as Record<string, string>;
  return { inputs: labels[INPUTS_LABEL], size: Number(m?.[2] ?? 0) };
}

/** Runs a command, streaming its output lines through log with a prefix; throws with the tail on failure. */
export async function run(log: Log, prefix: string, cmd: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  const proc = $({ quiet: true, nothrow: true, cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input })`${cmd}`;
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 25) tail.shift();
      if (prefix) log(`    ${prefix}${line}`);
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const out = await proc;
  if (!out.ok) throw new Error(`${cmd.slice(0, 3).join(' ')} exited ${out.exitCode}:\n${tail.join('\n')}`);
  return out.stdout;
}
