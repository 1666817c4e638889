/**
 * Runs an oauth2-proxy binary with EXACTLY the given args and env (nothing added, nothing
 * inherited), waits for /ready on its --http-address, and captures its logs with the client and
 * cookie secrets masked.
 *
 *   const proxy = await startOauth2Proxy({ bin: await ensureTool('oauth2-proxy'), args, env });
 *   proxy.url      // http://127.0.0.1:<port> from --http-address
 *   proxy.logs()   // masked
 *   await proxy.stop();
 *
 * The lead passes args/env parsed from the Helm-rendered sidecar with only host/port values
 * rewritten to loopback, so what runs here is what the chart configures.
 */
import { ensureTool, OAUTH2_PROXY_VERSION } from '../tools/index.ts';
import { httpOk, inCI, progress, startProcess, waitUntil, type Log, type Managed } from './process.ts';

/**
 * The pinned oauth2-proxy binary (ensureTool: BK_OAUTH2_PROXY, PATH, cache, Go build). A failure
 * names the tool and says how to provision it; the SSO tier never skips.
 */
export async function oauth2ProxyBinary(): Promise<string> {
  try {
    return await ensureTool('oauth2-proxy');
  } catch (e) {
    throw new Error(
      `SSO tier: required tool oauth2-proxy ${OAUTH2_PROXY_VERSION} is missing${inCI ? ' (CI=true: failing, not skipping; .ci/run provisions it with `npm run tools -- ensure --all`)' : ''}.\n${(e as Error).message}`,
    );
  }
}

export interface Oauth2ProxyOptions {
  bin: string;
  args: string[];
  env: Record<string, string>;
  log?: Log;
  /** Print every (masked) log line through `log`; default false (they are in logs()). */
  echo?: boolean;
  startTimeoutMs?: number;
  /** Extra values to mask besides the env/args secrets found automatically. */
  secrets?: string[];
}

export interface Oauth2ProxyHandle {
  /** http://<host>:<port> of --http-address (0.0.0.0 mapped to 127.0.0.1). */
  url: string;
  /** Masked log lines so far. */
  logs(): string[];
  process: Managed;
  stop(): Promise<void>;
}

/** Value of `--name=value` or `--name value` in args (last one wins, as in pflag). */
export function argValue(args: string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`--${name}=`)) found = a.slice(name.length + 3);
    else if (a === `--${name}` && i + 1 < args.length) found = args[i + 1];
  }
  return found;
}

/** Everything secret oauth2-proxy may get: env OAUTH2_PROXY_*SECRET*, --client-secret, --cookie-secret. */
function secretsOf(args: string[], env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (/SECRET|PASSWORD|TOKEN/i.test(k)) out.push(v);
  for (const name of ['client-secret', 'cookie-secret', 'redis-password']) {
    const v = argValue(args, name);
    if (v) out.push(v);
  }
  return out;
}

export async function startOauth2Proxy(opts: Oauth2ProxyOptions): Promise<Oauth2ProxyHandle> {
  const t0 = Date.now();
  const log = opts.log ?? progress('oauth2-proxy', t0);
  const address = argValue(opts.args, 'http-address') ?? opts.env.OAUTH2_PROXY_HTTP_ADDRESS ?? '127.0.0.1:4180';
  const hostPort = address.replace(/^https?:\/\//, '');
  const m = /^(.*):(\d+)$/.exec(hostPort);
  if (!m) throw new Error(`oauth2-proxy: cannot parse --http-address=${address}`);
  const host = !m[1] || m[1] === '0.0.0.0' || m[1] === '[::]' ? '127.0.0.1' : m[1];
  const url = `http://${host}:${m[2]}`;
  const proc = startProcess({
    name: 'oauth2-proxy',
    cmd: opts.bin,
    args: opts.args,
    env: opts.env,
    secrets: [...secretsOf(opts.args, opts.env), ...(opts.secrets ?? [])],
    onLine: opts.echo ? (l) => log(`oauth2-proxy: ${l}`) : undefined,
  });
  try {
    await waitUntil('oauth2-proxy /ready', () => httpOk(`${url}/ready`), { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 250, proc });
  } catch (e) {
    await proc.stop(2000);
    throw e;
  }
  log(`oauth2-proxy: ready on ${url} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return {
    url,
    logs: () => [...proc.lines],
    process: proc,
    stop: () => proc.stop(5000),
  };
}
