/**
 * The node image's one C program, pause, built into the shared tools cache with the tools
 * mechanism's layout (`<tools>/pause-<version>/bin/pause`): pause.c from the k8s.io/kubernetes
 * module that tools/kubernetes pins, `gcc -Os -Wall -Werror -static` as Kubernetes'
 * build/pause/Makefile does. BK_PAUSE points at a prebuilt binary instead.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot, toolsDir } from '../lib/paths.ts';
import { KUBERNETES_VERSION, PAUSE_IMAGE_TAG } from '../lib/tools/index.ts';
import { seconds, type Log } from './util.ts';

function cached(name: string, version: string): string {
  return path.join(toolsDir(), `${name}-${version}`, 'bin', name);
}

async function missing(what: string, fix: string, check: () => Promise<boolean>): Promise<void> {
  if (!(await check())) throw new Error(`${what} is missing. Fix: ${fix}`);
}

export async function ensurePause(log: Log): Promise<string> {
  if (process.env.BK_PAUSE) return process.env.BK_PAUSE;
  const dest = cached('pause', PAUSE_IMAGE_TAG);
  if (existsSync(dest)) return dest;
  await missing('gcc', 'bash scripts/ci/apt.sh (gcc, libc6-dev)', async () => (await $({ quiet: true, nothrow: true })`gcc --version`).ok);
  const t0 = Date.now();
  // The module directory of the k8s.io/kubernetes version tools/kubernetes pins (downloaded on demand).
  const wrapper = path.join(repoRoot, 'tools', 'kubernetes');
  const dl = await $({ cwd: wrapper, quiet: true, nothrow: true, env: { ...process.env, GOFLAGS: '-mod=readonly' } })`go mod download -json k8s.io/kubernetes`;
  if (!dl.ok) throw new Error(`go mod download k8s.io/kubernetes failed: ${dl.stderr.trim()}`);
  const info = JSON.parse(dl.stdout) as { Dir: string; Version: string };
  if (info.Version !== KUBERNETES_VERSION) throw new Error(`tools/kubernetes pins k8s.io/kubernetes ${info.Version}, expected ${KUBERNETES_VERSION}`);
  const src = path.join(info.Dir, 'build', 'pause', 'linux', 'pause.c');
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  log(`    building pause ${PAUSE_IMAGE_TAG} from ${path.relative(path.dirname(info.Dir), src)} (gcc -static)...`);
  await $({ quiet: true })`gcc -Os -Wall -Werror -static -DVERSION=v${PAUSE_IMAGE_TAG}-k8s.io/kubernetes@${info.Version} -o ${tmp} ${src}`;
  await $({ quiet: true })`strip ${tmp}`;
  await rename(tmp, dest);
  log(`    built pause in ${seconds(Date.now() - t0)} -> ${dest}`);
  return dest;
}
