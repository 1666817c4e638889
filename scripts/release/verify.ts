/**
 * Verifies a published release as a careful user does before installing it: for the chart and
 * every image of a release.json, `cosign verify` (the signature) and `cosign verify-attestation`
 * (the SBOM), by digest. Used by `npm run release -- verify` and `npm run up -- --from-release`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { verify, verifySbom, type Verifier } from './cosign.ts';
import type { ReleaseManifest } from './publish.ts';

/**
 * Checks every artifact of the release.json at `manifestFile` with the public key `key` (default:
 * the manifest's own: cosign.pub beside it, or its keyless identity). Returns the manifest and the
 * failed checks (one line each, with cosign's message); prints one line per check.
 */
export async function verifyRelease(manifestFile: string, key: string | undefined, log: (l: string) => void): Promise<{ manifest: ReleaseManifest; failed: string[] }> {
  const m = JSON.parse(await readFile(manifestFile, 'utf8')) as ReleaseManifest;
  const v: Verifier = key ? { kind: 'key', publicKey: key } : m.verify.kind === 'key' ? { kind: 'key', publicKey: path.join(path.dirname(manifestFile), 'cosign.pub') } : m.verify;
  const failed: string[] = [];
  for (const a of [m.chart, ...m.images]) {
    for (const [what, fn] of [
      ['signature', () => verify(a.ref, v)],
      ['SBOM attestation', () => verifySbom(a.ref, v)],
    ] as const) {
      try {
        await fn();
        log(`ok      ${what.padEnd(16)} ${a.ref}`);
      } catch (e) {
        failed.push(`${what} of ${a.ref}: ${(e as Error).message}`);
        log(`FAILED  ${what.padEnd(16)} ${a.ref}\n        ${(e as Error).message}`);
      }
    }
  }
  return { manifest: m, failed };
}
