/**
 * The one polling helper: retry a probe until it yields a value, fails for good, or time runs out.
 * Every wait in the scripts and tests goes through it, so timeouts read the same everywhere:
 * `timed out after 60s waiting for <what>: <last reason>`.
 */

export interface PollOptions {
  timeoutMs: number;
  /** Pause between attempts (default 500 ms). */
  intervalMs?: number;
  /** Called with the latest "not yet" reason, at most every `reportEveryMs` (default 10 s). */
  onWait?: (reason: string, elapsedMs: number) => void;
  reportEveryMs?: number;
  /** Checked before each attempt: a returned message ends the wait at once with that error. */
  abortIf?: () => Promise<string | undefined> | string | undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false` and returns that.
 * A probe that throws, or returns a string through `notYet`, is "not yet"; its message becomes the
 * reason reported while waiting and in the timeout error.
 */
export async function poll<T>(what: string, probe: () => Promise<T | undefined | false>, opts: PollOptions): Promise<T> {
  const start = Date.now();
  let reason = 'not checked yet';
  let lastReport = start;
  for (;;) {
    const abort = await opts.abortIf?.();
    if (abort) throw new Error(`${what}: ${abort}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      reason = 'not yet';
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    const elapsedMs = Date.now() - start;
    if (elapsedMs >= opts.timeoutMs) {
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}: ${reason}`);
    }
    if (opts.onWait && Date.now() - lastReport >= (opts.reportEveryMs ?? 10_000)) {
      opts.onWait(reason, elapsedMs);
      lastReport = Date.now();
    }
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(0, opts.timeoutMs - elapsedMs)));
  }
}

/** Throw from a probe to say why it is not ready yet (the reason shows in progress and timeout). */
export function notYet(reason: string): never {
  throw new Error(reason);
}
