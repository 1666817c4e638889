/**
 * npm run dev -- [--port 7007] [--keycloak-port 8080]
 *
 * The whole stack for a person on localhost, every component real and configured as the chart
 * renders values/example.yaml (addresses moved to loopback): Keycloak with the dev realm, PostgreSQL,
 * the Backstage app (catalog users and groups from Keycloak) and oauth2-proxy in front of it.
 * Prints the URLs and the dev credentials; Ctrl-C stops every process it started.
 */
import { parseArgv } from 'zx';
import { DEV_KEYCLOAK_ADMIN, DEV_USERS } from './lib/dev-credentials.ts';
import { requireBackstageBuild } from './lib/run/backstage.ts';
import { startStack, type Stack } from './lib/run/stack.ts';

const a = parseArgv(process.argv.slice(2), { string: ['port', 'keycloak-port'], camelCase: true });
const proxyPort = Number(a.port ?? 7007);
const keycloakPort = Number(a.keycloakPort ?? 8080);
const t0 = Date.now();
let stack: Stack | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\ndev: stopping oauth2-proxy, Backstage, PostgreSQL and Keycloak...');
  await stack?.stop();
  console.log('dev: stopped; nothing left running.');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  requireBackstageBuild();
  const log = (l: string): void => console.log(`[dev +${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`);
  stack = await startStack({ proxyPort, keycloakPort, log });
  console.log(`
Ready in ${((Date.now() - t0) / 1000).toFixed(0)}s.

  Backstage (through oauth2-proxy):  ${stack.publicUrl}
  Keycloak:                          ${stack.keycloak.publicUrl}  (admin console: ${DEV_KEYCLOAK_ADMIN.username} / ${DEV_KEYCLOAK_ADMIN.password})
  Dev users (DEVELOPMENT ONLY):      ${Object.values(DEV_USERS).map((u) => `${u.username} / ${u.password} (${u.groups.join(',')})`).join(';  ')}

Addresses moved from the rendered chart: ${stack.rewrites.map((r) => r.key).join(', ')}.
Ctrl-C stops everything.`);
} catch (e) {
  console.error(`dev: ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
}
