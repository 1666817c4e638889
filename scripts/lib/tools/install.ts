/**
 * Installing a pinned tool into the tools cache: a Go build from a committed wrapper module, or an
 * official download checked against its pinned sha256. Each writes to a temp name and renames, so
 * a crash never leaves a half-written tool in the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../paths.ts';
import { platform, which } from './host.ts';
import type { Download, GoBuild, ToolSpec } from './spec.ts';

export async function goBuild(spec: ToolSpec, go: GoBuild, dest: string, log: (l: string) => void): Promise<true | string> {
  const goBin = await which('go');
  if (!goBin) return 'go not found on PATH';
  const wrapper = path.join(repoRoot, go.wrapper);
  if (!existsSync(path.join(wrapper, 'go.mod'))) return `${go.wrapper}/go.mod missing`;
  const started = Date.now();
  log(`tools: building ${spec.name} ${spec.version} from the Go module proxy (${go.wrapper}, first time only; a few minutes)...`);
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  // -mod=readonly: a build can never rewrite the committed go.mod/go.sum; a missing sum is an error.
  const args = ['build', '-mod=readonly', '-trimpath', '-o', tmp];
  // -s -w always (no symbol table/DWARF): etcd, for one, is 39 MB with them and 27 MB without.
  args.push(`-ldflags=${['-s', '-w', ...(go.ldflags ?? []), ...(go.cgo ? ['-linkmode', 'external', '-extldflags', '-static'] : [])].join(' ')}`);
  if (go.cgo?.tags.length) args.push('-tags', go.cgo.tags.join(' '));
  args.push(go.pkg);
  const out = await $({ cwd: wrapper, quiet: true, nothrow: true, env: { ...process.env, CGO_ENABLED: go.cgo ? '1' : '0', GOFLAGS: '-mod=readonly' } })`${goBin} ${args}`;
  if (!out.ok) {
    await rm(tmp, { force: true });
    return `failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  }
  await rename(tmp, dest);
  log(`tools: built ${spec.name} in ${((Date.now() - started) / 1000).toFixed(0)}s -> ${dest}`);
  return true;
}

export async function download(spec: ToolSpec, dl: Download, dest: string, log: (l: string) => void): Promise<true | string> {
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
  if (!dl.member) {
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    await writeFile(tmp, body, { mode: 0o755 });
    await rename(tmp, dest);
    return true;
  }
  const member = dl.member;
  const work = await mkdtemp(path.join(os.tmpdir(), `bk-${spec.name}-`));
  try {
    const archive = path.join(work, 'a.tar.gz');
    await writeFile(archive, body);
    const untar = await $({ quiet: true, nothrow: true })`tar -xzf ${archive} -C ${work} ${member(p)}`;
    if (!untar.ok) return `extract ${member(p)}: ${untar.stderr.trim()}`;
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(path.join(work, member(p)), dest);
    await chmod(dest, 0o755);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return true;
}
