/**
 * Small shared pieces of the kind node build: timed "==> step" lines, image input labels (the
 * image pipeline's: scripts/images/run.ts), streaming command output.
 */
import path from 'node:path';
import { $ } from 'zx';
import { toolsDir } from '../lib/paths.ts';
import { INPUTS_LABEL, inspectImage, seconds, type Log } from '../images/run.ts';

export { hashInputs, INPUTS_LABEL, mib, seconds, stderrLog, type Log } from '../images/run.ts';

/** Where the kind node build keeps its markers, rootfs tarballs and image archives. */
export function kindCacheDir(): string {
  return path.join(toolsDir(), 'kind-node');
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

/** The inputs label of a local image, or undefined when the image does not exist. */
export async function imageInputs(ref: string): Promise<{ inputs?: string; size: number } | undefined> {
  const info = await inspectImage(ref);
  return info ? { inputs: info.labels[INPUTS_LABEL], size: info.size } : undefined;
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
