/**
 * npm run tools -- ensure <name...> | ensure --all | path <name> | list
 * Finds or installs the pinned tools (scripts/lib/tools/: pins.ts is the data, resolve.ts the
 * order tried, install.ts the Go builds and checked downloads).
 */
import { argv } from 'zx';
import { ALL_TOOL_NAMES, ensureAny, JAVA, KEYCLOAK, TOOLS } from './lib/tools/index.ts';

const USAGE = 'usage: npm run tools -- ensure <name...> | ensure --all | path <name> | list';

async function main(): Promise<void> {
  const [cmd, ...rest] = argv._.map(String);
  switch (cmd) {
    case 'ensure': {
      const names = argv.all ? ALL_TOOL_NAMES : rest;
      if (names.length === 0) throw new Error(USAGE);
      const unknown = names.filter((n) => !ALL_TOOL_NAMES.includes(n));
      if (unknown.length) throw new Error(`unknown tool(s): ${unknown.join(', ')}; known: ${ALL_TOOL_NAMES.join(', ')}`);
      for (const name of names) {
        const started = Date.now();
        const where = await ensureAny(name, { noInstall: false }); // provisioning is this command's job, CI included
        console.log(`${name.padEnd(24)} ${where} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      }
      return;
    }
    case 'path': {
      if (!rest[0]) throw new Error(USAGE);
      console.log(await ensureAny(rest[0], { noInstall: false }));
      return;
    }
    case 'list':
      for (const spec of Object.values(TOOLS)) console.log(`${spec.name.padEnd(24)} ${spec.version.padEnd(10)} accepts ${spec.wants}`);
      console.log(`${KEYCLOAK.name.padEnd(24)} ${KEYCLOAK.version.padEnd(10)} keycloak-quarkus-dist from Maven Central (sha256 pinned)`);
      console.log(`${JAVA.name.padEnd(24)} ${JAVA.majors.join('|').padEnd(10)} a local JDK for Keycloak (BK_JAVA_HOME, JAVA_HOME, /usr/lib/jvm)`);
      return;
    default:
      throw new Error(`${USAGE} (got "${cmd ?? ''}")`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
