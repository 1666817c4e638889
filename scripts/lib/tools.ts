/**
 * Tool bootstrap: finds or installs the pinned command-line tools the scripts and tests use.
 *
 * Order for each tool, first hit wins:
 *   1. an explicit override, env `BK_<NAME>` (e.g. BK_HELM=/opt/helm/bin/helm);
 *   2. PATH, when the binary there reports an acceptable version;
 *   3. the project's tools cache (`BK_TOOLS_DIR`, default `~/.cache/backstage-keycloak/tools`);
 *   4. a Go build from the Go module proxy, pinned by the wrapper module in `tools/<name>/`
 *      (its committed go.mod/go.sum fix every dependency; how CI gets tools offline);
 *   5. the official release download, checked against a pinned sha256 (a user's machine).
 * When none works the error lists what was tried and how to fix it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Platform = 'linux-amd64' | 'linux-arm64' | 'darwin-amd64' | 'darwin-arm64';

export interface GoBuild {
  /** Wrapper module directory under tools/ holding go.mod, go.sum and tools.go. */
  wrapper: string;
  /** Main package to build. */
  pkg: string;
  /** Linker flags, e.g. to stamp the version the upstream release build stamps. */
  ldflags?: string[];
}

export interface Download {
  url: (p: Platform) => string;
  /** sha256 of the archive per platform; a platform without one is never downloaded. */
  sha256: Partial<Record<Platform, string>>;
  /** Path of the binary inside the .tar.gz. */
  member: (p: Platform) => string;
}

export interface ToolSpec {
  name: string;
  version: string;
  /** Arguments that make the binary print its version. */
  versionArgs: string[];
  /** True when a binary found on PATH reporting `reported` may be used. */
  accepts: (reported: string) => boolean;
  /** Human description of what `accepts` allows, for messages. */
  wants: string;
  go?: GoBuild;
  download?: Download;
}

/** Parses the first vX.Y[.Z] in a version string into numbers. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i]! !== min[i]!) return v[i]! > min[i]!;
  }
  return true;
}

export const HELM_VERSION = 'v4.2.4';
export const OAUTH2_PROXY_VERSION = 'v7.15.3';
export const HELM3_VERSION = 'v3.22.0';
/** Bumped whenever a pinned build's flags change, so caches rebuild (part of the cache dir name). */
const BUILD_REV: Record<string, string> = { helm3: 'b2' };

export const TOOLS: Record<string, ToolSpec> = {
  helm: {
    name: 'helm',
    version: HELM_VERSION,
    versionArgs: ['version', '--template', '{{.Version}}'],
    // Helm 3.18+ validates draft 2020-12 schemas strictly, like Helm 4; older ones do not.
    accepts: (r) => {
      const v = parseVersion(r);
      return v !== undefined && (v[0] >= 4 || (v[0] === 3 && atLeast(v, [3, 18, 0])));
    },
    wants: 'helm v4.x or v3.18+',
    go: {
      wrapper: 'tools/helm',
      pkg: 'helm.sh/helm/v4/cmd/helm',
      ldflags: [`-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`],
    },
    download: {
      url: (p) => `https://get.helm.sh/helm-${HELM_VERSION}-${p}.tar.gz`,
      sha256: {},
      member: (p) => `${p}/helm`,
    },
  },
  // Helm 3 is supported too (3.18+); this pinned build lets the tests prove it. Never taken from
  // PATH: a PATH `helm3` could be anything.
  helm3: {
    name: 'helm3',
    version: HELM3_VERSION,
    versionArgs: ['version', '--template', '{{.Version}}'],
    accepts: () => false,
    wants: `helm ${HELM3_VERSION}`,
    go: {
      wrapper: 'tools/helm3',
      pkg: 'helm.sh/helm/v3/cmd/helm',
      // As Helm's own release build does: without the Kubernetes version stamps, `helm template`
      // assumes Kubernetes v1.20 (client-go v0.37 -> 1.37).
      ldflags: [
        `-X helm.sh/helm/v3/internal/version.version=${HELM3_VERSION}`,
        '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
        '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37',
        '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
        '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37',
      ],
    },
  },
  'oauth2-proxy': {
    name: 'oauth2-proxy',
    version: OAUTH2_PROXY_VERSION,
    versionArgs: ['--version'],
    // Exactly the version the chart pins: the SSO tier claims to exercise that release.
    accepts: (r) => r.includes(`oauth2-proxy ${OAUTH2_PROXY_VERSION} `),
    wants: `oauth2-proxy ${OAUTH2_PROXY_VERSION}`,
    go: {
      wrapper: 'tools/oauth2-proxy',
      pkg: 'github.com/oauth2-proxy/oauth2-proxy/v7',
      ldflags: [`-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=${OAUTH2_PROXY_VERSION}`],
    },
    download: {
      url: (p) =>
        `https://github.com/oauth2-proxy/oauth2-proxy/releases/download/${OAUTH2_PROXY_VERSION}/oauth2-proxy-${OAUTH2_PROXY_VERSION}.${p}.tar.gz`,
      sha256: {},
      member: (p) => `oauth2-proxy-${OAUTH2_PROXY_VERSION}.${p}/oauth2-proxy`,
    },
  },
};

export function toolsDir(): string {
  return process.env.BK_TOOLS_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'backstage-keycloak', 'tools');
}

export function platform(): Platform {
  const osName = process.platform === 'darwin' ? 'darwin' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  return `${osName}-${arch}` as Platform;
}

function cachedPath(spec: ToolSpec): string {
  const rev = BUILD_REV[spec.name] ? `-${BUILD_REV[spec.name]}` : '';
  return path.join(toolsDir(), `${spec.name}-${spec.version}${rev}`, 'bin', spec.name);
}

