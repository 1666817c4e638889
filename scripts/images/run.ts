/**
 * Small shared pieces of the image pipeline: timed steps with progress lines, the Docker engine
 * check, image inspection, and the cache directory.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { $ } from 'zx';
import { toolsDir } from '../lib/paths.ts';

export type Log = (line: string) => void;
export const stderrLog: Log = (l) => process.stderr.write(`${l}\n`);

/** Cache of the image pipeline (rootfs tarballs, .deb cache): under the tools cache. */
export function imagesCacheDir(): string {
  return path.join(toolsDir(), 'images');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Runs `fn` as a named step: prints "<prefix>: <name>..." and "<prefix>: <name> done in Xs".
 * A failure is rethrown with the step's name in front, so the message says which step failed.
 */
export async function step<T>(prefix: string, name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  log(`${prefix}: ${name}...`);
  try {
    const r = await fn();
    log(`${prefix}: ${name} done in ${seconds(Date.now() - t)}`);
    return r;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${prefix}: step "${name}" failed after ${seconds(Date.now() - t)}: ${msg}`);
  }
}

/** sha256 (hex) of a JSON-able value with sorted keys. */
export function hashInputs(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/**
 * Throws a clear error when no Docker engine answers. (The kind work adds `ensureDocker()`, which
 * also starts Debian's dockerd; this only checks.)
 */
export async function requireDocker(): Promise<string> {
  const out = await $({ quiet: true, nothrow: true, timeout: '20s' })`docker info --format {{.ServerVersion}}`;
  if (!out.ok) {
    const why = (out.stderr.trim().split('\n').pop() ?? '') || 'docker not found';
    throw new Error(`no Docker engine: ${why}. Fix: install Docker and start it (on Debian: dockerd --exec-opt native.cgroupdriver=cgroupfs), then retry.`);
  }
  return out.stdout.trim();
}

export interface ImageInfo {
  id: string;
  size: number;
  labels: Record<string, string>;
  user: string;
}

/** Inspects a local image; undefined when it does not exist. */
export async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const out = await $({ quiet: true, nothrow: true })`docker image inspect ${ref} --format ${'{{json .}}'}`;
  if (!out.ok) return undefined;
  const j = JSON.parse(out.stdout) as { Id: string; Size: number; Config: { Labels: Record<string, string> | null; User: string } };
  return { id: j.Id, size: j.Size, labels: j.Config.Labels ?? {}, user: j.Config.User };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Label holding the hash of an image's inputs: an image whose label matches is not rebuilt. */
export const INPUTS_LABEL = 'org.backstage-keycloak.inputs';
