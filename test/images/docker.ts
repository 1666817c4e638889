/**
 * Docker helpers for the image tests: containers and a network this test run creates (names
 * `bk-imgtest-<pid>-*`), removed at the end. Traffic goes only to those containers, through port
 * mappings on 127.0.0.1 or `docker exec`.
 */
import { $ } from 'zx';
import { buildImages, imageRef, type ImageName } from '../../scripts/images/catalog.ts';
import { inspectImage } from '../../scripts/images/run.ts';
import { inCI } from '../../scripts/lib/run/process.ts';

export const PREFIX = `bk-imgtest-${process.pid}`;

/**
 * Why docker cannot be used, or undefined when it can. Under CI=true a missing engine throws
 * instead: the tier fails rather than skipping (callers skip only outside CI).
 */
export async function dockerProblem(): Promise<string | undefined> {
  const out = await $({ quiet: true, nothrow: true, timeout: '20s' })`docker info --format {{.ServerVersion}}`;
  if (out.ok) return undefined;
  const problem = `no Docker engine (${(out.stderr.trim().split('\n').pop() ?? '') || 'docker not found'})`;
  if (inCI) throw new Error(`${problem}: the cluster and release tiers need Docker (CI=true: failing instead of skipping). Fix: scripts/ci/docker.sh`);
  return problem;
}

/**
 * The local references of the images; builds missing ones, except under CI=true where a missing
 * image fails (.ci/run builds them first with `npm run images -- build`).
 */
export async function ensureImages(names: ImageName[]): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  const missing: ImageName[] = [];
  for (const n of names) {
    refs[n] = await imageRef(n);
    if (!(await inspectImage(refs[n]!))) missing.push(n);
  }
  if (missing.length && inCI) throw new Error(`images not built: ${missing.join(', ')}. Fix: npm run images -- build (.ci/run does) before the cluster tier`);
  if (missing.length) await buildImages(missing, { log: (l) => process.stderr.write(`${l}\n`) });
  return refs;
}

const created: { containers: string[]; networks: string[]; volumes: string[] } = { containers: [], networks: [], volumes: [] };

export async function createNetwork(suffix: string): Promise<string> {
  const name = `${PREFIX}-${suffix}`;
  await $({ quiet: true })`docker network create ${name}`;
  created.networks.push(name);
  return name;
}

export interface RunOptions {
  name: string;
  image: string;
  network?: string;
  /** DNS name on the network (default: name). */
  alias?: string;
  /** uid[:gid] the container runs as (the chart's runAsUser/runAsGroup). */
  user: string;
  env?: Record<string, string>;
  /** tmpfs mounts (the chart's emptyDirs): path -> options (e.g. "uid=999,gid=999,mode=0700"). */
  tmpfs?: Record<string, string>;
  /** Read-only bind mounts: host path -> container path. */
  binds?: Record<string, string>;
  /** Container port -> host port on 127.0.0.1 (0: any free port). */
  publish?: Record<number, number>;
  args?: string[];
  entrypoint?: string;
}

/**
 * `docker run -d` hardened like the chart's pods: read-only root filesystem, every capability
 * dropped, no new privileges, the given non-root user. Env values go through the environment of
 * the docker CLI (`--env NAME`), never through its arguments.
 */
export async function runContainer(o: RunOptions): Promise<string> {
  const name = `${PREFIX}-${o.name}`;
  const args = ['run', '-d', '--name', name, '--read-only', '--cap-drop=ALL', '--security-opt', 'no-new-privileges', '--user', o.user];
  if (o.network) args.push('--network', o.network, '--network-alias', o.alias ?? o.name);
  for (const [p, opt] of Object.entries(o.tmpfs ?? {})) args.push('--tmpfs', opt ? `${p}:${opt}` : p);
  for (const [h, c] of Object.entries(o.binds ?? {})) args.push('--volume', `${h}:${c}:ro`);
  for (const [c, h] of Object.entries(o.publish ?? {})) args.push('--publish', `127.0.0.1:${h || ''}:${c}`);
  for (const k of Object.keys(o.env ?? {})) args.push('--env', k);
  if (o.entrypoint) args.push('--entrypoint', o.entrypoint);
  args.push(o.image, ...(o.args ?? []));
  created.containers.push(name);
  await $({ quiet: true, env: { ...process.env, ...o.env } })`docker ${args}`;
  return name;
}

/** Host port on 127.0.0.1 a container port is published on. */
export async function hostPort(container: string, port: number): Promise<number> {
  const out = await $({ quiet: true })`docker port ${container} ${`${port}/tcp`}`;
  const m = /127\.0\.0\.1:(\d+)/.exec(out.stdout);
  if (!m) throw new Error(`${container}: port ${port} not published on 127.0.0.1 (${out.stdout.trim()})`);
  return Number(m[1]);
}

export async function logs(container: string): Promise<string> {
  const out = await $({ quiet: true, nothrow: true })`docker logs ${container}`;
  return `${out.stdout}${out.stderr}`;
}

export async function running(container: string): Promise<boolean> {
  const out = await $({ quiet: true, nothrow: true })`docker inspect ${container} --format {{.State.Running}}`;
  return out.stdout.trim() === 'true';
}

export async function inspect(container: string): Promise<{ User: string; ReadonlyRootfs: boolean; CapDrop: string[] | null; uid: string }> {
  const out = await $({ quiet: true })`docker inspect ${container} --format ${'{{json .}}'}`;
  const j = JSON.parse(out.stdout) as { Config: { User: string }; HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null } };
  return { User: j.Config.User, ReadonlyRootfs: j.HostConfig.ReadonlyRootfs, CapDrop: j.HostConfig.CapDrop, uid: j.Config.User.split(':')[0]! };
}

/** Effective uid of the container's main process, read from the host's /proc. */
export async function processUid(container: string): Promise<number> {
  const pid = (await $({ quiet: true })`docker inspect ${container} --format {{.State.Pid}}`).stdout.trim();
  const status = (await $({ quiet: true })`cat ${`/proc/${pid}/status`}`).stdout;
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  if (!m) throw new Error(`no Uid line for pid ${pid}`);
  return Number(m[2]);
}

/** Polls `fn` until it returns a value; fails with the container's log tail. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, opts: { timeoutMs: number; container?: string }): Promise<T> {
  const until = Date.now() + opts.timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (opts.container && !(await running(opts.container))) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const tail = opts.container ? `\n--- ${opts.container} log (tail) ---\n${(await logs(opts.container)).split('\n').slice(-30).join('\n')}` : '';
  throw new Error(`${what}: not ready within ${opts.timeoutMs / 1000}s${last ? ` (${last})` : ''}${tail}`);
}

/** Removes every container, network and volume this run created. */
export async function cleanup(): Promise<void> {
  if (created.containers.length) await $({ quiet: true, nothrow: true })`docker rm -f -v ${created.containers}`;
  for (const n of created.networks) await $({ quiet: true, nothrow: true })`docker network rm ${n}`;
  if (created.volumes.length) await $({ quiet: true, nothrow: true })`docker volume rm ${created.volumes}`;
  created.containers = [];
  created.networks = [];
  created.volumes = [];
}
