/** npm run down -- [--cluster backstage-keycloak]: deletes the kind cluster made by `npm run up`. */
import { $, parseArgv } from 'zx';
import { ensureTool } from './lib/tools/index.ts';

const a = parseArgv(process.argv.slice(2), { string: ['cluster'] });
const cluster = String(a.cluster ?? 'backstage-keycloak');
try {
  const kind = await ensureTool('kind');
  const list = await $({ quiet: true })`${kind} get clusters`;
  if (!list.stdout.split('\n').includes(cluster)) {
    console.log(`down: no kind cluster named ${cluster}; nothing to delete`);
  } else {
    await $({ stdio: 'inherit' })`${kind} delete cluster --name ${cluster}`;
    console.log(`down: deleted kind cluster ${cluster}`);
  }
} catch (e) {
  console.error(`down: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
