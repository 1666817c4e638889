/**
 * npm run images -- build [name...] [--refresh-base]
 *     Builds the images the chart runs (default: all of them, plus the Node base and the registry)
 *     from the package registries: Debian rootfs trees, the npm registry, the Go module proxy, Maven
 *     Central. Prints each step's time and each image's size.
 * npm run images -- push [name...] [--registry localhost:5001] [--no-chart] [--no-build]
 *     Builds what is missing, then pushes the chart's images (and the packaged chart, to
 *     oci://<registry>/charts) to the registry. For localhost:5001 the local registry container is
 *     started first. In the release workflow: --registry ghcr.io/<owner>.
 * npm run images -- registry up|down [--data]|status
 *     The local registry bk-registry on 127.0.0.1:5001 (attached to the docker network kind).
 * npm run images -- chart [--registry localhost:5001]
 *     helm package + helm push of the chart only.
 * npm run images -- list [--registry R]
 *     The image references for a registry.
 */
import { parseArgv } from 'zx';
import { buildImages, CHART_IMAGES, checkNames, checkRegistry, DEFAULT_REGISTRY, IMAGE_NAMES, imageRef, type ImageName } from './images/catalog.ts';
import { isLocalRegistry, pushChart, pushImages, registryDown, registryUp, REGISTRY_CONTAINER, REGISTRY_HOST_PORT } from './images/registry.ts';
import { inspectImage, mib, seconds } from './images/run.ts';

const USAGE = 'usage: npm run images -- build [name...] | push [name...] [--registry R] [--no-chart] | registry up|down|status | chart [--registry R] | list';

function log(line: string): void {
  console.log(line);
}

async function main(): Promise<void> {
  const a = parseArgv(process.argv.slice(2), { string: ['registry'], boolean: ['refresh-base', 'data', 'chart', 'build'], default: { chart: true, build: true }, camelCase: true });
  const [cmd, ...rest] = a._.map(String);
  const registry = checkRegistry(String(a.registry ?? DEFAULT_REGISTRY));
  const t0 = Date.now();
  switch (cmd) {
    case 'build': {
      const names = rest.length ? checkNames(rest) : IMAGE_NAMES;
      const built = await buildImages(names, { log, refreshBase: Boolean(a.refreshBase) });
      console.log('\nImages:');
      for (const b of built) console.log(`  ${b.ref.padEnd(64)} ${mib(b.size).padStart(10)}  ${seconds(b.ms).padStart(7)}${b.aliases.length ? `  (also ${b.aliases.join(', ')})` : ''}`);
      console.log(`  total ${seconds(Date.now() - t0)}`);
      return;
    }
    case 'push': {
      const names: ImageName[] = rest.length ? checkNames(rest) : CHART_IMAGES;
      if (a.build) {
        const missing: ImageName[] = [];
        for (const n of names) if (!(await inspectImage(await imageRef(n)))) missing.push(n);
        if (missing.length) await buildImages(missing, { log });
      }
      if (isLocalRegistry(registry)) {
        if (!registry.startsWith(`localhost:${REGISTRY_HOST_PORT}`)) throw new Error(`--registry ${registry}: the local registry this script runs is localhost:${REGISTRY_HOST_PORT}`);
        await registryUp({ log });
      }
      const pushed = await pushImages(names, registry, log);
      const chart = a.chart ? await pushChart(registry, { log }) : undefined;
      console.log('\nPushed:');
      for (const p of pushed) console.log(`  ${p.ref.padEnd(64)} ${p.digest}  ${seconds(p.ms)}`);
      if (chart) console.log(`  ${`${chart.ref}:${chart.chart.version}`.padEnd(64)} ${chart.digest}  (${chart.chart.subchart})`);
      console.log(`  total ${seconds(Date.now() - t0)}`);
      if (chart && isLocalRegistry(registry)) console.log(`\nInstall: helm install <release> ${chart.ref} --version ${chart.chart.version} --plain-http -f values/kind.yaml`);
      return;
    }
    case 'registry': {
      const sub = rest[0] ?? 'status';
      if (sub === 'up') {
        const r = await registryUp({ log });
        console.log(`registry: ${REGISTRY_CONTAINER} ${r.started ? 'started' : 'already running'} at ${r.url} (${seconds(Date.now() - t0)})`);
      } else if (sub === 'down') {
        await registryDown({ data: Boolean(a.data), log });
      } else if (sub === 'status') {
        try {
          const res = await fetch(`http://127.0.0.1:${REGISTRY_HOST_PORT}/v2/_catalog`, { signal: AbortSignal.timeout(3000) });
          console.log(`registry: http://127.0.0.1:${REGISTRY_HOST_PORT} HTTP ${res.status} ${await res.text()}`);
        } catch (e) {
          console.log(`registry: not answering on 127.0.0.1:${REGISTRY_HOST_PORT} (${(e as Error).message})`);
          process.exitCode = 1;
        }
      } else {
        throw new Error(`registry ${sub}: use up, down [--data] or status`);
      }
      return;
    }
    case 'chart': {
      if (isLocalRegistry(registry)) await registryUp({ log });
      const chart = await pushChart(registry, { log });
      console.log(`${chart.ref}:${chart.chart.version} ${chart.digest} (${chart.chart.subchart})`);
      return;
    }
    case 'list': {
      for (const n of IMAGE_NAMES) console.log(`${n.padEnd(14)} ${await imageRef(n, registry)}`);
      return;
    }
    default:
      throw new Error(`${USAGE} (got "${cmd ?? ''}")`);
  }
}

main().catch((e: unknown) => {
  console.error(`images: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
