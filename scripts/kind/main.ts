/**
 * npm run kind -- <command>
 *   facts                 this host: Docker engine, CAP_SYS_RESOURCE, /lib/modules, cgroup version
 *   docker                start Debian's dockerd if no engine answers (same as scripts/ci/docker.sh)
 *   image [--force]       build (or find) the offline node image; prints its tag and size
 *   create [--name N] [--workers W]
 *                         create (or reuse) the cluster, as `npm run up` does before installing
 *   delete [--name N]     delete it, as `npm run down` does
 *   prune                 remove the node build's images of other pins (old node images are ~1 GiB)
 */
import { parseArgv } from 'zx';
import { createCluster, deleteCluster } from './cluster.ts';
import { dockerVersion, ensureDocker, hostFacts } from './docker.ts';
import { ensureNodeImage, planNodeImage, pruneImages } from './node-image.ts';
import { mib, seconds } from './util.ts';

const log = (l: string) => console.log(l);

async function main(): Promise<void> {
  const a = parseArgv(process.argv.slice(2), { string: ['name', 'workers'], boolean: ['force'] });
  const [cmd] = a._.map(String);
  switch (cmd) {
    case 'facts': {
      const f = hostFacts();
      console.log(`docker engine:      ${(await dockerVersion()) ?? 'not answering'}`);
      console.log(`CAP_SYS_RESOURCE:   ${f.capSysResource ? 'in the bounding set' : 'MISSING from the bounding set (kind runs through scripts/kind/docker-shim)'}`);
      console.log(`/lib/modules:       ${f.libModules ? 'present' : 'absent'}`);
      console.log(`cgroup version:     ${f.cgroupVersion}`);
      console.log(`node image:         ${planNodeImage().image}`);
      return;
    }
    case 'docker':
      console.log(`docker ${await ensureDocker(log)}`);
      return;
    case 'image': {
      const r = await ensureNodeImage({ log, force: Boolean(a.force) });
      console.log(`${r.image} ${mib(r.size)} (${r.built ? `built in ${seconds(r.ms)}` : 'up to date'})`);
      return;
    }
    case 'create': {
      const c = await createCluster({ name: a.name as string | undefined, workers: Number(a.workers ?? 0), log });
      console.log(`${c.reused ? 'reused' : `created in ${seconds(c.createMs)}`}: cluster ${c.name}, context ${c.context}, nodes ${c.nodes.join(', ')}, image ${c.image}`);
      return;
    }
    case 'delete':
      await deleteCluster({ name: a.name as string | undefined, log });
      return;
    case 'prune': {
      const stale = await pruneImages(log);
      console.log(`${stale.length} stale image tag(s); current node image ${planNodeImage().image}`);
      return;
    }
    default:
      throw new Error(`usage: npm run kind -- facts | docker | image [--force] | create [--name N] [--workers W] | delete [--name N] | prune (got "${cmd ?? ''}")`);
  }
}

main().catch((e: unknown) => {
  console.error(`kind: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
