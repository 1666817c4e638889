/**
 * npm run backstage:build   yarn install in backstage/, the production build of every package
 *                           (backstage-cli), and the deployable app in backstage/.deploy
 * npm run backstage:start   the built backend on 127.0.0.1:7007 with app-config.local.yaml and the
 *                           static demo organisation (alice in admins, bob in users)
 *
 * The benchmark of the built backend is scripts/bench/backstage.ts (npm run bench:backstage).
 */
import { argv } from 'zx';
import { buildBackstage, startBackstage } from '../lib/run/backstage.ts';

async function build(): Promise<void> {
  await buildBackstage((l) => console.log(`==> ${l}`));
}

async function start(): Promise<void> {
  const bs = await startBackstage({ configs: ['app-config.local.yaml'], log: (l) => console.log(l) });
  console.log(`\nBackstage backend: ${bs.url} (loopback only; it signs in whoever the X-Forwarded-* headers name,`);
  console.log('so reach it through oauth2-proxy: see `npm run dev`). Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bs.stop();
}

const cmd = String(argv._[0] ?? '');
const commands: Record<string, () => Promise<void>> = { build, start };
const run = commands[cmd];
if (!run) {
  console.error('usage: node scripts/backstage/main.ts build|start');
  process.exitCode = 2;
} else {
  run().catch((e: unknown) => {
    console.error(`backstage ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
