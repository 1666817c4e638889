/**
 * npm run bench:proxy -- [--modes oauth2Proxy,verifiedToken,oidc,oauth2] [--seconds 10]
 *   [--concurrency 8] [--rate 50] [--slices 5] [--variant LABEL=values.yaml]... [--values more.yaml]
 *   [--env KEY=VALUE] [--pprof DIR]
 *
 * The cost per request of each sign-in mode, in one run on one machine, against the same Backstage
 * endpoint (GET /api/catalog/entities/by-name/user/default/alice with alice's Backstage token): sent
 * where a browser sends it in that mode (through oauth2-proxy with its session cookie in the proxy
 * modes, to Backstage itself in the native modes) and, as the baseline of the same stack, straight
 * to Backstage's port. One stack per mode (scripts/lib/run/stack.ts: real Keycloak, PostgreSQL,
 * Backstage, oauth2-proxy as the chart renders them), alice signed in through the mode's real path.
 *
 * Per mode and path, baseline and public phases alternating in `slices` slices so both see the same
 * machine load:
 * - closed loop at `concurrency`: req/s, p50/p99 (ms), and the spread of req/s over the slices;
 * - open loop at `rate` req/s (scheduled send times, latency from the scheduled time): p50/p99;
 * - CPU time per request of oauth2-proxy, Backstage, PostgreSQL and the load generator (this
 *   process), from the kernel's per-process accounting over the closed-loop slices, and the share
 *   of the machine's CPU that other processes took meanwhile (the noise);
 * - the Cookie header the browser sends to the endpoint: bytes, and the session cookies it is split
 *   into (<name>, <name>_0, <name>_1, ...);
 * - oauth2-proxy's resident memory at the end (VmRSS, peak VmHWM).
 * --variant LABEL=FILE (repeatable) adds, in each proxy mode, another oauth2-proxy rendered with the
 * values of FILE on top (e.g. a chart option to compare), in front of the same Backstage, alice
 * signed in through it, measured in the same alternating slices. --values merges a YAML file into
 * every stack's values, --env adds an environment variable to every oauth2-proxy (e.g. GOGC=200),
 * --floor adds, in the first proxy mode, Go's bare httputil.ReverseProxy (scripts/lib/bench/bare-proxy.go)
 * in front of the same Backstage, once with oauth2-proxy's upstream transport (2 idle connections per
 * host) and once keeping 64: what any Go proxy hop costs here, and what connection reuse saves.
 * --pprof DIR runs the pprof build of the
 * same version (scripts/lib/bench/pprof.ts) and saves a CPU and an allocation profile of the proxy
 * under the closed-loop load to DIR (`go tool pprof -top DIR/<mode>-cpu.pprof`).
 * The last two lines: `proxy cpu per request: <µs> (<p>% of Backstage's)` and
 * `proxy/direct throughput ratio: <x>`, of the first proxy mode run (oauth2Proxy by default).
 * Targets: ratio >= 0.90 at concurrency 8, p50 added <= 1 ms at the fixed rate, proxy CPU per
 * request <= 15% of Backstage's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseArgv } from 'zx';
import { addPhase, emptyPhase, load, openLoad, pct, rps, type Phase } from '../lib/bench/load.ts';
import { bareProxyBinary, pprofOauth2ProxyBinary } from '../lib/bench/pprof.ts';
import { cpuUs, machineCpuUs, memory, newIn, sample, socketsTo, treeCpuUs, type Meters } from '../lib/bench/proc.ts';
import { DEV_USERS } from '../lib/dev-credentials.ts';
import { CookieJar } from '../lib/http.ts';
import { loginNative, type NativeProvider } from '../lib/login/native.ts';
import { loginThroughProxy } from '../lib/login/proxy.ts';
import { freePort, startProcess, waitUntil, type Managed } from '../lib/run/process.ts';
import { merge, startStack, type SignInMode, type Stack } from '../lib/run/stack.ts';

const ALL: SignInMode[] = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'];
const a = parseArgv(process.argv.slice(2), { string: ['seconds', 'concurrency', 'rate', 'slices', 'modes', 'values', 'env', 'pprof', 'variant'], boolean: ['floor'] });
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const seconds = Number(a.seconds ?? 10);
const concurrency = Number(a.concurrency ?? 8);
const rate = Number(a.rate ?? 50);
const slices = Number(a.slices ?? 5);
const modes = String(a.modes ?? ALL.join(',')).split(',').map((m) => m.trim()) as SignInMode[];
const bad = modes.filter((m) => !ALL.includes(m));
const envPairs = list(a.env);
const variantArgs = list(a.variant);
if (
  bad.length ||
  !(seconds > 0) ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !(rate > 0) ||
  !Number.isInteger(slices) ||
  slices < 1 ||
  envPairs.some((e) => !/^[A-Z_][A-Z0-9_]*=/.test(e)) ||
  variantArgs.some((v) => !/^[\w.+-]+=./.test(v))
) {
  console.error(`bench:proxy: use --modes ${ALL.join(',')} (got ${bad.join(',') || 'ok'}), --seconds > 0, --concurrency >= 1, --rate > 0, --slices >= 1, --env NAME=VALUE, --variant LABEL=values.yaml`);
  process.exit(2);
}

const readValues = async (f: string): Promise<Record<string, unknown>> => (parseYaml(await readFile(f, 'utf8')) as Record<string, unknown>) ?? {};
let extraValues: Record<string, unknown> = {};
for (const f of list(a.values)) extraValues = merge(extraValues, await readValues(f));
const variants: { label: string; values: Record<string, unknown> }[] = [];
for (const v of variantArgs) variants.push({ label: v.slice(0, v.indexOf('=')), values: await readValues(v.slice(v.indexOf('=') + 1)) });
const proxyEnv = Object.fromEntries(envPairs.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const pprofDir = a.pprof ? path.resolve(String(a.pprof)) : undefined;
const endpoint = '/api/catalog/entities/by-name/user/default/alice';
const log = (l: string) => console.error(l);

interface Cookie {
  bytes: number;
  session: { name: string; bytes: number }[];
}

/** One path of one mode (Backstage's port, the public address, or a variant's proxy): phases and CPU µs over the closed-loop slices. */
interface Side {
  label: string;
  url: string;
  headers: Record<string, string>;
  proxyPid?: number;
  cookie: Cookie;
  closed: Phase;
  open: Phase;
  cpu: Record<string, number>;
  sliceRps: number[];
  sliceProxyUsPerReq: number[];
  /** Connections to Backstage's port opened during the closed-loop slices (the load generator's or the proxy's). */
  upstreamConns: number;
  mem?: { rss?: number; hwm?: number };
}

