/**
 * npm run tools -- ensure <name...> | ensure --all | path <name> | list
 * Finds or installs the pinned tools (see scripts/lib/tools.ts for the order tried).
 */
import { argv } from 'zx';
import { ensureTool, TOOLS } from './lib/tools.ts';
// --- SSO tier runtimes (not binaries on PATH): Keycloak distribution and its Java. ---
import { ensureJava, ensureKeycloak, KEYCLOAK_VERSION } from './lib/keycloak.ts';

const RUNTIMES: Record<string, () => Promise<string>> = {
  keycloak: () => ensureKeycloak(),
  java: async () => {
    const j = await ensureJava();
    return `${j.home} (${j.version})`;
  },
};
// --- end SSO tier runtimes ---

async function main(): Promise<void> {
  const [cmd, ...rest] = argv._.map(String);
  switch (cmd) {
    case 'ensure': {
      const names = argv.all ? [...Object.keys(TOOLS), ...Object.keys(RUNTIMES)] : rest;
      if (names.length === 0) throw new Error('usage: npm run tools -- ensure <name...> | --all');
      for (const name of names) {
        const runtime = RUNTIMES[name];
        const bin = runtime ? await runtime() : await ensureTool(name);
        console.log(`${name.padEnd(14)} ${bin}`);
      }
      return;
    }
    case 'path': {
      if (!rest[0]) throw new Error('usage: npm run tools -- path <name>');
      const runtime = RUNTIMES[rest[0]];
      console.log(runtime ? await runtime() : await ensureTool(rest[0]));
      return;
    }
    case 'list':
      for (const spec of Object.values(TOOLS)) console.log(`${spec.name.padEnd(14)} ${spec.version.padEnd(10)} accepts ${spec.wants}`);
      console.log(`${'keycloak'.padEnd(14)} ${KEYCLOAK_VERSION.padEnd(10)} keycloak-quarkus-dist from Maven Central (sha256 pinned)`);
      console.log(`${'java'.padEnd(14)} ${'25|21'.padEnd(10)} a local JDK for Keycloak (BK_JAVA_HOME, JAVA_HOME, /usr/lib/jvm)`);
      return;
    default:
      throw new Error(`usage: npm run tools -- ensure <name...> | ensure --all | path <name> | list (got "${cmd ?? ''}")`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
