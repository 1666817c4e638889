/**
 * The distribution path: a local OCI registry, pushing images to a registry, and the packaged chart.
 *
 *   registryUp()        container bk-registry (image from catalog `registry`) published on
 *                       127.0.0.1:5001 only, storage on volume bk-registry-data, attached to the
 *                       docker network `kind` when it exists (kind's containerd reaches it as
 *                       http://bk-registry:5000 through certs.d/localhost:5001/hosts.toml)
 *   pushImages()        tag + docker push of built images to `--registry`
 *   pushChart()         helm package (the repository root, as users do) + helm push oci://<registry>/charts
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { assembleChart, chartMeta, resolveBackstageChart, type SubchartMode } from '../lib/chart/assemble.ts';
import { repoRoot } from '../lib/paths.ts';
import { ensureTool } from '../lib/tools/index.ts';
import { buildImages, checkRegistry, DEFAULT_REGISTRY, imageRef, type ImageName } from './catalog.ts';
import { inspectImage, requireDocker, step, stderrLog, type Log } from './run.ts';

export const REGISTRY_CONTAINER = 'bk-registry';
export const REGISTRY_VOLUME = 'bk-registry-data';
export const REGISTRY_HOST_PORT = 5001;
/** Docker network kind creates for its nodes. */
export const KIND_NETWORK = 'kind';

