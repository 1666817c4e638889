/**
 * npm run down -- [--cluster backstage-keycloak] [--keep-registry]: undoes `npm run up`. Deletes the
 * kind cluster (node container, kubeconfig entry), the local registry container `bk-registry`
 * (its data volume stays, as a cache of pushed images) unless --keep-registry, and the `kind`
 * Docker network when nothing else uses it.
 */
import { parseArgv } from 'zx';
import { registryDown } from './images/registry.ts';
import { deleteCluster } from './kind/cluster.ts';

const a = parseArgv(process.argv.slice(2), { string: ['cluster'], boolean: ['keep-registry'], camelCase: true });
const cluster = String(a.cluster ?? 'backstage-keycloak');
try {
  const log = (l: string) => console.log(l);
  if (!a.keepRegistry) await registryDown({ log: (l) => log(`    ${l}`) });
  const r = await deleteCluster({ name: cluster, log });
  console.log(r.deleted ? `down: deleted kind cluster ${cluster}` : `down: no kind cluster named ${cluster}; nothing to delete`);
  if (r.networkUsers.length) console.log(`down: the Docker network "kind" is still used by: ${r.networkUsers.join(', ')}`);
} catch (e) {
  console.error(`down: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
