/**
 * Where things are: the repository root and the per-user cache this project provisions into.
 * A leaf module (imports nothing of ours), so any script or test can use it.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the umbrella chart's directory). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Cache root: `$XDG_CACHE_HOME/backstage-keycloak` (default `~/.cache/backstage-keycloak`). */
export function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'backstage-keycloak');
}

/** The tools cache: `BK_TOOLS_DIR`, default `<cacheDir>/tools`. Pinned builds and downloads live here. */
export function toolsDir(): string {
  return process.env.BK_TOOLS_DIR ?? path.join(cacheDir(), 'tools');
}

/** Test and run artifacts (screenshots, logs): `<repo>/artifacts`. */
export const artifactsDir = path.join(repoRoot, 'artifacts');