/** True for registries reached over plain http (loopback only). */
export function isLocalRegistry(registry: string): boolean {
  return /^(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(registry);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function containerState(name: string): Promise<{ running: boolean; image: string; imageId: string; networks: string[] } | undefined> {
  const out = await $({ quiet: true, nothrow: true })`docker container inspect ${name} --format ${'{{json .}}'}`;
  if (!out.ok) return undefined;
  const j = JSON.parse(out.stdout) as { Image: string; State: { Running: boolean }; Config: { Image: string }; NetworkSettings: { Networks: Record<string, unknown> } };
  return { running: j.State.Running, image: j.Config.Image, imageId: j.Image, networks: Object.keys(j.NetworkSettings.Networks ?? {}) };
}

/** Waits until GET /v2/ answers 200 on 127.0.0.1:<port>. */
async function waitForRegistry(port: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the registry on 127.0.0.1:${port} did not answer /v2/ within ${timeoutMs / 1000}s (${last}); see docker logs ${REGISTRY_CONTAINER}`);
}

/** Attaches bk-registry to a docker network (default `kind`) if that network exists. */
export async function connectRegistry(network = KIND_NETWORK, log: Log = stderrLog): Promise<boolean> {
  const exists = await $({ quiet: true, nothrow: true })`docker network inspect ${network}`;
  if (!exists.ok) return false;
  const state = await containerState(REGISTRY_CONTAINER);
  if (!state) throw new Error(`${REGISTRY_CONTAINER} is not running: npm run images -- registry up`);
  if (!state.networks.includes(network)) {
    await $({ quiet: true })`docker network connect ${network} ${REGISTRY_CONTAINER}`;
    log(`registry: ${REGISTRY_CONTAINER} attached to the docker network ${network} (http://${REGISTRY_CONTAINER}:5000 from there)`);
  }
  return true;
}

/**
 * Starts (or reuses) the local registry container. Builds its image when missing. Errors clearly
 * when 127.0.0.1:5001 is taken by something else.
 */
export async function registryUp(opts: { log?: Log; port?: number } = {}): Promise<{ url: string; started: boolean }> {
  const log = opts.log ?? stderrLog;
  const port = opts.port ?? REGISTRY_HOST_PORT;
  await requireDocker();
  const image = await imageRef('registry');
  if (!(await inspectImage(image))) await buildImages(['registry'], { log });
  const want = (await inspectImage(image))!.id;
  let state = await containerState(REGISTRY_CONTAINER);
  if (state && state.imageId !== want) {
    log(`registry: ${REGISTRY_CONTAINER} runs ${state.image} (${state.imageId.slice(7, 19)}), want ${image} (${want.slice(7, 19)}): recreating it (the data volume ${REGISTRY_VOLUME} is kept)`);
    await $({ quiet: true })`docker rm -f ${REGISTRY_CONTAINER}`;
    state = undefined;
  }
  let started = false;
  if (!state) {
    if (!(await portFree(port))) {
      throw new Error(`127.0.0.1:${port} is already in use by another program, so the local registry cannot publish there. Fix: stop what listens on ${port} (ss -ltnp 'sport = :${port}').`);
    }
    await step('registry', `docker run ${REGISTRY_CONTAINER} (${image}) on 127.0.0.1:${port}`, log, () =>
      $({ quiet: true })`docker run -d --name ${REGISTRY_CONTAINER} --restart unless-stopped --read-only --cap-drop ALL --security-opt no-new-privileges --publish ${`127.0.0.1:${port}:5000`} --volume ${`${REGISTRY_VOLUME}:/var/lib/registry`} --label org.backstage-keycloak.role=registry ${image}`,
    );
    started = true;
  } else if (!state.running) {
    await $({ quiet: true })`docker start ${REGISTRY_CONTAINER}`;
    started = true;
  }
  await waitForRegistry(port);
  await connectRegistry(KIND_NETWORK, log);
  return { url: `http://127.0.0.1:${port}`, started };
}

/** Removes the registry container (and with `data`, its volume). */
export async function registryDown(opts: { data?: boolean; log?: Log } = {}): Promise<void> {
  const log = opts.log ?? stderrLog;
  await $({ quiet: true, nothrow: true })`docker rm -f ${REGISTRY_CONTAINER}`;
  if (opts.data) await $({ quiet: true, nothrow: true })`docker volume rm ${REGISTRY_VOLUME}`;
  log(`registry: ${REGISTRY_CONTAINER} removed${opts.data ? ` with volume ${REGISTRY_VOLUME}` : ''}`);
}

export interface Pushed {
  name: ImageName;
  ref: string;
  digest: string;
  ms: number;
}

/** Tags the locally built images for `registry` and pushes them; returns the pushed digests. */
export async function pushImages(names: ImageName[], registry: string, log: Log = stderrLog): Promise<Pushed[]> {
  const reg = checkRegistry(registry);
  const pushed: Pushed[] = [];
  for (const name of names) {
    const local = await imageRef(name, DEFAULT_REGISTRY);
    if (!(await inspectImage(local))) throw new Error(`${local} is not built: npm run images -- build ${name}`);
    const ref = await imageRef(name, reg);
    const t = Date.now();
    if (ref !== local) await $({ quiet: true })`docker tag ${local} ${ref}`;
    const out = await step(`push ${name}`, ref, log, () => $({ quiet: true })`docker push ${ref}`);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out.stdout)?.[1] ?? '';
    pushed.push({ name, ref, digest, ms: Date.now() - t });
  }
  return pushed;
}

/** helm flags for an OCI registry: plain http on loopback. */
export function helmOciFlags(registry: string): string[] {
  return isLocalRegistry(registry) ? ['--plain-http'] : [];
}

export interface PackagedChart {
  file: string;
  name: string;
  version: string;
  /** Which Backstage subchart is inside. */
  subchart: string;
  standin: boolean;
}

/**
 * `helm package` of the repository root (as users do, after `helm dependency build`). Without the
 * real upstream chart (offline) the stand-in is packaged instead, and only for a local registry.
 */
export async function packageChart(dest: string, opts: { mode?: SubchartMode; log?: Log } = {}): Promise<PackagedChart> {
  const log = opts.log ?? stderrLog;
  const helm = await ensureTool('helm', { log });
  const meta = await chartMeta();
  const source = await resolveBackstageChart(opts.mode ?? 'auto', log);
  let dir = repoRoot;
  let tmp: string | undefined;
  if (source.kind !== 'dependency') {
    // BACKSTAGE_CHART or the stand-in: the same chart files, with that subchart in charts/.
    tmp = await assembleChart(source);
    dir = tmp;
  }
  try {
    await step('chart', `helm package (${source.description})`, log, () => $({ quiet: true })`${helm} package ${dir} --destination ${dest}`);
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  const file = path.join(dest, `${meta.name}-${meta.version}.tgz`);
  if (!existsSync(file)) throw new Error(`helm package left no ${path.basename(file)} in ${dest} (have: ${(await readdir(dest)).join(', ')})`);
  return { file, name: meta.name, version: meta.version, subchart: source.description, standin: source.kind === 'standin' };
}

/** helm push of a packaged chart to oci://<registry>/charts; returns the chart's OCI reference and digest. */
export async function pushChartFile(file: string, registry: string, log: Log = stderrLog): Promise<{ ref: string; digest: string }> {
  const reg = checkRegistry(registry);
  const helm = await ensureTool('helm', { log });
  const out = await step('chart', `helm push ${path.basename(file)} oci://${reg}/charts`, log, () => $({ quiet: true })`${helm} push ${file} ${`oci://${reg}/charts`} ${helmOciFlags(reg)}`);
  const text = `${out.stdout}\n${out.stderr}`;
  const name = /^Pushed:\s*(\S+)/m.exec(text)?.[1];
  const digest = /Digest:\s*(sha256:[0-9a-f]{64})/.exec(text)?.[1] ?? '';
  return { ref: name ? `oci://${name.replace(/:[^:/]+$/, '')}` : `oci://${reg}/charts`, digest };
}

/** Packages the chart and pushes it to oci://<registry>/charts; returns the chart's OCI reference. */
export async function pushChart(registry: string, opts: { mode?: SubchartMode; log?: Log } = {}): Promise<{ ref: string; digest: string; chart: PackagedChart }> {
  const log = opts.log ?? stderrLog;
  const reg = checkRegistry(registry);
  const dest = await mkdtemp(path.join(os.tmpdir(), 'bk-chart-'));
  try {
    const chart = await packageChart(dest, { mode: isLocalRegistry(reg) ? opts.mode : 'real', log });
    if (chart.standin && !isLocalRegistry(reg)) throw new Error(`refusing to publish a chart with the offline stand-in to ${reg}: run helm dependency build first`);
    if (chart.standin) log('chart: NOTE the packaged chart carries the offline STAND-IN for the Backstage chart (no upstream chart here); local registry only');
    const pushed = await pushChartFile(chart.file, reg, log);
    return { ...pushed, chart };
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}
