/**
 * Signing and verifying with the pinned cosign (tools/cosign): signatures and SBOM attestations on
 * OCI artifacts (images and the chart), by digest only.
 *
 * Two ways to sign (`Signer`):
 *   key      a cosign key pair: the private key from a file or from an environment variable
 *            (cosign's `env://NAME`), its password in COSIGN_PASSWORD (read by cosign from the
 *            environment, never passed as an argument); nothing goes to a transparency log, so a
 *            verifier uses the public key with --insecure-ignore-tlog=true (the key is the trust).
 *   keyless  the OIDC identity of the GitHub workflow (Fulcio certificate, Rekor entry); verifiers
 *            pin the certificate identity (the workflow file at the tag) and the issuer.
 *
 * What a verifier is given (`Verifier`): the public key, or the identity and issuer. Every
 * function returns cosign's own message on failure inside an Error that names the artifact.
 */
import { $ } from 'zx';
import { ensureTool } from '../lib/tools/index.ts';
import { isLocalRegistry } from '../images/registry.ts';

/** The predicate type of the SBOM attestations (cosign --type spdxjson). */
export const SBOM_PREDICATE = 'https://spdx.dev/Document';
/** The type cosign gives its plain signatures (simple signing). */
export const COSIGN_SIGNATURE = 'https://sigstore.dev/cosign/sign/v1';
/** Issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

export type Signer = { kind: 'key'; key: string } | { kind: 'keyless' };
export type Verifier = { kind: 'key'; publicKey: string } | { kind: 'keyless'; identity?: string; identityRegexp?: string; issuer: string };

/** Flags for registries on loopback (plain http). */
function registryFlags(ref: string): string[] {
  return isLocalRegistry(ref) ? ['--allow-http-registry=true', '--allow-insecure-registry=true'] : [];
}

function signerFlags(s: Signer): string[] {
  // With a key: no transparency log, no signing config fetched from the public-good instance (the
  // key pair is the root of trust). Keyless: cosign's defaults (Fulcio, Rekor, the signing config).
  return s.kind === 'key' ? ['--key', s.key, '--tlog-upload=false', '--use-signing-config=false'] : [];
}

function verifierFlags(v: Verifier): string[] {
  if (v.kind === 'key') return ['--key', v.publicKey, '--insecure-ignore-tlog=true'];
  const id = v.identity ? ['--certificate-identity', v.identity] : ['--certificate-identity-regexp', v.identityRegexp ?? ''];
  return [...id, '--certificate-oidc-issuer', v.issuer];
}

