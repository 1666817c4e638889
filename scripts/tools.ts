/**
 * npm run tools -- ensure <name...> | ensure --all | path <name> | list
 * Finds or installs the pinned tools (see scripts/lib/tools.ts for the order tried).
 */
import { argv } from 'zx';
import { ensureTool, TOOLS } from './lib/tools.ts';

async function main(): Promise<void> {
  const [cmd, ...rest] = argv._.map(String);
  switch (cmd) {
    case 'ensure': {
      const names = argv.all ? Object.keys(TOOLS) : rest;
      if (names.length === 0) throw new Error('usage: npm run tools -- ensure <name...> | --all');
      for (const name of names) {
        const bin = await ensureTool(name);
        console.log(`${name.padEnd(14)} ${bin}`);
      }
      return;
    }
    case 'path': {
      if (!rest[0]) throw new Error('usage: npm run tools -- path <name>');
      console.log(await ensureTool(rest[0]));
      return;
    }
    case 'list':
      for (const spec of Object.values(TOOLS)) console.log(`${spec.name.padEnd(14)} ${spec.version.padEnd(10)} accepts ${spec.wants}`);
      return;
    default:
      throw new Error(`usage: npm run tools -- ensure <name...> | ensure --all | path <name> | list (got "${cmd ?? ''}")`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
