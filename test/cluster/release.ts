/**
 * The release the cluster tier installs from (issue 21): a cosign key pair made for the run (its
 * password only in COSIGN_PASSWORD), then `npm run release` into the local registry (localhost:5001,
 * which the kind nodes pull from), reusing the images .ci/run built. Installs then go through
 * `npm run up -- --from-release`, which verifies the chart and every image before installing the
 * chart at its digest. The release tier (test/release) covers the refusals.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { generateKeyPair } from '../../scripts/release/cosign.ts';
import type { ReleaseManifest } from '../../scripts/release/publish.ts';
import type { ProvidedRelease } from './global-setup.ts';

export async function publishRelease(dir: string, log: (l: string) => void): Promise<ProvidedRelease> {
  const t0 = Date.now();
  const out = path.join(dir, 'release');
  rmSync(out, { recursive: true, force: true });
  // A fresh key pair each run (cosign would ask before overwriting an earlier one).
  const keys = mkdtempSync(path.join(dir, 'release-keys-'));
  const password = randomBytes(18).toString('base64url');
  const pair = await generateKeyPair(keys, { ...process.env, COSIGN_PASSWORD: password });
  const subchart = process.env.BK_SUBCHART ?? 'auto';
  const r = await $({ cwd: repoRoot, quiet: true, nothrow: true, env: { ...process.env, COSIGN_PASSWORD: password } })`${process.execPath} --disable-warning=ExperimentalWarning ${path.join(repoRoot, 'scripts', 'release.ts')} --registry localhost:5001 --reuse-images --key ${pair.key} --subchart ${subchart} --out ${out}`;
  // The private key is needed for signing only: gone before anything else runs.
  rmSync(pair.key, { force: true });
  if (!r.ok) throw new Error(`npm run release (for the cluster tier) failed:\n${(r.stdout + r.stderr).slice(-4000)}`);
  const manifest = path.join(out, 'release.json');
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as ReleaseManifest;
  log(`release published and verified in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${m.chart.helmRef}, ${m.images.length} images by digest`);
  return { manifest, publicKey: pair.pub, chartRef: m.chart.helmRef };
}
