/**
 * npm run bench:modes -- [--seconds 10] [--concurrency 8] [--modes oauth2Proxy,verifiedToken,oidc,oauth2]
 *
 * The cost per request of each sign-in mode, in one run on one machine, against the same endpoint:
 * GET /api/catalog/entities/by-name/user/default/alice with alice's Backstage token, sent where a
 * browser sends it in that mode (through oauth2-proxy with its session cookie in the proxy modes,
 * to Backstage itself in the native modes), and, as the baseline of the same stack, straight to
 * Backstage's port. One stack per mode, one after the other (scripts/lib/run/stack.ts: real
 * Keycloak, PostgreSQL, Backstage, oauth2-proxy), alice signed in through the mode's real path.
 * Baseline and public phases alternate in slices so both see the same machine load.
 * Prints one line per mode and a table; the last lines are `<mode> public/direct ratio: <x>`.
 */
import { parseArgv } from 'zx';
import { DEV_USERS } from './lib/dev-credentials.ts';
import { load, pct, rps, type Phase } from './lib/bench-load.ts';
import { CookieJar } from './lib/http.ts';
import { loginNative, type NativeProvider } from './lib/login-native.ts';
import { loginThroughProxy } from './lib/login.ts';
import { residentBytes } from './lib/run/backstage.ts';
import { startStack, type SignInMode } from './lib/run/stack.ts';

const ALL: SignInMode[] = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'];
const a = parseArgv(process.argv.slice(2), { string: ['seconds', 'concurrency', 'modes'] });
const seconds = Number(a.seconds ?? 10);
const concurrency = Number(a.concurrency ?? 8);
const modes = String(a.modes ?? ALL.join(',')).split(',').map((m) => m.trim()) as SignInMode[];
const bad = modes.filter((m) => !ALL.includes(m));
if (bad.length || !Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`bench:modes: use --modes ${ALL.join(',')} (got ${bad.join(',') || 'ok'}), --seconds > 0, --concurrency >= 1`);
  process.exit(2);
}
const slices = 5;
const path = '/api/catalog/entities/by-name/user/default/alice';

interface Row {
  mode: SignInMode;
  direct: Phase;
  pub: Phase;
  proxyMiB?: number;
}

const rows: Row[] = [];
for (const mode of modes) {
  const stack = await startStack({ log: (l) => console.error(l), values: { global: { signIn: { mode } } } });
  try {
    const alice = DEV_USERS.alice;
    let token: string;
    let publicHeaders: Record<string, string>;
    if (stack.native) {
      const r = await loginNative(stack.publicUrl, mode as NativeProvider, alice.username, alice.password, new CookieJar());
      token = r.response.backstageIdentity!.token;
      publicHeaders = { authorization: `Bearer ${token}` };
    } else {
      const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
      const res = await fetch(`${stack.publicUrl}/api/auth/${stack.provider}/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', cookie: jar.header(new URL(stack.publicUrl)) ?? '' } });
      const id = (await res.json()) as { backstageIdentity?: { token: string } };
      if (!id.backstageIdentity) throw new Error(`no Backstage identity through the proxy in ${mode}: ${res.status}`);
      token = id.backstageIdentity.token;
      publicHeaders = { authorization: `Bearer ${token}`, cookie: jar.header(new URL(stack.publicUrl)) ?? '', host: new URL(stack.publicUrl).host };
    }
    const direct = `${stack.backstage.url}${path}`;
    const pub = `${stack.publicUrl.replace('localhost', '127.0.0.1')}${path}`;
    const directHeaders = { authorization: `Bearer ${token}` };
    await load(direct, directHeaders, 1000, concurrency);
    await load(pub, publicHeaders, 1000, concurrency);
    const d: Phase = { latencies: [], errors: 0, ms: 0 };
    const p: Phase = { latencies: [], errors: 0, ms: 0 };
    for (let i = 0; i < slices; i++) {
      for (const [target, headers, acc] of [[direct, directHeaders, d], [pub, publicHeaders, p]] as const) {
        const r = await load(target, headers, (seconds * 1000) / slices, concurrency);
        acc.latencies.push(...r.latencies);
        acc.errors += r.errors;
        acc.ms += r.ms;
      }
    }
    const rss = stack.native ? undefined : await residentBytes(stack.proxy.process.child.pid!);
    rows.push({ mode, direct: d, pub: p, proxyMiB: rss ? rss / 1024 / 1024 : undefined });
    console.log(`${mode}: public ${rps(p).toFixed(0)} req/s p50 ${pct(p.latencies, 50).toFixed(2)} ms p99 ${pct(p.latencies, 99).toFixed(2)} ms errors ${p.errors}; direct ${rps(d).toFixed(0)} req/s p50 ${pct(d.latencies, 50).toFixed(2)} ms errors ${d.errors}`);
  } finally {
    await stack.stop();
  }
}

console.log(`\nendpoint: GET ${path} (alice's Backstage token), concurrency ${concurrency}, ${seconds}s per path per mode in ${slices} alternating slices`);
console.log('| mode | what the browser reaches | req/s | p50 ms | p99 ms | direct req/s | public/direct | p50 added ms | proxy memory |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const native = r.mode === 'oidc' || r.mode === 'oauth2';
  console.log(`| ${r.mode} | ${native ? 'Backstage' : 'oauth2-proxy -> Backstage'} | ${rps(r.pub).toFixed(0)} | ${pct(r.pub.latencies, 50).toFixed(2)} | ${pct(r.pub.latencies, 99).toFixed(2)} | ${rps(r.direct).toFixed(0)} | ${(rps(r.pub) / rps(r.direct)).toFixed(3)} | ${(pct(r.pub.latencies, 50) - pct(r.direct.latencies, 50)).toFixed(2)} | ${r.proxyMiB ? `${r.proxyMiB.toFixed(1)} MiB` : '-'} |`);
}
for (const r of rows) console.log(`${r.mode} public/direct ratio: ${(rps(r.pub) / rps(r.direct)).toFixed(3)}`);
