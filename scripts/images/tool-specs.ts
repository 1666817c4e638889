/**
 * Tool specs the image pipeline adds to the pinned tools (registered in scripts/lib/tools/pins.ts TOOLS).
 *
 *   registry  the CNCF `distribution` OCI registry (github.com/distribution/distribution/v3
 *             cmd/registry), pinned by tools/registry/go.mod; it serves the local registry on
 *             127.0.0.1:5001 that the images and the packaged chart are pushed to.
 */
import type { ToolSpec } from '../lib/tools/spec.ts';

export const REGISTRY_VERSION = 'v3.1.2';

export const REGISTRY_TOOL: ToolSpec = {
  name: 'registry',
  version: REGISTRY_VERSION,
  versionArgs: ['--version'],
  // Prints e.g. "registry github.com/distribution/distribution/v3 v3.1.2". Only the pinned release:
  // it is copied into an image whose tag names that version.
  accepts: (r) => r.trim().endsWith(` ${REGISTRY_VERSION}`),
  wants: `registry (distribution) ${REGISTRY_VERSION}`,
  go: {
    wrapper: 'tools/registry',
    pkg: 'github.com/distribution/distribution/v3/cmd/registry',
    // As distribution's Makefile stamps a release build.
    ldflags: [`-X github.com/distribution/distribution/v3/version.version=${REGISTRY_VERSION}`],
  },
  // No download fallback: the project publishes no pinned checksum for the release archives.
};