function envOverride(spec: ToolSpec): string | undefined {
  const key = `BK_${spec.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return process.env[key] || undefined;
}

async function reportedVersion(bin: string, spec: ToolSpec): Promise<string | undefined> {
  const out = await $({ quiet: true, nothrow: true, timeout: '20s' })`${bin} ${spec.versionArgs}`;
  return out.ok ? `${out.stdout}${out.stderr}`.trim() : undefined;
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface EnsureOptions {
  /** Called with progress lines; default writes to stderr. */
  log?: (line: string) => void;
  /** Skip PATH and take the pinned build (cache, go, download). */
  pinnedOnly?: boolean;
}

const inflight = new Map<string, Promise<string>>();

/** Returns an absolute path to a usable binary of the named tool, installing it if needed. */
export function ensureTool(name: string, opts: EnsureOptions = {}): Promise<string> {
  const key = `${name}:${opts.pinnedOnly ? 'pinned' : 'any'}`;
  let p = inflight.get(key);
  if (!p) {
    p = resolveTool(name, opts);
    inflight.set(key, p);
    p.catch(() => inflight.delete(key));
  }
  return p;
}

async function resolveTool(name: string, opts: EnsureOptions): Promise<string> {
  const spec = TOOLS[name];
  if (!spec) throw new Error(`unknown tool "${name}"; known: ${Object.keys(TOOLS).join(', ')}`);
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const tried: string[] = [];

  const override = envOverride(spec);
  if (override) {
    if (!existsSync(override)) {
      throw new Error(`BK_${spec.name.toUpperCase().replace(/-/g, '_')}=${override} does not exist. Point it at a ${spec.wants} binary or unset it.`);
    }
    return override;
  }

  if (!opts.pinnedOnly) {
    const onPath = await which(spec.name);
    if (onPath) {
      const reported = await reportedVersion(onPath, spec);
      if (reported && spec.accepts(reported)) return onPath;
      tried.push(`PATH: ${onPath} reports "${reported ?? 'no version'}", need ${spec.wants}`);
    } else {
      tried.push('PATH: not found');
    }
  }

  const cached = cachedPath(spec);
  if (existsSync(cached)) return cached;
  tried.push(`cache: ${cached} absent`);

  if (spec.go) {
    const goResult = await goBuild(spec, spec.go, cached, log);
    if (goResult === true) return cached;
    tried.push(`go build: ${goResult}`);
  }

  if (spec.download) {
    const dl = await download(spec, spec.download, cached, log);
    if (dl === true) return cached;
    tried.push(`download: ${dl}`);
  }

  throw new Error(
    [
      `${spec.name} ${spec.version} is not available. Tried:`,
      ...tried.map((t) => `  - ${t}`),
      `Fix: install Go (>= the version in ${spec.go?.wrapper ?? 'tools/'}/go.mod) and rerun, or put ${spec.wants} on PATH,`,
      `     or set BK_${spec.name.toUpperCase().replace(/-/g, '_')}=/path/to/${spec.name}.`,
    ].join('\n'),
  );
}

async function goBuild(spec: ToolSpec, go: GoBuild, dest: string, log: (l: string) => void): Promise<true | string> {
  const goBin = await which('go');
  if (!goBin) return 'go not found on PATH';
  const wrapper = path.join(repoRoot, go.wrapper);
  if (!existsSync(path.join(wrapper, 'go.mod'))) return `${go.wrapper}/go.mod missing`;
  const started = Date.now();
  log(`tools: building ${spec.name} ${spec.version} from the Go module proxy (${go.wrapper}, first time only; a few minutes)...`);
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  const args = ['build', '-mod=mod', '-trimpath', '-o', tmp];
  if (go.ldflags?.length) args.push(`-ldflags=-s -w ${go.ldflags.join(' ')}`);
  args.push(go.pkg);
  const out = await $({ cwd: wrapper, quiet: true, nothrow: true, env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' } })`${goBin} ${args}`;
  if (!out.ok) {
    await rm(tmp, { force: true });
    return `failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  }
  await rename(tmp, dest);
  log(`tools: built ${spec.name} in ${((Date.now() - started) / 1000).toFixed(0)}s -> ${dest}`);
  return true;
}

async function download(spec: ToolSpec, dl: Download, dest: string, log: (l: string) => void): Promise<true | string> {
  const p = platform();
  const want = dl.sha256[p];
  if (!want) return `no pinned sha256 for ${p}`;
  const url = dl.url(p);
  log(`tools: downloading ${url}`);
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) return `${url}: HTTP ${res.status}`;
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    return `${url}: ${(e as Error).message}`;
  }
  const got = createHash('sha256').update(body).digest('hex');
  if (got !== want) return `${url}: sha256 ${got} does not match pinned ${want}; refusing it`;
  const work = await mkdtemp(path.join(os.tmpdir(), `bk-${spec.name}-`));
  try {
    const archive = path.join(work, 'a.tar.gz');
    await writeFile(archive, body);
    const untar = await $({ quiet: true, nothrow: true })`tar -xzf ${archive} -C ${work} ${dl.member(p)}`;
    if (!untar.ok) return `extract ${dl.member(p)}: ${untar.stderr.trim()}`;
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(path.join(work, dl.member(p)), dest);
    await chmod(dest, 0o755);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return true;
}

/** Reads a file relative to the repository root (small helper for scripts). */
export function repoFile(rel: string): Promise<string> {
  return readFile(path.join(repoRoot, rel), 'utf8');
}
