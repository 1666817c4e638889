/**
 * The tool bootstrap: `ensureTool(name)` for pinned binaries, `ensureKeycloak()` / `ensureJava()`
 * for the Keycloak distribution and its runtime, and `ensureAny(name)` over all of them (the
 * `npm run tools` CLI). Pins are data in pins.ts; resolve.ts finds, install.ts builds or downloads.
 */
import { ensureJava, ensureKeycloak } from './keycloak.ts';
import { JAVA, KEYCLOAK, TOOLS } from './pins.ts';
import { ensureTool, type EnsureOptions } from './resolve.ts';

export * from './spec.ts';
export * from './pins.ts';
export { platform, which } from './host.ts';
export { cachedPath, ensureTool, inCI, type EnsureOptions } from './resolve.ts';
export { ensureJava, ensureKeycloak, keycloakHome, keycloakUrl, sha256File, KEYCLOAK_JAVA_MAJORS, type JavaRuntime } from './keycloak.ts';
export { toolsDir } from '../paths.ts';

/** Every name `ensureAny` knows: the pinned binaries, then keycloak and java. */
export const ALL_TOOL_NAMES: string[] = [...Object.keys(TOOLS), KEYCLOAK.name, JAVA.name];

/** Ensures any tool by name; returns a path (binary, Keycloak home) or, for java, `home (version)`. */
export async function ensureAny(name: string, opts: EnsureOptions & { provision?: boolean } = {}): Promise<string> {
  if (name === KEYCLOAK.name) return ensureKeycloak({ log: opts.log, provision: opts.noInstall === true ? false : opts.provision });
  if (name === JAVA.name) {
    const j = await ensureJava({ log: opts.log });
    return `${j.home} (${j.version})`;
  }
  return ensureTool(name, opts);
}