async function cosign(args: string[], what: string): Promise<string> {
  const bin = await ensureTool('cosign', { pinnedOnly: true });
  const out = await $({ quiet: true, nothrow: true })`${bin} ${args}`;
  if (!out.ok) {
    // cosign's own error, once: without its tlog warning and the repeated "error during command execution" line.
    const lines = `${out.stderr}\n${out.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('WARNING:') && !l.startsWith('error during command execution'));
    const msg = [...new Set(lines)].slice(-3).join(' | ');
    throw new CosignError(`${what}: cosign ${args[0]} failed (exit ${out.exitCode}): ${msg}`, msg);
  }
  return `${out.stdout}${out.stderr}`;
}

/** A failed cosign command; `cosignMessage` is cosign's own last lines. */
export class CosignError extends Error {
  readonly cosignMessage: string;
  constructor(message: string, cosignMessage: string) {
    super(message);
    this.cosignMessage = cosignMessage;
  }
}

/** Refuses anything but `<repo>@sha256:<hex>`: tags can move, digests cannot. */
function byDigest(ref: string): string {
  if (!/@sha256:[0-9a-f]{64}$/.test(ref)) throw new Error(`${ref}: sign and verify by digest only (<repository>@sha256:...)`);
  return ref;
}

export async function sign(ref: string, s: Signer): Promise<void> {
  await cosign(['sign', '--yes', ...signerFlags(s), ...registryFlags(ref), byDigest(ref)], `sign ${ref}`);
}

/** Attaches `predicateFile` (an SPDX JSON SBOM) as a signed in-toto attestation of `ref`. */
export async function attestSbom(ref: string, predicateFile: string, s: Signer): Promise<void> {
  await cosign(['attest', '--yes', ...signerFlags(s), ...registryFlags(ref), '--type', 'spdxjson', '--predicate', predicateFile, byDigest(ref)], `attest ${ref}`);
}

/** `cosign verify`: the signatures of `ref` made by the verifier's key or identity; throws otherwise. */
export async function verify(ref: string, v: Verifier): Promise<string> {
  const out = await cosign(['verify', ...verifierFlags(v), ...registryFlags(ref), '--output', 'json', ref], `verify ${ref}`);
  // Cosign 3's verify also accepts the bundle of an attestation; a release needs a real signature.
  if (!out.includes(`"type":"${COSIGN_SIGNATURE}"`)) throw new CosignError(`verify ${ref}: verified bundles, but none is a signature (${COSIGN_SIGNATURE})`, 'no signature among the verified bundles');
  return out;
}

/** `cosign verify-attestation --type spdxjson`: returns the verified SPDX document. */
export async function verifySbom(ref: string, v: Verifier): Promise<{ spdxVersion?: string; name?: string; packages?: unknown[] }> {
  const out = await cosign(['verify-attestation', ...verifierFlags(v), ...registryFlags(ref), '--type', 'spdxjson', '--output', 'json', ref], `verify-attestation ${ref}`);
  // One JSON line per verified attestation: a DSSE envelope whose payload is the in-toto statement.
  for (const line of out.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const env = JSON.parse(line) as { payload?: string; dsseEnvelope?: { payload?: string } };
    const payload = env.payload ?? env.dsseEnvelope?.payload;
    if (!payload) continue;
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: string; predicate?: unknown };
    if (statement.predicateType === SBOM_PREDICATE) return statement.predicate as { spdxVersion?: string; name?: string; packages?: unknown[] };
  }
  throw new Error(`verify-attestation ${ref}: verified, but no ${SBOM_PREDICATE} statement in cosign's output`);
}

/** The public key of a private key (cosign public-key; the password comes from COSIGN_PASSWORD). */
export async function publicKeyOf(key: string): Promise<string> {
  return (await cosign(['public-key', '--key', key], 'public-key')).trim();
}

/** `cosign generate-key-pair` into `dir` (cosign.key, cosign.pub); the password from COSIGN_PASSWORD. */
export async function generateKeyPair(dir: string, env: Record<string, string | undefined> = process.env): Promise<{ key: string; pub: string }> {
  const bin = await ensureTool('cosign', { pinnedOnly: true });
  const out = await $({ quiet: true, nothrow: true, cwd: dir, env: { ...process.env, ...env } })`${bin} generate-key-pair`;
  if (!out.ok) throw new Error(`cosign generate-key-pair failed: ${out.stderr.trim()}`);
  return { key: `${dir}/cosign.key`, pub: `${dir}/cosign.pub` };
}

/**
 * The signatures and attestations attached to `ref`, as cosign lists them (`cosign tree`): their
 * references in the registry.
 */
export async function attached(ref: string): Promise<{ signatures: string[]; attestations: string[]; other: string[] }> {
  const out = await cosign(['tree', ...registryFlags(ref), byDigest(ref)], `tree ${ref}`);
  return parseTree(out);
}

/**
 * Parses `cosign tree` output. Cosign 3 stores signatures and attestations as Sigstore bundles
 * attached through the OCI referrers API, one line per referrer naming its predicate type
 * ("<type> artifacts via OCI referrer: <ref>"); the older layout uses `.sig`/`.att` tags
 * ("Signatures for an image tag: <ref>"). Both are read; blob lines below them are skipped.
 */
export function parseTree(text: string): { signatures: string[]; attestations: string[]; other: string[] } {
  const r = { signatures: [] as string[], attestations: [] as string[], other: [] as string[] };
  for (const line of text.split('\n')) {
    const referrer = /(\S+) artifacts via OCI referrer: (\S+)/.exec(line);
    const legacy = /(Signatures|Attestations|SBOMs) for an image tag: (\S+)/.exec(line);
    const [kind, ref] = referrer ? [referrer[1]!, referrer[2]!] : legacy ? [legacy[1]!, legacy[2]!] : [undefined, undefined];
    if (!ref) continue;
    if (kind === COSIGN_SIGNATURE || kind === 'Signatures') r.signatures.push(ref);
    else if (kind === SBOM_PREDICATE || kind === 'Attestations') r.attestations.push(ref);
    else r.other.push(ref);
  }
  return r;
}
