/**
 * The chart's `helm test` pod run for real outside Kubernetes: its rendered script and env in
 * busybox (the shell, wget and sed of the pod's image, from Debian's busybox package), secrets
 * resolved from the rendered Secret. Only the Service address in TARGET_URL is rewritten.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { $ } from 'zx';
import type { Release } from '../../scripts/lib/chart/release.ts';

/** busybox applets in a temp dir (PATH for the script); remove with the returned cleanup. */
export async function busyboxApplets(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const busybox = (await $({ quiet: true, nothrow: true })`sh -c 'command -v busybox'`).stdout.trim();
  if (!busybox) throw new Error("busybox is not installed: run scripts/ci/apt.sh (Debian package busybox), the test pod image's shell and tools");
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-busybox-'));
  await $({ quiet: true })`${busybox} --install -s ${dir}`;
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the test pod of `release` with TARGET_URL's origin `serviceOrigin` moved to `to`. */
export async function runTestPod(release: Release, applets: string, serviceOrigin: string, to: string): Promise<{ ok: boolean; output: string; targetUrl: string; created: string[] }> {
  const pod = release.all<V1Pod & { metadata: { name: string } }>('Pod').find((p) => p.metadata.name.endsWith('-test-redirect'));
  if (!pod) throw new Error('the release has no helm test pod');
  const c = pod.spec!.containers[0]!;
  const env: Record<string, string> = { PATH: applets };
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? release.secretData(ref.name!)[ref.key]! : (e.value ?? '');
  }
  if (!env.TARGET_URL!.startsWith(serviceOrigin)) throw new Error(`TARGET_URL ${env.TARGET_URL} does not start with ${serviceOrigin}`);
  const targetUrl = env.TARGET_URL!;
  env.TARGET_URL = to + targetUrl.slice(serviceOrigin.length);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bk-testpod-'));
  try {
    const out = await $({ quiet: true, nothrow: true, env, cwd, timeout: '60s' })`${path.join(applets, 'sh')} -c ${c.args![0]!}`;
    return { ok: out.ok, output: out.stdout + out.stderr, targetUrl, created: await readdir(cwd) };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}
