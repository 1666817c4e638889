/**
 * npm run bench:proxy -- [--modes oauth2Proxy,verifiedToken,oidc,oauth2] [--seconds 10]
 *   [--concurrency 8] [--rate 50] [--slices 5] [--values more.yaml] [--env KEY=VALUE] [--pprof DIR]
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
 * --values merges a YAML file into every stack's values (to compare a chart option), --env adds an
 * environment variable to oauth2-proxy (e.g. GOGC=200), --pprof DIR runs the pprof build of the
 * same version (scripts/lib/bench-pprof.ts) and saves a CPU and an allocation profile of the proxy
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
import { addPhase, emptyPhase, load, openLoad, pct, rps, type Phase } from './lib/bench-load.ts';
import { pprofOauth2ProxyBinary } from './lib/bench-pprof.ts';
import { cpuUs, machineCpuUs, memory, sample, treeCpuUs, type Meters } from './lib/bench-proc.ts';
import { DEV_USERS } from './lib/dev-credentials.ts';
import { CookieJar } from './lib/http.ts';
import { loginNative, type NativeProvider } from './lib/login-native.ts';
import { loginThroughProxy } from './lib/login.ts';
import { freePort } from './lib/run/process.ts';
import { startStack, type SignInMode, type Stack } from './lib/run/stack.ts';

const ALL: SignInMode[] = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'];
const a = parseArgv(process.argv.slice(2), { string: ['seconds', 'concurrency', 'rate', 'slices', 'modes', 'values', 'env', 'pprof'] });
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const seconds = Number(a.seconds ?? 10);
const concurrency = Number(a.concurrency ?? 8);
const rate = Number(a.rate ?? 50);
const slices = Number(a.slices ?? 5);
const modes = String(a.modes ?? ALL.join(',')).split(',').map((m) => m.trim()) as SignInMode[];
const bad = modes.filter((m) => !ALL.includes(m));
const envPairs = list(a.env);
if (bad.length || !(seconds > 0) || !Number.isInteger(concurrency) || concurrency < 1 || !(rate > 0) || !Number.isInteger(slices) || slices < 1 || envPairs.some((e) => !/^[A-Z_][A-Z0-9_]*=/.test(e))) {
  console.error(`bench:proxy: use --modes ${ALL.join(',')} (got ${bad.join(',') || 'ok'}), --seconds > 0, --concurrency >= 1, --rate > 0, --slices >= 1, --env NAME=VALUE`);
  process.exit(2);
}
const extraValues: Record<string, unknown> = {};
for (const f of list(a.values)) Object.assign(extraValues, merge(extraValues, parseYaml(await readFile(f, 'utf8')) ?? {}));
const proxyEnv = Object.fromEntries(envPairs.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const pprofDir = a.pprof ? path.resolve(String(a.pprof)) : undefined;
const endpoint = '/api/catalog/entities/by-name/user/default/alice';
const log = (l: string) => console.error(l);

function merge(x: Record<string, unknown>, y: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...x };
  for (const [k, v] of Object.entries(y)) out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  return out;
}

/** One path (baseline or public) of one mode: the phases and CPU µs over the closed-loop slices. */
interface Side {
  closed: Phase;
  open: Phase;
  cpu: Record<string, number>;
  sliceRps: number[];
  sliceProxyUsPerReq: number[];
}
const emptySide = (): Side => ({ closed: emptyPhase(), open: emptyPhase(), cpu: {}, sliceRps: [], sliceProxyUsPerReq: [] });

interface Row {
  mode: SignInMode;
  native: boolean;
  direct: Side;
  pub: Side;
  cookie: { bytes: number; session: { name: string; bytes: number }[] };
  proxyMem?: { rss?: number; hwm?: number };
  otherCpuShare: number;
}

