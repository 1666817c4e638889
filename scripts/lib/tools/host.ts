/** Facts about this host that tool resolution needs: the release platform name and PATH lookup. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Platform } from './spec.ts';

export function platform(): Platform {
  const osName = process.platform === 'darwin' ? 'darwin' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  return `${osName}-${arch}` as Platform;
}

export async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
