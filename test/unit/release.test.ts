/**
 * The parts of `npm run release` that need no registry (the release itself: test/release/):
 * digest pinning of the chart's values files (only the pinned scalars change, byte for byte
 * elsewhere), the pinned chart's render (every image by digest, from the release's registry),
 * reading `cosign tree`, and the command line (--help, a release without a key refused up front).
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { $ } from 'zx';
import { appVersion } from '../../scripts/images/catalog.ts';
import { assembleChart, helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { parseTree } from '../../scripts/release/cosign.ts';
import { IMAGE_VALUES, pinChartImages, pinnedRef, setScalars, type ChartImage, type ImagePin } from '../../scripts/release/pin.ts';
import { RELEASE_IMAGES } from '../../scripts/release/publish.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('setScalars', () => {
  const text = ['# comment kept', 'image:', '  ## @param image.registry Registry.', '  registry: quay.io', '  tag: v1 # trailing', '  digest: ""', 'other: 1', ''].join('\n');

  it('changes only the named scalars, keeping comments and layout', () => {
    const out = setScalars(text, [
      { path: ['image', 'registry'], value: '127.0.0.1:5000' },
      { path: ['image', 'digest'], value: digest('a') },
    ]);
    expect(out).toBe(text.replace('registry: quay.io', 'registry: "127.0.0.1:5000"').replace('digest: ""', `digest: "${digest('a')}"`));
  });

  it('leaves a value that is already right untouched and refuses a key the file does not declare', () => {
    expect(setScalars(text, [{ path: ['image', 'tag'], value: 'v1' }])).toBe(text);
    expect(() => setScalars(text, [{ path: ['image', 'pullPolicy'], value: 'Always' }], 'values.yaml')).toThrow(/values\.yaml: image\.pullPolicy is not a scalar in this file/);
  });
});

describe('a chart pinned by the release', () => {
  let dir: string;
  const registry = '127.0.0.1:5999';
  const pins: Record<ChartImage, ImagePin> = {
    backstage: { registry, repository: 'backstage-keycloak/backstage', tag: '', digest: digest('1') }, // tag: appVersion, below
    'oauth2-proxy': { registry, repository: 'oauth2-proxy/oauth2-proxy', tag: 'v7.15.6', digest: digest('2') },
    busybox: { registry, repository: 'backstage-keycloak/busybox', tag: '1.35.0', digest: digest('3') },
    keycloak: { registry, repository: 'backstage-keycloak/keycloak', tag: '26.7.4', digest: digest('4') },
    postgres: { registry, repository: 'backstage-keycloak/postgres', tag: '15-bookworm', digest: digest('5') },
  };

  beforeAll(async () => {
    pins.backstage.tag = await appVersion();
    dir = await assembleChart(inject('backstageChart'));
    await pinChartImages(dir, pins);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('covers every image the release publishes', () => {
    expect(Object.keys(IMAGE_VALUES).sort()).toEqual([...RELEASE_IMAGES].sort());
  });

  it('renders every container image as <release registry>/<repository>@<digest> (dev subcharts on)', async () => {
    const r = await helmTemplate(dir, { valuesFiles: [path.join(repoRoot, 'values', 'kind.yaml')], set: ['global.imageRegistry='] });
    expect(r.ok, r.stderr).toBe(true);
    const images = new Set<string>();
    for (const o of r.objects) {
      const spec = (o.kind === 'Pod' ? o.spec : (o.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec) as { containers?: { image: string }[]; initContainers?: { image: string }[] } | undefined;
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) images.add(c.image);
    }
    expect([...images].sort()).toEqual(Object.values(pins).map((p) => `${p.registry}/${p.repository}@${p.digest}`).sort());
  });

  it('keeps the tag beside the digest in the values and lists tag and digest in the Artifact Hub annotation', async () => {
    const values = await readFile(path.join(dir, 'values.yaml'), 'utf8');
    expect(values).toContain(`digest: "${pins.backstage.digest}"`);
    expect(values).toContain(`tag: "${pins.backstage.tag}"`);
    const chart = await readFile(path.join(dir, 'Chart.yaml'), 'utf8');
    expect(chart).toContain(`image: ${pinnedRef(pins.backstage)}`);
    expect(chart).toContain(`image: ${registry}/oauth2-proxy/oauth2-proxy:v7.15.6@${pins['oauth2-proxy'].digest}`);
    // The upstream chart's bundled PostgreSQL is not built here: listed as it was.
    expect(chart).toContain('image: docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10');
  });

  it('global.imageRegistry (a mirror) still moves every image and keeps the digests', async () => {
    const r = await helmTemplate(dir, { valuesFiles: [path.join(repoRoot, 'values', 'kind.yaml')], set: ['global.imageRegistry=mirror.example:5000'] });
    expect(r.ok, r.stderr).toBe(true);
    expect(r.stdout).toContain(`mirror.example:5000/backstage-keycloak/keycloak@${pins.keycloak.digest}`);
    expect(r.stdout).not.toContain(registry);
  });
});

describe('cosign tree output', () => {
  it('separates signatures and attestations (OCI referrers, and the older tag layout)', () => {
    const text = [
      '📦 Supply Chain Security Related artifacts for an image: r/x@sha256:' + 'a'.repeat(64),
      `└── 🔗 https://spdx.dev/Document artifacts via OCI referrer: r/x@${digest('b')}`,
      `   └── 🍒 ${digest('c')}`,
      `└── 🔗 https://sigstore.dev/cosign/sign/v1 artifacts via OCI referrer: r/x@${digest('d')}`,
      `└── 🔐 Signatures for an image tag: r/x:sha256-${'e'.repeat(64)}.sig`,
      `└── 💾 Attestations for an image tag: r/x:sha256-${'e'.repeat(64)}.att`,
    ].join('\n');
    expect(parseTree(text)).toEqual({
      signatures: [`r/x@${digest('d')}`, `r/x:sha256-${'e'.repeat(64)}.sig`],
      attestations: [`r/x@${digest('b')}`, `r/x:sha256-${'e'.repeat(64)}.att`],
      other: [],
    });
  });
});

describe('npm run release (command line)', () => {
  it('--help documents the options, the key sources and the verify subcommand', async () => {
    const out = await $({ cwd: repoRoot, quiet: true })`npm run --silent release -- --help`;
    for (const s of ['--registry', '--images', '--reuse-images', '--key', 'env://NAME', 'COSIGN_PASSWORD', '--keyless', 'verify', 'release.json']) expect(out.stdout).toContain(s);
  });

  it('refuses to start without a signing key, saying how to give one', async () => {
    const env = { ...process.env, GITHUB_ACTIONS: '', BK_RELEASE_KEY: '', COSIGN_PRIVATE_KEY: '' };
    const out = await $({ cwd: repoRoot, quiet: true, nothrow: true, env })`npm run --silent release`;
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toMatch(/no signing key: pass --key <cosign\.key>/);
  });

  it('refuses an unknown image name', async () => {
    const out = await $({ cwd: repoRoot, quiet: true, nothrow: true })`npm run --silent release -- --images nginx --key ${path.join(os.tmpdir(), 'no-such-cosign.key')}`;
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toMatch(/--images: unknown nginx; the chart's images are backstage, oauth2-proxy, keycloak, postgres, busybox/);
  });
});
