/**
 * The shape of a tool pin (what `pins.ts` declares) and version parsing. No I/O here.
 */
export type Platform = 'linux-amd64' | 'linux-arm64' | 'darwin-amd64' | 'darwin-arm64';

export interface GoBuild {
  /** Wrapper module directory under tools/ holding go.mod, go.sum and tools.go. */
  wrapper: string;
  /** Main package to build. */
  pkg: string;
  /** Linker flags, e.g. to stamp the version the upstream release build stamps. */
  ldflags?: string[];
  /**
   * Build with cgo (default CGO_ENABLED=0), these build tags, and C libraries linked statically
   * (`-linkmode external -extldflags -static`): for programs that need C (runc: nsenter, libseccomp).
   */
  cgo?: { tags: string[] };
}

export interface Download {
  url: (p: Platform) => string;
  /** sha256 of the archive per platform; a platform without one is never downloaded. */
  sha256: Partial<Record<Platform, string>>;
  /** Path of the binary inside the .tar.gz; absent when the download is the bare binary itself. */
  member?: (p: Platform) => string;
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
  /** Bumped whenever a pinned build's flags change, so caches rebuild (part of the cache dir name). */
  buildRev?: string;
}

/** Parses the first vX.Y[.Z] in a version string into numbers. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i]! !== min[i]!) return v[i]! > min[i]!;
  }
  return true;
}

