/**
 * npm run dev -- [--mode oauth2Proxy|verifiedToken|oidc|oauth2] [--port 7007] [--keycloak-port 8080] [--help]
 *
 * The whole stack for a person on localhost, every component real and configured as the chart
 * renders values/example.yaml (addresses moved to loopback): Keycloak with the dev realm, PostgreSQL,
 * the Backstage app (catalog users and groups from Keycloak), and oauth2-proxy in front of it in the
 * proxy modes (the native modes oidc and oauth2 run none: Backstage signs in with Keycloak itself).
 * First use provisions what is missing (pinned tools, the Keycloak distribution, the Backstage
 * build), with progress. Prints the URLs, the dev credentials and which Backstage chart rendered
 * the configuration; Ctrl-C stops every process it started.
 */
import { parseArgv } from 'zx';
import { DEV_KEYCLOAK_ADMIN, DEV_USERS } from './lib/dev-credentials.ts';
import { subchartFor } from './lib/chart/release.ts';
import { ensureBackstageBuild } from './lib/run/backstage.ts';
import { stopAllProcesses } from './lib/run/process.ts';
import { startStack, type Stack } from './lib/run/stack.ts';
import { ensureAny } from './lib/tools/index.ts';
import { SIGN_IN_MODES } from './lib/chart/modes.ts';

/** Sign-in modes the local stack runs (global.signIn.mode). */
export const DEV_MODES = SIGN_IN_MODES;

const USAGE = `usage: npm run dev -- [--mode ${DEV_MODES.join('|')}] [--port 7007] [--keycloak-port 8080]

Starts Keycloak (dev realm), PostgreSQL and the Backstage app on localhost, with oauth2-proxy in front
in the proxy modes (oauth2Proxy, verifiedToken; none in oidc and oauth2, where Backstage signs in with
Keycloak itself), configured exactly as the chart renders values/example.yaml with
global.signIn.mode=<mode> (default oauth2Proxy). --port is where the browser goes.
First use builds the pinned tools and the Backstage app (a few minutes). Ctrl-C stops everything,
also while it is still starting.`;

const a = parseArgv(process.argv.slice(2), { string: ['port', 'keycloak-port', 'mode'], boolean: ['help'], alias: { h: 'help' }, camelCase: true });
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = Object.keys(a).filter((k) => !['_', '--', 'port', 'keycloakPort', 'keycloak-port', 'mode', 'help', 'h'].includes(k));
if (unknown.length || a._.length) {
  console.error(`dev: unknown argument(s): ${[...unknown.map((k) => `--${k}`), ...a._].join(' ')}\n\n${USAGE}`);
  process.exit(2);
}
const mode = String(a.mode ?? 'oauth2Proxy');
if (!(DEV_MODES as readonly string[]).includes(mode)) {
  console.error(`dev: --mode ${mode} is not a sign-in mode this stack runs; use one of ${DEV_MODES.join(', ')} (global.signIn.mode).`);
  process.exit(2);
}
function port(name: string, v: unknown, dflt: number): number {
  const n = Number(v ?? dflt);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`dev: --${name} ${String(v)} is not a TCP port (1-65535).`);
    process.exit(2);
  }
  return n;
}
const proxyPort = port('port', a.port, 7007);
const keycloakPort = port('keycloak-port', a.keycloakPort, 8080);

const t0 = Date.now();
const log = (l: string): void => console.log(`[dev +${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`);
let stack: Stack | undefined;
let starting: Promise<Stack> | undefined;
let stopping = false;
const native = mode === 'oidc' || mode === 'oauth2';

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\ndev: stopping ${native ? '' : 'oauth2-proxy, '}Backstage, PostgreSQL and Keycloak...`);
  if (stack) {
    await stack.stop();
  } else if (starting) {
    // Interrupted while starting: stop what runs; the launchers then remove their temp folders.
    await stopAllProcesses();
    await starting.catch(() => undefined);
  }
  console.log('dev: stopped; nothing left running.');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  // Provisioning first, each step with its time: nothing is started until everything is there.
  for (const tool of native ? ['helm', 'keycloak', 'java'] : ['helm', 'oauth2-proxy', 'keycloak', 'java']) {
    const started = Date.now();
    const where = await ensureAny(tool, { log });
    log(`${tool}: ${where} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }
  await ensureBackstageBuild(log);
  const chart = await subchartFor((process.env.BK_SUBCHART as 'auto' | 'real' | 'standin' | undefined) ?? 'auto', log);
  log(`Backstage chart: ${chart.description}`);
  if (chart.kind === 'standin') log('NOTE: the configuration comes from the offline STAND-IN of the upstream Backstage chart (no chart repository reachable); set BACKSTAGE_CHART=<chart .tgz or dir> to use the real one.');
  starting = startStack({ proxyPort, keycloakPort, log, values: { global: { signIn: { mode } } } });
  stack = await starting;
  console.log(`
Ready in ${((Date.now() - t0) / 1000).toFixed(0)}s (sign-in mode ${mode}; chart: ${chart.description}).

  ${native ? `Backstage (signs in itself):     ` : 'Backstage (through oauth2-proxy):'}  ${stack.publicUrl}${native ? `  (choose "Sign in using Keycloak")` : ''}
  Keycloak:                          ${stack.keycloak.publicUrl}  (admin console: ${DEV_KEYCLOAK_ADMIN.username} / ${DEV_KEYCLOAK_ADMIN.password})
  Dev users (DEVELOPMENT ONLY):      ${Object.values(DEV_USERS).map((u) => `${u.username} / ${u.password} (${u.groups.join(',')})`).join(';  ')}

Addresses moved from the rendered chart: ${stack.rewrites.map((r) => r.key).join(', ')}.
Ctrl-C stops everything.`);
} catch (e) {
  // An interrupt while starting makes the start fail: stop() is already at work then.
  if (!stopping) {
    console.error(`dev: ${e instanceof Error ? e.message : String(e)}`);
    await stop(1);
  }
}
