/**
 * A release a careful user can check (issue 21, items 1-2 up to the cluster install):
 * `npm run release` publishes into an OCI registry this test starts (the pinned distribution
 * build, as a process on a free 127.0.0.1 port, storage in a temp dir) with a cosign key pair the
 * test generates (password through COSIGN_PASSWORD only). Then, as a user would:
 *   - `cosign verify` and `cosign verify-attestation --type spdxjson` of the chart and every image;
 *   - `helm pull` of the chart at its digest; every image its render runs is pinned by digest, and
 *     each digest is one that was signed;
 *   - an image tag re-pushed with other content: the chart still renders the signed digest, and
 *     the moved tag no longer verifies;
 *   - an unsigned chart, an image signed with another key, and the release checked with the wrong
 *     key all fail verification, with cosign's message.
 * Images: every image the chart runs, taken from the local Docker image store (`--reuse-images`;
 * .ci/run builds them with `npm run images -- build` before `npm test`). Docker, cosign, syft,
 * helm and the registry build are required: under CI=true a missing one fails the file instead of
 * skipping it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { parseManifests } from '../../scripts/lib/chart/assemble.ts';
import { Release } from '../../scripts/lib/chart/release.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort, startProcess, type Managed } from '../../scripts/lib/run/process.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { CosignError, generateKeyPair, sign, verify, verifySbom, type Verifier } from '../../scripts/release/cosign.ts';
import type { ReleaseManifest } from '../../scripts/release/publish.ts';
import { RELEASE_IMAGES } from '../../scripts/release/publish.ts';
import { dockerProblem, ensureImages } from '../images/docker.ts';

const problem = await dockerProblem();
const log = (l: string) => process.stderr.write(`[release-test] ${l}\n`);

/** The message cosign gave for a refused verification. */
async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CosignError);
    return (e as CosignError).cosignMessage;
  }
  throw new Error('verification passed, but it should have been refused');
}

