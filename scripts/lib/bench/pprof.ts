/**
 * A bench-only oauth2-proxy build that serves Go's pprof: the pinned version from the same wrapper
 * module (tools/oauth2-proxy, go.mod/go.sum, -mod=readonly) and the same flags as the tools cache's
 * build (scripts/lib/tools/install.ts: -trimpath, -s -w, the version ldflag, CGO_ENABLED=0), plus
 * one file in package main (scripts/lib/bench/oauth2-proxy-pprof.go: net/http/pprof on $BK_PPROF_ADDR
 * when set). Go refuses an -overlay beneath the module cache, so the main package's files (from the
 * module cache, same version) are copied with that file into a temporary package inside the wrapper
 * module, built there and deleted. Never the product build: it lives in the tools cache
 * as oauth2-proxy-<version>-pprof and only `npm run bench:proxy -- --pprof` uses it. -s -w keep
 * Go's own symbol tables, so profiles name every function.
 */
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot, toolsDir } from '../paths.ts';
import { OAUTH2_PROXY_VERSION, TOOLS, which } from '../tools/index.ts';

export async function pprofOauth2ProxyBinary(log: (l: string) => void = console.error): Promise<string> {
  const dest = path.join(toolsDir(), `oauth2-proxy-${OAUTH2_PROXY_VERSION}-pprof`, 'bin', 'oauth2-proxy');
  if (existsSync(dest)) return dest;
  const goBin = await which('go');
  if (!goBin) throw new Error('bench:proxy --pprof: go is not on PATH (Go >= 1.26 builds oauth2-proxy; see CONTRIBUTING.md "Tools")');
  const go = TOOLS['oauth2-proxy']!.go!;
  const wrapper = path.join(repoRoot, go.wrapper);
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' };
  // The main package's directory in the module cache (downloaded by the same go.mod if missing).
  const dir = (await $({ cwd: wrapper, quiet: true, env })`${goBin} list -mod=readonly -f {{.Dir}} ${go.pkg}`).stdout.trim();
  // A temporary package inside the wrapper module, so its go.mod/go.sum pin every dependency.
  const pkgDir = path.join(wrapper, `zz-bench-pprof-${process.pid}`);
  try {
    await mkdir(pkgDir);
    for (const f of await readdir(dir)) if (f.endsWith('.go') && !f.endsWith('_test.go')) await copyFile(path.join(dir, f), path.join(pkgDir, f));
    await cp(path.join(dir, 'static'), path.join(pkgDir, 'static'), { recursive: true });
    await copyFile(path.join(repoRoot, 'scripts/lib/bench/oauth2-proxy-pprof.go'), path.join(pkgDir, 'zz_bk_pprof.go'));
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    const t0 = Date.now();
    log(`bench: building oauth2-proxy ${OAUTH2_PROXY_VERSION} with pprof (same module and flags as the tools cache build; a few minutes the first time)`);
    const args = ['build', '-mod=readonly', '-trimpath', '-o', tmp, `-ldflags=${['-s', '-w', ...(go.ldflags ?? [])].join(' ')}`, `./${path.basename(pkgDir)}`];
    const out = await $({ cwd: wrapper, quiet: true, nothrow: true, env })`${goBin} ${args}`;
    if (!out.ok) throw new Error(`bench: the pprof build of oauth2-proxy failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    await rename(tmp, dest);
    log(`bench: built ${dest} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    return dest;
  } finally {
    await rm(pkgDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) console.log(await pprofOauth2ProxyBinary());

/**
 * The floor of bench:proxy --floor: scripts/lib/bench/bare-proxy.go (Go's httputil.ReverseProxy alone,
 * standard library only) built with the same Go and flags into the tools cache.
 */
export async function bareProxyBinary(log: (l: string) => void = console.error): Promise<string> {
  const goBin = await which('go');
  if (!goBin) throw new Error('bench:proxy --floor: go is not on PATH (Go >= 1.26; see CONTRIBUTING.md "Tools")');
  const goVersion = (await $({ quiet: true })`${goBin} env GOVERSION`).stdout.trim();
  const dest = path.join(toolsDir(), `bench-bare-proxy-${goVersion}`, 'bin', 'bare-proxy');
  if (existsSync(dest)) return dest;
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  log(`bench: building scripts/lib/bench/bare-proxy.go with ${goVersion}`);
  const out = await $({ cwd: path.join(repoRoot, 'scripts/lib/bench'), quiet: true, nothrow: true, env: { ...process.env, CGO_ENABLED: '0', GO111MODULE: 'off' } })`${goBin} build -trimpath -ldflags=${'-s -w'} -o ${tmp} bare-proxy.go`;
  if (!out.ok) throw new Error(`bench: building bare-proxy.go failed: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  await rename(tmp, dest);
  return dest;
}
