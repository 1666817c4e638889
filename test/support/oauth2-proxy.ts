/**
 * The real oauth2-proxy binary (tools cache) run on loopback with the configuration the chart
 * renders: the sidecar's args and the env Kubernetes would build from the rendered ConfigMap and
 * Secret. Only the listen addresses move to free loopback ports. Outbound HTTP(S) is sent to a
 * closed loopback port, so nothing leaves the machine even if a configuration asked it to.
 * `configTest` checks the configuration (`--config-test`); `startProxy` runs it through the one
 * oauth2-proxy launcher, scripts/lib/run/oauth2-proxy.ts (also behind npm run dev and the sso tier).
 */
import type { V1Container } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { containerEnv, renderedSidecar } from '../../scripts/lib/chart/sidecar.ts';
import { startOauth2Proxy } from '../../scripts/lib/run/oauth2-proxy.ts';
import { freePort } from '../../scripts/lib/run/process.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import type { Manifest } from './chart.ts';

const ALPHA_PATH = '/etc/oauth2-proxy/alpha-config.yaml';
/** Any outbound request goes here and is refused (a closed loopback port). */
const NOWHERE = { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };

export { freePort };

/**
 * Values for credentials the release reads from existing Secrets (not rendered, so not visible
 * here), valid for oauth2-proxy: what a user's Secret would hold.
 */
const EXISTING_SECRET_VALUES: Record<string, string> = {
  OAUTH2_PROXY_CLIENT_ID: 'backstage',
  OAUTH2_PROXY_CLIENT_SECRET: 'existing-client-secret',
  OAUTH2_PROXY_COOKIE_SECRET: 'existing-cookie-secret-32-chars0',
};

/** The sidecar's env as Kubernetes builds it; Secrets the chart does not render stand for a user's existing Secret. */
function sidecarEnv(m: Manifest, c: V1Container): Record<string, string> {
  const rendered = new Set(m.all('Secret').map((s) => s.metadata.name));
  // optional refs (the Redis password) stay unset when the Secret is not rendered, as in Kubernetes without it
  const existing = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional && !rendered.has(e.valueFrom.secretKeyRef.name!));
  c = { ...c, env: (c.env ?? []).filter((e) => !(e.valueFrom?.secretKeyRef?.optional && !rendered.has(e.valueFrom.secretKeyRef.name!))) };
  const env = containerEnv(m.objects, { ...c, env: (c.env ?? []).filter((e) => !existing.includes(e)) });
  for (const e of existing) env[e.name] = EXISTING_SECRET_VALUES[e.name] ?? 'x';
  return env;
}

/**
 * Args and env of the rendered sidecar, with the alpha config (if any) written where the args
 * point. The caller removes `dir`.
 */
export async function sidecarProcess(m: Manifest): Promise<{ args: string[]; env: Record<string, string>; dir: string }> {
  const c = renderedSidecar(m.objects);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-proxy-'));
  let args = c.args ?? [];
  if (args.some((a) => a.includes(ALPHA_PATH))) {
    const file = path.join(dir, 'alpha-config.yaml');
    await writeFile(file, m.configMap(`${c.envFrom![0]!.configMapRef!.name}-alpha`).data!['alpha-config.yaml']!);
    args = args.map((a) => a.replace(ALPHA_PATH, file));
  }
  return { args, env: { PATH: process.env.PATH ?? '', ...NOWHERE, ...sidecarEnv(m, c) }, dir };
}

/** `oauth2-proxy --config-test` on the rendered configuration. */
export async function configTest(m: Manifest): Promise<{ ok: boolean; output: string }> {
  const bin = await ensureTool('oauth2-proxy');
  const { args, env, dir } = await sidecarProcess(m);
  try {
    const out = await $({ quiet: true, nothrow: true, env, timeout: '30s' })`${bin} ${args} --config-test`;
    return { ok: out.ok, output: out.stdout + out.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RunningProxy {
  url: string;
  stop(): Promise<void>;
  /** The proxy's output so far (secrets masked). */
  output(): string;
}

/**
 * Starts the rendered sidecar on a free loopback port with the one oauth2-proxy launcher
 * (scripts/lib/run/oauth2-proxy.ts: exactly these args and env, waits for /ready). `upstream`
 * replaces Backstage's loopback address (http://127.0.0.1:7007/) in the env and the alpha config.
 */
export async function startProxy(m: Manifest, opts: { upstream?: string; env?: Record<string, string> } = {}): Promise<RunningProxy> {
  // A port found free can be taken again before oauth2-proxy binds it (other tiers run alongside):
  // try again on fresh ports when that is the only reason it exited.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProxyOnce(m, opts);
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startProxyOnce(m: Manifest, opts: { upstream?: string; env?: Record<string, string> }): Promise<RunningProxy> {
  const bin = await ensureTool('oauth2-proxy');
  const { args, env, dir } = await sidecarProcess(m);
  const port = await freePort();
  const metrics = await freePort();
  env.OAUTH2_PROXY_HTTP_ADDRESS = `127.0.0.1:${port}`;
  env.OAUTH2_PROXY_METRICS_ADDRESS = `127.0.0.1:${metrics}`;
  if (opts.upstream) env.OAUTH2_PROXY_UPSTREAMS = env.OAUTH2_PROXY_UPSTREAMS!.replace('http://127.0.0.1:7007/', opts.upstream);
  // The alpha config sets the listeners itself: move them too.
  const alpha = args.find((a) => a.startsWith('--alpha-config=') && a.length > '--alpha-config='.length);
  if (alpha) {
    const file = alpha.slice('--alpha-config='.length);
    let text = (await readFile(file, 'utf8')).replace('0.0.0.0:4180', `127.0.0.1:${port}`).replace('0.0.0.0:44180', `127.0.0.1:${metrics}`);
    if (opts.upstream) text = text.replace('http://127.0.0.1:7007/', opts.upstream);
    await writeFile(file, text);
  }
  let proxy: Awaited<ReturnType<typeof startOauth2Proxy>>;
  try {
    proxy = await startOauth2Proxy({ bin, args, env: { ...env, ...opts.env }, log: () => {}, startTimeoutMs: 20_000 });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: proxy.url,
    output: () => proxy.logs().join('\n'),
    stop: async () => {
      await proxy.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