/** alice signed in through the mode's real path: her Backstage token and the headers the browser sends. */
async function signIn(stack: Stack): Promise<{ token: string; publicHeaders: Record<string, string>; jar: CookieJar }> {
  const alice = DEV_USERS.alice;
  const url = new URL(endpoint, stack.publicUrl);
  if (stack.native) {
    const jar = new CookieJar();
    const r = await loginNative(stack.publicUrl, stack.mode as NativeProvider, alice.username, alice.password, jar);
    const token = r.response.backstageIdentity!.token;
    const cookie = jar.header(url);
    return { token, jar, publicHeaders: { authorization: `Bearer ${token}`, ...(cookie ? { cookie } : {}) } };
  }
  const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
  const res = await fetch(`${stack.publicUrl}/api/auth/${stack.provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', cookie: jar.header(new URL(stack.publicUrl)) ?? '' } });
  const id = (await res.json()) as { backstageIdentity?: { token: string } };
  if (!id.backstageIdentity) throw new Error(`bench:proxy: no Backstage identity through the proxy in ${stack.mode}: ${res.status}`);
  const token = id.backstageIdentity.token;
  return { token, jar, publicHeaders: { authorization: `Bearer ${token}`, cookie: jar.header(url) ?? '', host: new URL(stack.publicUrl).host } };
}

/** The Cookie header the browser sends to the endpoint, and the session cookies in it. */
function cookieOf(headers: Record<string, string>, sessionName: string | undefined): Row['cookie'] {
  const header = headers.cookie ?? '';
  const parts = header ? header.split('; ') : [];
  const re = sessionName ? new RegExp(`^${sessionName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(_\\d+)?=`) : undefined;
  return { bytes: Buffer.byteLength(header), session: parts.filter((p) => re?.test(p)).map((p) => ({ name: p.slice(0, p.indexOf('=')), bytes: Buffer.byteLength(p) })) };
}

async function profile(stack: Stack, pprofAddr: string, url: string, headers: Record<string, string>): Promise<void> {
  await mkdir(pprofDir!, { recursive: true });
  const s = Math.max(5, Math.round(seconds));
  log(`bench: profiling oauth2-proxy (${stack.mode}) for ${s}s under closed-loop load`);
  const cpu = fetch(`http://${pprofAddr}/debug/pprof/profile?seconds=${s}`).then(async (r) => Buffer.from(await r.arrayBuffer()));
  const r = await load(url, headers, s * 1000 + 500, concurrency);
  await writeFile(path.join(pprofDir!, `${stack.mode}-cpu.pprof`), await cpu);
  const allocs = Buffer.from(await (await fetch(`http://${pprofAddr}/debug/pprof/allocs`)).arrayBuffer());
  await writeFile(path.join(pprofDir!, `${stack.mode}-allocs.pprof`), allocs);
  log(`bench: ${rps(r).toFixed(0)} req/s while profiling; profiles in ${pprofDir} (go tool pprof -top ${path.join(pprofDir!, `${stack.mode}-cpu.pprof`)})`);
}

const rows: Row[] = [];
const pprofBin = pprofDir ? await pprofOauth2ProxyBinary(log) : undefined;
for (const mode of modes) {
  const pprofAddr = pprofBin ? `127.0.0.1:${await freePort()}` : undefined;
  const stack = await startStack({ log, values: merge(extraValues, { global: { signIn: { mode } } }), proxyBin: pprofBin, proxyEnv: { ...proxyEnv, ...(pprofAddr ? { BK_PPROF_ADDR: pprofAddr } : {}) } });
  try {
    const { token, publicHeaders } = await signIn(stack);
    const direct = `${stack.backstage.url}${endpoint}`;
    const pub = `${stack.publicUrl.replace('localhost', '127.0.0.1')}${endpoint}`;
    const directHeaders = { authorization: `Bearer ${token}` };
    const proxyPid = stack.native ? undefined : stack.proxy.process.child.pid!;
    const pgPid = Number((await readFile(path.join(stack.postgres.dataDir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const meters: Meters = {
      proxy: () => (proxyPid ? (cpuUs(proxyPid) ?? 0) : 0),
      backstage: () => cpuUs(stack.backstage.pid) ?? 0,
      postgres: () => treeCpuUs(pgPid),
      loadgen: () => {
        const u = process.cpuUsage();
        return u.user + u.system;
      },
      machine: () => machineCpuUs().busy,
    };
    // Warm both paths (JIT, connection pools), then alternate slices.
    await load(direct, directHeaders, 1000, concurrency);
    await load(pub, publicHeaders, 1000, concurrency);
    const row: Row = { mode, native: stack.native, direct: emptySide(), pub: emptySide(), cookie: cookieOf(publicHeaders, stack.native ? undefined : stack.launch.env.OAUTH2_PROXY_COOKIE_NAME), otherCpuShare: 0 };
    let machineBusy = 0;
    let ours = 0;
    let wall = 0;
    const sliceMs = (seconds * 1000) / slices;
    for (let i = 0; i < slices; i++) {
      for (const [target, headers, side] of [[direct, directHeaders, row.direct], [pub, publicHeaders, row.pub]] as const) {
        const before = sample(meters);
        const r = await load(target, headers, sliceMs, concurrency);
        const after = sample(meters);
        addPhase(side.closed, r);
        for (const k of Object.keys(meters)) side.cpu[k] = (side.cpu[k] ?? 0) + after[k]! - before[k]!;
        side.sliceRps.push(rps(r));
        side.sliceProxyUsPerReq.push((after.proxy! - before.proxy!) / Math.max(1, r.latencies.length));
        machineBusy += after.machine! - before.machine!;
        ours += ['proxy', 'backstage', 'postgres', 'loadgen'].reduce((s, k) => s + after[k]! - before[k]!, 0);
        wall += r.ms * 1000;
      }
      for (const [target, headers, side] of [[direct, directHeaders, row.direct], [pub, publicHeaders, row.pub]] as const) {
        addPhase(side.open, await openLoad(target, headers, sliceMs, rate));
      }
    }
    row.otherCpuShare = Math.max(0, machineBusy - ours) / wall; // in cores
    if (pprofAddr) await profile(stack, pprofAddr, pub, publicHeaders);
    if (proxyPid) row.proxyMem = memory(proxyPid);
    rows.push(row);
    log(`bench: ${mode} done: public ${rps(row.pub.closed).toFixed(0)} req/s, direct ${rps(row.direct.closed).toFixed(0)} req/s`);
  } finally {
    await stack.stop();
  }
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const us = (side: Side, k: string) => (side.cpu[k] ?? 0) / Math.max(1, side.closed.latencies.length);
const spread = (xs: number[], d = 0) => `${f(Math.min(...xs), d)}-${f(Math.max(...xs), d)}`;
const mib = (b?: number) => (b ? `${(b / 1024 / 1024).toFixed(1)} MiB` : '-');

console.log(`\nendpoint: GET ${endpoint} (alice's Backstage token); per mode and path: closed loop at concurrency ${concurrency} for ${seconds}s and open loop at ${rate} req/s for ${seconds}s, each in ${slices} alternating slices`);
if (Object.keys(extraValues).length || envPairs.length) console.log(`options: ${list(a.values).map((v) => `--values ${v}`).join(' ')} ${envPairs.map((e) => `--env ${e}`).join(' ')}`.trim());
for (const r of rows) {
  const where = r.native ? 'Backstage' : 'oauth2-proxy -> Backstage';
  console.log(`\n${r.mode} (browser -> ${where})`);
  const session = r.cookie.session.length ? `${r.cookie.session.length} session cookie(s): ${r.cookie.session.map((c) => `${c.name} ${c.bytes} B`).join(', ')}` : 'no session cookie';
  console.log(`  Cookie header to the endpoint: ${r.cookie.bytes} bytes; ${session}`);
  for (const [label, s] of [['direct (Backstage port)', r.direct], ['public', r.pub]] as const) {
    console.log(
      `  ${label.padEnd(24)} closed: ${f(rps(s.closed), 0)} req/s (slices ${spread(s.sliceRps)}) p50 ${f(pct(s.closed.latencies, 50))} p99 ${f(pct(s.closed.latencies, 99))} ms err ${s.closed.errors}; open ${rate}/s: p50 ${f(pct(s.open.latencies, 50))} p99 ${f(pct(s.open.latencies, 99))} ms err ${s.open.errors}; cpu µs/req: proxy ${f(us(s, 'proxy'), 0)} backstage ${f(us(s, 'backstage'), 0)} postgres ${f(us(s, 'postgres'), 0)} loadgen ${f(us(s, 'loadgen'), 0)}`,
    );
  }
  if (!r.native) console.log(`  proxy cpu µs/req per slice: ${spread(r.pub.sliceProxyUsPerReq)}; proxy memory at the end: VmRSS ${mib(r.proxyMem?.rss)}, VmHWM ${mib(r.proxyMem?.hwm)}`);
  console.log(`  other processes on the machine took ${f(r.otherCpuShare)} of ${os.cpus().length} cores during the closed-loop slices`);
}
console.log('\n| mode | req/s public / direct | ratio | p50 added closed, ms | p50 / p99 added at ' + rate + '/s, ms | proxy µs/req | Backstage µs/req | proxy % of Backstage | load gen µs/req | cookie bytes (session cookies) | proxy VmRSS / VmHWM |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const ratio = rps(r.pub.closed) / rps(r.direct.closed);
  const p50c = pct(r.pub.closed.latencies, 50) - pct(r.direct.closed.latencies, 50);
  const p50o = pct(r.pub.open.latencies, 50) - pct(r.direct.open.latencies, 50);
  const p99o = pct(r.pub.open.latencies, 99) - pct(r.direct.open.latencies, 99);
  const px = us(r.pub, 'proxy');
  const bs = us(r.pub, 'backstage');
  console.log(
    `| ${r.mode} | ${f(rps(r.pub.closed), 0)} / ${f(rps(r.direct.closed), 0)} | ${f(ratio, 3)} | ${f(p50c)} | ${f(p50o)} / ${f(p99o)} | ${r.native ? '-' : f(px, 0)} | ${f(bs, 0)} | ${r.native ? '-' : `${f((100 * px) / bs, 1)}%`} | ${f(us(r.pub, 'loadgen'), 0)} | ${r.cookie.bytes} (${r.cookie.session.length}) | ${r.native ? '-' : `${mib(r.proxyMem?.rss)} / ${mib(r.proxyMem?.hwm)}`} |`,
  );
}
const main = rows.find((r) => !r.native) ?? rows[0]!;
console.log(`\nfigures of ${main.mode}: p50 added at ${rate} req/s ${f(pct(main.pub.open.latencies, 50) - pct(main.direct.open.latencies, 50))} ms (target <= 1 ms)`);
if (!main.native) {
  const px = us(main.pub, 'proxy');
  console.log(`proxy cpu per request: ${f(px, 0)} µs (${f((100 * px) / us(main.pub, 'backstage'), 1)}% of Backstage's)`);
} else console.log('proxy cpu per request: - (no proxy mode run)');
console.log(`proxy/direct throughput ratio: ${f(rps(main.pub.closed) / rps(main.direct.closed), 3)}`);
