/**
 * The two node-image programs that are not pure Go, built into the shared tools cache with the
 * same layout as the tools mechanism (scripts/lib/tools/) (`<tools>/<name>-<version>/bin/<name>`):
 *
 *   runc   tools/runc wrapper module, cgo with libseccomp linked statically (Debian's
 *          libseccomp-dev .a), tags `seccomp netgo osusergo`, -mod=readonly, -trimpath;
 *   pause  pause.c from the k8s.io/kubernetes module (the version tools/kubernetes pins),
 *          `gcc -Os -static`, as Kubernetes' build/pause/Makefile does.
 *
 * BK_RUNC / BK_PAUSE point at prebuilt binaries instead.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot, toolsDir } from '../lib/paths.ts';
import { KIND_KUBERNETES_VERSION, RUNC_VERSION } from './tool-specs.ts';
import { seconds, type Log } from './util.ts';

/** The pause version kubeadm v1.36.4 lists (cmd/kubeadm/app/constants: PauseVersion). */
export const PAUSE_VERSION = '3.10.2';

function cached(name: string, version: string): string {
  return path.join(toolsDir(), `${name}-${version}`, 'bin', name);
}

async function missing(what: string, fix: string, check: () => Promise<boolean>): Promise<void> {
  if (!(await check())) throw new Error(`${what} is missing. Fix: ${fix}`);
}

export async function ensureRunc(log: Log): Promise<string> {
  if (process.env.BK_RUNC) return process.env.BK_RUNC;
  const dest = cached('runc', RUNC_VERSION);
  if (existsSync(dest)) return dest;
  await missing('gcc', 'bash scripts/ci/apt.sh (gcc, libc6-dev)', async () => (await $({ quiet: true, nothrow: true })`gcc --version`).ok);
  await missing('static libseccomp (libseccomp.a)', 'bash scripts/ci/apt.sh (libseccomp-dev, pkg-config)', async () => (await $({ quiet: true, nothrow: true })`pkg-config --static --libs libseccomp`).ok);
  const t0 = Date.now();
  log(`    building runc ${RUNC_VERSION} (cgo, static libseccomp) from tools/runc...`);
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  const ldflags = ['-s', '-w', `-X main.version=${RUNC_VERSION.replace(/^v/, '')}`, '-linkmode', 'external', '-extldflags', '-static'].join(' ');
  const out = await $({ cwd: path.join(repoRoot, 'tools', 'runc'), quiet: true, nothrow: true, env: { ...process.env, CGO_ENABLED: '1', GOFLAGS: '-mod=readonly' } })`go build -trimpath -tags ${'seccomp netgo osusergo urfave_cli_no_docs'} -ldflags ${ldflags} -o ${tmp} github.com/opencontainers/runc`;
  if (!out.ok) {
    await rm(tmp, { force: true });
    throw new Error(`runc build failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  const ldd = await $({ quiet: true, nothrow: true })`ldd ${tmp}`;
  if (ldd.ok && !/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr)) {
    await rm(tmp, { force: true });
    throw new Error(`runc build is not static: ${ldd.stdout.trim()}`);
  }
  await rename(tmp, dest);
  log(`    built runc in ${seconds(Date.now() - t0)} -> ${dest}`);
  return dest;
}

export async function ensurePause(log: Log): Promise<string> {
  if (process.env.BK_PAUSE) return process.env.BK_PAUSE;
  const dest = cached('pause', PAUSE_VERSION);
  if (existsSync(dest)) return dest;
  await missing('gcc', 'bash scripts/ci/apt.sh (gcc, libc6-dev)', async () => (await $({ quiet: true, nothrow: true })`gcc --version`).ok);
  const t0 = Date.now();
  // The module directory of the k8s.io/kubernetes version tools/kubernetes pins (downloaded on demand).
  const wrapper = path.join(repoRoot, 'tools', 'kubernetes');
  const dl = await $({ cwd: wrapper, quiet: true, nothrow: true, env: { ...process.env, GOFLAGS: '-mod=readonly' } })`go mod download -json k8s.io/kubernetes`;
  if (!dl.ok) throw new Error(`go mod download k8s.io/kubernetes failed: ${dl.stderr.trim()}`);
  const info = JSON.parse(dl.stdout) as { Dir: string; Version: string };
  if (info.Version !== KIND_KUBERNETES_VERSION) throw new Error(`tools/kubernetes pins k8s.io/kubernetes ${info.Version}, expected ${KIND_KUBERNETES_VERSION}`);
  const src = path.join(info.Dir, 'build', 'pause', 'linux', 'pause.c');
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  log(`    building pause ${PAUSE_VERSION} from ${path.relative(path.dirname(info.Dir), src)} (gcc -static)...`);
  await $({ quiet: true })`gcc -Os -Wall -Werror -static -DVERSION=v${PAUSE_VERSION}-k8s.io/kubernetes@${info.Version} -o ${tmp} ${src}`;
  await $({ quiet: true })`strip ${tmp}`;
  await rename(tmp, dest);
  log(`    built pause in ${seconds(Date.now() - t0)} -> ${dest}`);
  return dest;
}
