/**
 * npm run release -- [--registry R] [--images a,b] [--reuse-images] [--key K | --keyless] [--out DIR] [--subchart M]
 * npm run release -- verify [--manifest out/release/release.json] [--key cosign.pub]
 * npm run release -- --help
 *
 * The one release command; the GitHub release workflow runs it and nothing else. See HELP below
 * and scripts/release/publish.ts for what it does, in order.
 */
import path from 'node:path';
import { parseArgv } from 'zx';
import { DEFAULT_REGISTRY } from './images/catalog.ts';
import { repoRoot } from './lib/paths.ts';
import { GITHUB_OIDC_ISSUER, type Signer, type Verifier } from './release/cosign.ts';
import { IMAGE_VALUES, type ChartImage } from './release/pin.ts';
import { formatManifest, release, RELEASE_IMAGES } from './release/publish.ts';
import { verifyRelease } from './release/verify.ts';

const HELP = `npm run release -- [options]

Builds every image the chart runs, pushes them, pins each one by digest in the packaged chart
(the tag stays beside it for people; pulls use the digest), packages the chart (the real upstream
Backstage chart; offline and for a local registry only, the stand-in) and pushes it to
oci://<registry>/charts. Then, for every image and the chart: an SPDX SBOM (syft; the chart's
lists its subcharts and pinned images), a cosign signature and the SBOM as a signed attestation,
all by digest. Everything is verified again as a user would, and what was published (references,
digests, signatures, attestations) is printed and written to <out>/release.json.

Options:
  --registry R        host[:port][/path] to publish to (default ${DEFAULT_REGISTRY}, the local
                      registry, started if needed; in GitHub Actions ghcr.io/<owner>)
  --images a,b        publish only these images (${RELEASE_IMAGES.join(', ')}); the others stay
                      unpinned in the chart and are listed as NOT PINNED
  --reuse-images      take images already in the local Docker image store; build only the missing
                      ones (default: build every image now)
  --key K             sign with this cosign private key: a file, or env://NAME for a PEM held in
                      the environment variable NAME. The password is read from COSIGN_PASSWORD.
                      Without --key: BK_RELEASE_KEY (same forms), then COSIGN_PRIVATE_KEY (a PEM:
                      env://COSIGN_PRIVATE_KEY)
  --keyless           sign with the GitHub workflow's OIDC identity (default in GitHub Actions when
                      no key is given); verifiers pin --certificate-identity and
                      --certificate-oidc-issuer ${GITHUB_OIDC_ISSUER}
  --subchart M        auto | real | standin (default: auto for a local registry, else real)
  --out DIR           release.json, cosign.pub, the SBOMs and the packaged chart (default out/release)

  verify [--manifest FILE] [--key PUB]
                      cosign verify + verify-attestation of every artifact in a release.json
                      (default out/release/release.json; key default: the manifest's public key)

A key pair for trying it: COSIGN_PASSWORD=... cosign generate-key-pair (cosign: npm run tools --
path cosign). Secrets never go into arguments or logs: the password only through COSIGN_PASSWORD.`;

function keySource(flag: unknown): string | undefined {
  if (typeof flag === 'string' && flag) return flag.startsWith('env://') ? flag : path.resolve(flag);
  const env = process.env.BK_RELEASE_KEY;
  if (env) return env.startsWith('env://') ? env : path.resolve(env);
  if (process.env.COSIGN_PRIVATE_KEY) return 'env://COSIGN_PRIVATE_KEY';
  return undefined;
}

/** The keyless identity of this workflow run: <server>/<owner>/<repo>/.github/workflows/<file>@<ref>. */
function workflowIdentity(): string {
  const { GITHUB_SERVER_URL, GITHUB_WORKFLOW_REF } = process.env;
  if (!GITHUB_SERVER_URL || !GITHUB_WORKFLOW_REF) throw new Error('--keyless needs GitHub Actions (GITHUB_SERVER_URL, GITHUB_WORKFLOW_REF and an id-token: write permission)');
  return `${GITHUB_SERVER_URL}/${GITHUB_WORKFLOW_REF}`;
}

function parseImages(v: unknown): ChartImage[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((n) => !(n in IMAGE_VALUES));
  if (bad.length) throw new Error(`--images: unknown ${bad.join(', ')}; the chart's images are ${RELEASE_IMAGES.join(', ')}`);
  return RELEASE_IMAGES.filter((n) => list.includes(n));
}

async function verifyCommand(manifestFile: string, key: string | undefined): Promise<void> {
  const { failed } = await verifyRelease(manifestFile, key, (l) => console.log(l));
  if (failed.length) {
    console.error(`release verify: ${failed.length} check(s) failed: do not install this release`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const a = parseArgv(process.argv.slice(2), {
    string: ['registry', 'images', 'key', 'out', 'subchart', 'manifest'],
    boolean: ['reuse-images', 'keyless', 'help'],
    alias: { h: 'help' },
    camelCase: true,
  });
  if (a.help) {
    console.log(HELP);
    return;
  }
  const [cmd] = a._.map(String);
  if (cmd === 'verify') {
    await verifyCommand(path.resolve(String(a.manifest ?? path.join(repoRoot, 'out', 'release', 'release.json'))), a.key ? path.resolve(String(a.key)) : undefined);
    return;
  }
  if (cmd !== undefined) throw new Error(`unknown command "${cmd}" (npm run release -- --help)`);

  const inActions = process.env.GITHUB_ACTIONS === 'true';
  const key = keySource(a.key);
  let signer: Signer;
  let verifier: Verifier;
  if (key && a.keyless) throw new Error('--key and --keyless exclude each other');
  if (key) {
    signer = { kind: 'key', key };
    verifier = { kind: 'key', publicKey: '' }; // set below, once the public key is written
  } else if (a.keyless || inActions) {
    signer = { kind: 'keyless' };
    verifier = { kind: 'keyless', identity: workflowIdentity(), issuer: GITHUB_OIDC_ISSUER };
  } else {
    throw new Error('no signing key: pass --key <cosign.key> (or env://NAME), set BK_RELEASE_KEY or COSIGN_PRIVATE_KEY, or --keyless in GitHub Actions. A key pair: COSIGN_PASSWORD=... cosign generate-key-pair');
  }
  const owner = process.env.GITHUB_REPOSITORY_OWNER?.toLowerCase();
  const registry = String(a.registry ?? (inActions && owner ? `ghcr.io/${owner}` : DEFAULT_REGISTRY));
  const subchart = a.subchart === undefined ? undefined : String(a.subchart);
  if (subchart !== undefined && !['auto', 'real', 'standin'].includes(subchart)) throw new Error(`--subchart ${subchart}: use auto, real or standin`);
  const out = path.resolve(String(a.out ?? path.join(repoRoot, 'out', 'release')));
  if (verifier.kind === 'key') verifier.publicKey = path.join(out, 'cosign.pub');

  const log = (l: string) => console.log(l);
  const m = await release({
    registry,
    images: parseImages(a.images),
    reuseImages: Boolean(a.reuseImages),
    signer,
    verifier,
    subchart: subchart as 'auto' | 'real' | 'standin' | undefined,
    out,
    log,
  });
  console.log(formatManifest(m, out));
}

main().catch((e: unknown) => {
  console.error(`release: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
