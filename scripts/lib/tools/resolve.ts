/**
 * Finding a pinned tool. Order for each tool, first hit wins:
 *   1. an explicit override, env `BK_<NAME>` (e.g. BK_HELM=/opt/helm/bin/helm);
 *   2. PATH, when the binary there reports an acceptable version;
 *   3. the project's tools cache (`BK_TOOLS_DIR`, default `~/.cache/backstage-keycloak/tools`);
 *   4. a Go build from the Go module proxy, pinned by the wrapper module in `tools/<name>/`
 *      (its committed go.mod/go.sum fix every dependency; built with -mod=readonly);
 *   5. the official release download, checked against a pinned sha256 (a user's machine).
 * When none works the error lists what was tried and how to fix it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { $ } from 'zx';
import { toolsDir } from '../paths.ts';
import { download, goBuild } from './install.ts';
import { TOOLS } from './pins.ts';
import { which } from './host.ts';
import type { ToolSpec } from './spec.ts';

export function cachedPath(spec: ToolSpec): string {
  const rev = spec.buildRev ? `-${spec.buildRev}` : '';
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

export interface EnsureOptions {
  /** Called with progress lines; default writes to stderr. */
  log?: (line: string) => void;
  /** Skip PATH and take the pinned build (cache, go, download). */
  pinnedOnly?: boolean;
  /**
   * Only look (override, PATH, cache): never build or download. Default: true under CI=true, so a
   * test in CI fails fast naming the tool (.ci/run provisions with `npm run tools -- ensure --all`,
   * which passes false); elsewhere a missing tool is built or downloaded on first use.
   */
  noInstall?: boolean;
}

/** True under CI=true (1/true/yes). */
export const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

const inflight = new Map<string, Promise<string>>();

/** Returns an absolute path to a usable binary of the named tool, installing it if needed. */
export function ensureTool(name: string, options: EnsureOptions = {}): Promise<string> {
  const opts = { ...options, noInstall: options.noInstall ?? inCI };
  const key = `${name}:${opts.pinnedOnly ? 'pinned' : 'any'}:${opts.noInstall ? 'look' : 'install'}`;
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

  if (opts.noInstall) {
    throw new Error(
      [
        `${spec.name} ${spec.version} is not installed. Looked at:`,
        ...tried.map((t) => `  - ${t}`),
        `Fix: run \`npm run tools -- ensure ${spec.name}\` (or \`ensure --all\`, as .ci/run does) first${inCI ? ' (CI=true: tests never build tools; they fail instead of skipping)' : ''}.`,
      ].join('\n'),
    );
  }

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