interface Row {
  mode: SignInMode;
  native: boolean;
  /** [Backstage's port, public address, variants...] */
  sides: Side[];
  /** Cores other processes took during the closed-loop slices. */
  otherCpuShare: number;
  /** Backstage's CPU with no requests (its background tasks), in cores. */
  backstageIdle: number;
  /** What Keycloak puts in alice's tokens (proxy modes). */
  tokens?: string;
}

/** The Cookie header the browser sends to the endpoint, and the session cookies in it. */
function cookieOf(headers: Record<string, string>, sessionName: string | undefined): Cookie {
  const header = headers.cookie ?? '';
  const parts = header ? header.split('; ') : [];
  const re = sessionName ? new RegExp(`^${sessionName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(_\\d+)?=`) : undefined;
  return { bytes: Buffer.byteLength(header), session: parts.filter((p) => re?.test(p)).map((p) => ({ name: p.slice(0, p.indexOf('=')), bytes: Buffer.byteLength(p) })) };
}

/** alice signed in through oauth2-proxy at `publicUrl`: her Backstage token and the headers the browser sends to the endpoint. */
async function signInProxy(stack: Stack, publicUrl: string): Promise<{ token: string; headers: Record<string, string> }> {
  const alice = DEV_USERS.alice;
  const { jar } = await loginThroughProxy(publicUrl, alice.username, alice.password, new CookieJar());
  const res = await fetch(`${publicUrl}/api/auth/${stack.provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', cookie: jar.header(new URL(publicUrl)) ?? '' } });
  const id = (await res.json()) as { backstageIdentity?: { token: string } };
  if (!id.backstageIdentity) throw new Error(`bench:proxy: no Backstage identity through ${publicUrl} in ${stack.mode}: ${res.status}`);
  const token = id.backstageIdentity.token;
  return { token, headers: { authorization: `Bearer ${token}`, cookie: jar.header(new URL(endpoint, publicUrl)) ?? '', host: new URL(publicUrl).host } };
}

/** alice signed in through the mode's real path. */
async function signIn(stack: Stack): Promise<{ token: string; headers: Record<string, string> }> {
  if (!stack.native) return signInProxy(stack, stack.publicUrl);
  const alice = DEV_USERS.alice;
  const jar = new CookieJar();
  const r = await loginNative(stack.publicUrl, stack.mode as NativeProvider, alice.username, alice.password, jar);
  const token = r.response.backstageIdentity!.token;
  const cookie = jar.header(new URL(endpoint, stack.publicUrl));
  return { token, headers: { authorization: `Bearer ${token}`, ...(cookie ? { cookie } : {}) } };
}

async function profile(mode: string, pprofAddr: string, url: string, headers: Record<string, string>): Promise<void> {
  await mkdir(pprofDir!, { recursive: true });
  const s = Math.max(5, Math.round(seconds));
  log(`bench: profiling oauth2-proxy (${mode}) for ${s}s under closed-loop load`);
  const cpu = fetch(`http://${pprofAddr}/debug/pprof/profile?seconds=${s}`).then(async (r) => Buffer.from(await r.arrayBuffer()));
  const r = await load(url, headers, s * 1000 + 500, concurrency);
  await writeFile(path.join(pprofDir!, `${mode}-cpu.pprof`), await cpu);
  const allocs = Buffer.from(await (await fetch(`http://${pprofAddr}/debug/pprof/allocs`)).arrayBuffer());
  await writeFile(path.join(pprofDir!, `${mode}-allocs.pprof`), allocs);
  log(`bench: ${rps(r).toFixed(0)} req/s while profiling; profiles in ${pprofDir} (go tool pprof -top ${path.join(pprofDir!, `${mode}-cpu.pprof`)})`);
}

/**
 * What Keycloak puts in alice's tokens for the sidecar's client (admin API "evaluate scopes", the
 * same claims a login gets): payload bytes of the access and ID tokens and their largest claims.
 * The cookie session holds both tokens plus the refresh token, each with its RS256 signature.
 */
async function tokenContents(stack: Stack, clientId: string): Promise<string> {
  const kc = stack.keycloak;
  const headers = { authorization: `Bearer ${await kc.adminToken()}` };
  const get = async (p: string) => (await (await fetch(`${kc.url}/admin/realms/${kc.realm}${p}`, { headers })).json()) as any;
  const [user] = await get(`/users?username=${DEV_USERS.alice.username}&exact=true`);
  const [client] = await get(`/clients?clientId=${encodeURIComponent(clientId)}`);
  const parts: string[] = [];
  for (const kind of ['access-token', 'id-token'] as const) {
    const claims = (await get(`/clients/${client.id}/evaluate-scopes/generate-example-${kind}?scope=openid&userId=${user.id}`)) as Record<string, unknown>;
    const sizes = Object.entries(claims).map(([k, v]) => [k, Buffer.byteLength(JSON.stringify(v))] as const).sort((x, y) => y[1] - x[1]);
    parts.push(`${kind} payload ${Buffer.byteLength(JSON.stringify(claims))} B JSON (${sizes.slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ')}, ...)`);
  }
  return parts.join('; ');
}

const newSide = (label: string, url: string, headers: Record<string, string>, cookie: Cookie, proxyPid?: number): Side => ({
  label,
  url,
  headers,
  proxyPid,
  cookie,
  closed: emptyPhase(),
  open: emptyPhase(),
  cpu: {},
  sliceRps: [],
  sliceProxyUsPerReq: [],
  upstreamConns: 0,
});

const rows: Row[] = [];
const pprofBin = pprofDir ? await pprofOauth2ProxyBinary(log) : undefined;
for (const mode of modes) {
  const pprofAddr = pprofBin ? `127.0.0.1:${await freePort()}` : undefined;
  const floors: Managed[] = [];
  const stack = await startStack({ log, values: merge(extraValues, { global: { signIn: { mode } } }), proxyBin: pprofBin, proxyEnv: { ...proxyEnv, ...(pprofAddr ? { BK_PPROF_ADDR: pprofAddr } : {}) } });
  try {
    const { token, headers } = await signIn(stack);
    const cookieName = stack.native ? undefined : stack.launch.env.OAUTH2_PROXY_COOKIE_NAME;
    const directHeaders = { authorization: `Bearer ${token}` };
    const sides: Side[] = [
      newSide('direct (Backstage port)', `${stack.backstage.url}${endpoint}`, directHeaders, cookieOf(directHeaders, undefined)),
      newSide(stack.native ? 'public (Backstage)' : 'public (oauth2-proxy)', `${stack.publicUrl.replace('localhost', '127.0.0.1')}${endpoint}`, headers, cookieOf(headers, cookieName), stack.native ? undefined : stack.proxy.process.child.pid!),
    ];
    if (!stack.native) {
      for (const v of variants) {
        const extra = await stack.addProxy(v.values);
        const signed = await signInProxy(stack, extra.publicUrl);
        sides.push(newSide(`+ ${v.label}`, `${extra.publicUrl.replace('localhost', '127.0.0.1')}${endpoint}`, signed.headers, cookieOf(signed.headers, extra.launch.env.OAUTH2_PROXY_COOKIE_NAME), extra.proxy.process.child.pid!));
      }
    }
    if (a.floor && !stack.native && !rows.some((r) => !r.native)) {
      const bare = await bareProxyBinary(log);
      for (const idle of [0, 64]) {
        const port = await freePort();
        const proc = startProcess({ name: `bare-proxy-${idle}`, cmd: bare, args: [], env: { BK_UPSTREAM: stack.backstage.url, BK_LISTEN: `127.0.0.1:${port}`, BK_IDLE_PER_HOST: String(idle) } });
        floors.push(proc);
        const url = `http://127.0.0.1:${port}${endpoint}`;
        await waitUntil('bare Go reverse proxy', async () => (await fetch(url, { headers: directHeaders }).catch(() => undefined))?.status === 200, { timeoutMs: 10_000, intervalMs: 100, proc });
        sides.push(newSide(`floor: Go proxy, ${idle ? `${idle} idle conns/host` : '2 idle conns/host'}`, url, directHeaders, cookieOf(directHeaders, undefined), proc.child.pid!));
      }
    }
    const tokens = stack.native ? undefined : await tokenContents(stack, stack.launch.env.OAUTH2_PROXY_CLIENT_ID ?? 'backstage').catch((e) => `unavailable (${(e as Error).message})`);
    const pgPid = Number((await readFile(path.join(stack.postgres.dataDir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const meters: Meters = {
      backstage: () => cpuUs(stack.backstage.pid) ?? 0,
      postgres: () => treeCpuUs(pgPid),
      loadgen: () => {
        const u = process.cpuUsage();
        return u.user + u.system;
      },
      machine: () => machineCpuUs().busy,
    };
    for (const side of sides) if (side.proxyPid) meters[`proxy:${side.proxyPid}`] = () => cpuUs(side.proxyPid!) ?? 0;
    const redisPid = stack.native ? undefined : stack.redis?.proc.child.pid;
    if (redisPid) meters.redis = () => cpuUs(redisPid) ?? 0; // the redis session store's server (variants with it)
    const ours = Object.keys(meters).filter((k) => k !== 'machine');
    // Warm every path (JIT, connection pools), then alternate slices.
    for (const side of sides) await load(side.url, side.headers, 3000, concurrency);
    const idle0 = meters.backstage!();
    await new Promise((r) => setTimeout(r, 2000));
    const backstageIdle = (meters.backstage!() - idle0) / 2_000_000;
    const backstagePort = Number(new URL(stack.backstage.url).port);
    let machineBusy = 0;
    let oursBusy = 0;
    let wall = 0;
    const sliceMs = (seconds * 1000) / slices;
    for (let i = 0; i < slices; i++) {
      for (const side of sides) {
        const socks = socketsTo(backstagePort);
        const before = sample(meters);
        const r = await load(side.url, side.headers, sliceMs, concurrency);
        const after = sample(meters);
        side.upstreamConns += newIn(socks, socketsTo(backstagePort));
        addPhase(side.closed, r);
        for (const k of Object.keys(meters)) side.cpu[k] = (side.cpu[k] ?? 0) + after[k]! - before[k]!;
        side.sliceRps.push(rps(r));
        if (side.proxyPid) side.sliceProxyUsPerReq.push((after[`proxy:${side.proxyPid}`]! - before[`proxy:${side.proxyPid}`]!) / Math.max(1, r.latencies.length));
        machineBusy += after.machine! - before.machine!;
        oursBusy += ours.reduce((sum, k) => sum + after[k]! - before[k]!, 0);
        wall += r.ms * 1000;
      }
      for (const side of sides) addPhase(side.open, await openLoad(side.url, side.headers, sliceMs, rate));
    }
    // Native modes run no oauth2-proxy: nothing to profile.
    if (pprofAddr && !stack.native) await profile(mode, pprofAddr, sides[1]!.url, sides[1]!.headers);
    for (const side of sides) if (side.proxyPid) side.mem = memory(side.proxyPid);
    rows.push({ mode, native: stack.native, sides, tokens, otherCpuShare: Math.max(0, machineBusy - oursBusy) / wall, backstageIdle });
    log(`bench: ${mode} done: ${sides.map((s) => `${s.label} ${rps(s.closed).toFixed(0)} req/s`).join(', ')}`);
  } finally {
    for (const p of floors) await p.stop(2000);
    await stack.stop();
  }
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const us = (side: Side, k: string) => (side.cpu[k] ?? 0) / Math.max(1, side.closed.latencies.length);
const proxyUs = (side: Side) => (side.proxyPid ? us(side, `proxy:${side.proxyPid}`) : NaN);
const spread = (xs: number[], d = 0) => (xs.length ? `${f(Math.min(...xs), d)}-${f(Math.max(...xs), d)}` : '-');
const mib = (b?: number) => (b ? `${(b / 1024 / 1024).toFixed(1)} MiB` : '-');
const cookieText = (c: Cookie) => `${c.bytes} B${c.session.length ? ` in ${c.session.length} session cookie(s): ${c.session.map((x) => `${x.name} ${x.bytes} B`).join(', ')}` : ''}`;

console.log(`\nendpoint: GET ${endpoint} (alice's Backstage token); per path: closed loop at concurrency ${concurrency} for ${seconds}s and open loop at ${rate} req/s for ${seconds}s, in ${slices} alternating slices`);
const opts = [...(a.floor ? ['--floor'] : []), ...list(a.values).map((v) => `--values ${v}`), ...envPairs.map((e) => `--env ${e}`), ...variantArgs.map((v) => `--variant ${v}`)];
if (opts.length) console.log(`options: ${opts.join(' ')}`);
for (const r of rows) {
  console.log(`\n${r.mode} (browser -> ${r.native ? 'Backstage' : 'oauth2-proxy -> Backstage'}); other processes took ${f(r.otherCpuShare)} of ${os.cpus().length} cores during the closed-loop slices; Backstage idle ${f(r.backstageIdle * 100, 1)}% of a core`);
  if (r.tokens) console.log(`  alice's tokens from Keycloak: ${r.tokens}`);
  for (const s of r.sides) {
    console.log(
      `  ${s.label.padEnd(24)} closed: ${f(rps(s.closed), 0)} req/s (slices ${spread(s.sliceRps)}) p50 ${f(pct(s.closed.latencies, 50))} p99 ${f(pct(s.closed.latencies, 99))} ms err ${s.closed.errors}; open ${rate}/s: p50 ${f(pct(s.open.latencies, 50))} p99 ${f(pct(s.open.latencies, 99))} ms err ${s.open.errors}`,
    );
    console.log(
      `  ${''.padEnd(24)} cpu µs/req: proxy ${f(proxyUs(s), 0)}${s.proxyPid ? ` (slices ${spread(s.sliceProxyUsPerReq)})` : ''} backstage ${f(us(s, 'backstage'), 0)} postgres ${f(us(s, 'postgres'), 0)}${s.cpu.redis !== undefined ? ` redis-server ${f(us(s, 'redis'), 0)}` : ''} loadgen ${f(us(s, 'loadgen'), 0)}; new connections to Backstage ${s.upstreamConns} for ${s.closed.latencies.length} requests; Cookie ${cookieText(s.cookie)}${s.mem ? `; proxy VmRSS ${mib(s.mem.rss)} VmHWM ${mib(s.mem.hwm)}` : ''}`,
    );
  }
}
console.log(`\n| mode | req/s public / direct | ratio | p50 added closed, ms | p50 / p99 added at ${rate}/s, ms | proxy µs/req | Backstage µs/req | proxy % of Backstage | load gen µs/req | Cookie bytes (session cookies) | proxy VmRSS / VmHWM |`);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const d = r.sides[0]!;
  for (const s of r.sides.slice(1)) {
    const px = proxyUs(s);
    const bs = us(s, 'backstage');
    console.log(
      `| ${r.mode}${s.label.startsWith('+') || s.label.startsWith('floor') ? ` ${s.label}` : ''} | ${f(rps(s.closed), 0)} / ${f(rps(d.closed), 0)} | ${f(rps(s.closed) / rps(d.closed), 3)} | ${f(pct(s.closed.latencies, 50) - pct(d.closed.latencies, 50))} | ${f(pct(s.open.latencies, 50) - pct(d.open.latencies, 50))} / ${f(pct(s.open.latencies, 99) - pct(d.open.latencies, 99))} | ${f(px, 0)} | ${f(bs, 0)} | ${s.proxyPid ? `${f((100 * px) / bs, 1)}%` : '-'} | ${f(us(s, 'loadgen'), 0)} | ${s.cookie.bytes} (${s.cookie.session.length}) | ${s.mem ? `${mib(s.mem.rss)} / ${mib(s.mem.hwm)}` : '-'} |`,
    );
  }
}
const main = rows.find((r) => !r.native) ?? rows[0]!;
const [md, mp] = [main.sides[0]!, main.sides[1]!];
console.log(`\nfigures of ${main.mode} as the chart configures it: p50 added at ${rate} req/s ${f(pct(mp.open.latencies, 50) - pct(md.open.latencies, 50))} ms (target <= 1 ms)`);
console.log(main.native ? 'proxy cpu per request: - (no proxy mode run)' : `proxy cpu per request: ${f(proxyUs(mp), 0)} µs (${f((100 * proxyUs(mp)) / us(mp, 'backstage'), 1)}% of Backstage's)`);
console.log(`proxy/direct throughput ratio: ${f(rps(mp.closed) / rps(md.closed), 3)}`);
