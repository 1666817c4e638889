/**
 * npm run down -- [--cluster backstage-keycloak]: deletes the kind cluster made by `npm run up`
 * (node container, kubeconfig entry) and the `kind` Docker network when nothing else uses it.
 */
import { parseArgv } from 'zx';
import { deleteCluster } from './kind/cluster.ts';

const a = parseArgv(process.argv.slice(2), { string: ['cluster'] });
const cluster = String(a.cluster ?? 'backstage-keycloak');
try {
  const r = await deleteCluster({ name: cluster, log: (l) => console.log(l) });
  console.log(r.deleted ? `down: deleted kind cluster ${cluster}` : `down: no kind cluster named ${cluster}; nothing to delete`);
  if (r.networkUsers.length) console.log(`down: the Docker network "kind" is still used by: ${r.networkUsers.join(', ')}`);
} catch (e) {
  console.error(`down: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