describe.skipIf(!!problem)('npm run release into a local registry, verified like a user', () => {
  let tmp: string;
  let registryProc: Managed | undefined;
  let registry: string;
  let manifest: ReleaseManifest;
  let stdout = '';
  let helm: string;
  let pub: Verifier;
  let password: string;
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, ...extra }) as Record<string, string>;

  beforeAll(async () => {
    const t0 = Date.now();
    // Tools first: under CI=true ensureTool only looks, so a missing one fails here, by name.
    helm = await ensureTool('helm');
    const registryBin = await ensureTool('registry', { pinnedOnly: true });
    await ensureTool('cosign', { pinnedOnly: true });
    await ensureTool('syft', { pinnedOnly: true });
    await ensureImages(RELEASE_IMAGES);

    tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-release-test-'));
    const port = await freePort();
    registry = `127.0.0.1:${port}`;
    await mkdir(path.join(tmp, 'registry'), { recursive: true });
    await writeFile(
      path.join(tmp, 'registry.yml'),
      ['version: 0.1', 'log:', '  level: warn', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(tmp, 'registry')}`, 'http:', `  addr: ${registry}`, ''].join('\n'),
    );
    registryProc = startProcess({ name: 'registry', cmd: registryBin, args: ['serve', path.join(tmp, 'registry.yml')], env: { PATH: process.env.PATH } });
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://${registry}/v2/`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 100 || registryProc.done) throw new Error(`the registry did not start on ${registry}:\n${registryProc.tail(20)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // The signing key pair: generated here, its password only in the environment.
    password = randomBytes(18).toString('base64url');
    await mkdir(path.join(tmp, 'keys'));
    await generateKeyPair(path.join(tmp, 'keys'), { COSIGN_PASSWORD: password });
    const out = path.join(tmp, 'out');
    const run = await $({ cwd: repoRoot, quiet: true, nothrow: true, env: env({ COSIGN_PASSWORD: password }) })`npm run --silent release -- --registry ${registry} --reuse-images --key ${path.join(tmp, 'keys', 'cosign.key')} --out ${out}`;
    stdout = `${run.stdout}${run.stderr}`;
    log(`npm run release: exit ${run.exitCode} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n${run.stdout.split('\nPublished')[1] ? `Published${run.stdout.split('\nPublished')[1]}` : stdout}`);
    if (!run.ok) throw new Error(`npm run release failed (exit ${run.exitCode}):\n${stdout.split('\n').slice(-30).join('\n')}`);
    manifest = JSON.parse(await readFile(path.join(out, 'release.json'), 'utf8')) as ReleaseManifest;
    pub = { kind: 'key', publicKey: path.join(tmp, 'keys', 'cosign.pub') };
  });

  afterAll(async () => {
    await registryProc?.stop();
    // The local tags docker push left for this run's registry (the images themselves stay).
    if (registry) {
      const rows = (await $({ quiet: true, nothrow: true })`docker image ls --digests --format ${'{{.Repository}} {{.Tag}} {{.Digest}}'}`).stdout.split('\n').filter((t) => t.startsWith(`${registry}/`));
      // By tag, and the digest records docker keeps for the pushes (repository@digest).
      const refs = rows.map((r) => r.split(' ')).map(([repo, tag, digest]) => (tag === '<none>' ? `${repo}@${digest}` : `${repo}:${tag}`));
      if (refs.length) await $({ quiet: true, nothrow: true })`docker image rm ${refs}`;
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints every reference with its digest, signature and attestation, and never the password', () => {
    expect(manifest.images.map((i) => i.name).sort()).toEqual([...RELEASE_IMAGES].sort());
    expect(manifest.unpinned).toEqual([]);
    for (const a of [...manifest.images, manifest.chart]) {
      expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(a.ref).toBe(`${a.repository.replace(/^oci:\/\//, '')}@${a.digest}`);
      expect(a.signatures.length, `${a.name}: signature references`).toBeGreaterThan(0);
      expect(a.attestations.length, `${a.name}: attestation references`).toBeGreaterThan(0);
      expect(stdout).toContain(`${a.repository}:${a.tag}`);
      expect(stdout).toContain(a.digest);
      for (const r of [...a.signatures, ...a.attestations]) expect(stdout).toContain(r);
    }
    expect(manifest.chart.helmRef).toBe(`oci://${registry}/charts/backstage-keycloak@${manifest.chart.digest}`);
    expect(stdout).not.toContain(password);
  });

  it('cosign verify: the chart and every image carry a signature made with the release key', async () => {
    for (const a of [manifest.chart, ...manifest.images]) {
      const out = await verify(a.ref, pub);
      // cosign prints the verified payloads: each names the digest it signed.
      expect(out).toContain(a.digest);
    }
  });

  it('cosign verify-attestation: each carries its SPDX SBOM, signed; the chart SBOM lists the pinned images', async () => {
    for (const a of manifest.images) {
      const sbom = await verifySbom(a.ref, pub);
      expect(sbom.spdxVersion).toBe('SPDX-2.3');
      expect(sbom.packages?.length, `${a.name}: packages in its SBOM`).toBeGreaterThan(0);
    }
    const chart = (await verifySbom(manifest.chart.ref, pub)) as { packages: { name: string; checksums?: { checksumValue: string }[] }[] };
    const listed = chart.packages.flatMap((p) => (p.checksums ?? []).map((c) => `sha256:${c.checksumValue}`));
    for (const a of [manifest.chart, ...manifest.images]) expect(listed).toContain(a.digest);
  });

  let pulled: string;
  const render = async () => {
    // The dev subcharts on too (values/kind.yaml), so every image the chart can run is rendered;
    // global.imageRegistry cleared so the pinned registry shows.
    const out = await $({ quiet: true })`${helm} template backstage ${pulled} --namespace backstage -f ${path.join(repoRoot, 'values', 'kind.yaml')} --set global.imageRegistry=`;
    return new Release(parseManifests(out.stdout)).images();
  };

  it('helm pull at the verified digest; every image the chart renders is pinned by a digest that was signed', async () => {
    const dest = path.join(tmp, 'pulled');
    await mkdir(dest, { recursive: true });
    await $({ quiet: true })`${helm} pull ${manifest.chart.helmRef} --plain-http --destination ${dest}`;
    const [file] = await readdir(dest);
    pulled = path.join(dest, file!);
    // The pulled package is the one released (byte for byte) and so the one signed.
    const local = createHash('sha256').update(await readFile(path.join(tmp, 'out', `backstage-keycloak-${manifest.chart.version}.tgz`))).digest('hex');
    expect(createHash('sha256').update(await readFile(pulled)).digest('hex')).toBe(local);

    const images = await render();
    expect(images.length).toBeGreaterThanOrEqual(RELEASE_IMAGES.length);
    const signed = new Map(manifest.images.map((i) => [i.digest, i]));
    for (const ref of new Set(images)) {
      const m = /^(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
      expect(m, `${ref} is pinned by digest`).not.toBeNull();
      expect(signed.has(m![2]!), `${ref}: a digest the release signed`).toBe(true);
      expect(m![1]).toBe(signed.get(m![2]!)!.repository);
    }
    // Every released image is run by the chart (none signed but unused, none used but unsigned).
    expect([...new Set(images.map((i) => i.split('@')[1]))].sort()).toEqual(manifest.images.map((i) => i.digest).sort());
  });

  let tampered: string;
  it('a tag re-pushed with other content: the chart still renders the signed digest; the moved tag does not verify', async () => {
    const busybox = manifest.images.find((i) => i.name === 'busybox')!;
    const tag = `${busybox.repository}:${busybox.tag}`;
    const ctx = path.join(tmp, 'tamper');
    await mkdir(ctx, { recursive: true });
    await writeFile(path.join(ctx, 'Dockerfile'), `FROM ${busybox.repository.replace(registry, 'localhost:5001')}:${busybox.tag}\nLABEL org.backstage-keycloak.test=tampered\n`);
    await $({ quiet: true, env: env({ DOCKER_BUILDKIT: '0' }) })`docker build --quiet --tag ${tag} ${ctx}`;
    const push = await $({ quiet: true })`docker push ${tag}`;
    tampered = `${busybox.repository}@${/digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)![1]}`;
    expect(tampered).not.toBe(busybox.ref);

    const images = await render();
    expect(images).toContain(busybox.ref);
    expect(images.some((i) => i === tampered || i === tag)).toBe(false);
    await verify(busybox.ref, pub); // the pinned reference still verifies
    const msg = await refusal(() => verify(tag, pub)); // the tag now names unsigned content
    log(`cosign verify ${tag} (tag re-pushed with other content): ${msg}`);
    expect(msg).toMatch(/no signatures found|no matching signatures/i);
  });

  it('an image signed with another key fails verification, with the message', async () => {
    const other = path.join(tmp, 'other-keys');
    await mkdir(other, { recursive: true });
    const otherPassword = randomBytes(18).toString('base64url');
    const pair = await generateKeyPair(other, { COSIGN_PASSWORD: otherPassword });
    const saved = process.env.COSIGN_PASSWORD;
    process.env.COSIGN_PASSWORD = otherPassword;
    try {
      await sign(tampered, { kind: 'key', key: pair.key });
    } finally {
      process.env.COSIGN_PASSWORD = saved;
    }
    await verify(tampered, { kind: 'key', publicKey: pair.pub }); // signed, but by someone else
    const msg = await refusal(() => verify(tampered, pub));
    log(`cosign verify (image signed with another key) --key <release key>: ${msg}`);
    // cosign 3 checks the bundle's envelope: "no matching attestations: ... accepted signatures do not match threshold".
    expect(msg).toMatch(/no matching (signatures|attestations)|do not match threshold|invalid signature/i);
  });

  it('the release checked with the wrong public key fails, for the chart and its SBOM', async () => {
    const wrong: Verifier = { kind: 'key', publicKey: path.join(tmp, 'other-keys', 'cosign.pub') };
    const sig = await refusal(() => verify(manifest.chart.ref, wrong));
    const att = await refusal(() => verifySbom(manifest.chart.ref, wrong));
    log(`cosign verify (chart, wrong key): ${sig}`);
    log(`cosign verify-attestation (chart, wrong key): ${att}`);
    expect(sig).toMatch(/no matching (signatures|attestations)|do not match threshold|invalid signature/i);
    expect(att).toMatch(/no matching attestations|do not match threshold/i);
  });

  it('an unsigned chart (the same package pushed elsewhere) fails verification, with the message', async () => {
    const push = await $({ quiet: true })`${helm} push ${pulled} ${`oci://${registry}/unsigned`} --plain-http`;
    const digest = /Digest:\s*(sha256:[0-9a-f]{64})/.exec(`${push.stdout}${push.stderr}`)![1];
    const ref = `${registry}/unsigned/backstage-keycloak@${digest}`;
    const msg = await refusal(() => verify(ref, pub));
    log(`cosign verify (unsigned chart): ${msg}`);
    expect(msg).toMatch(/no signatures found/i);
  });

  it('npm run release -- verify: ok for the release, FAILED with the wrong key', async () => {
    const file = path.join(tmp, 'out', 'release.json');
    const good = await $({ cwd: repoRoot, quiet: true, nothrow: true })`npm run --silent release -- verify --manifest ${file}`;
    expect(good.exitCode, good.stdout + good.stderr).toBe(0);
    expect(good.stdout.split('\n').filter((l) => l.startsWith('ok ')).length).toBe(2 * (manifest.images.length + 1));
    const bad = await $({ cwd: repoRoot, quiet: true, nothrow: true })`npm run --silent release -- verify --manifest ${file} --key ${path.join(tmp, 'other-keys', 'cosign.pub')}`;
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED {2}signature/m);
    expect(bad.stderr).toMatch(/do not install this release/);
  });
});
