/**
 * One source for the Backstage image tag: Chart.yaml appVersion. values.yaml carries the one copy
 * the upstream chart requires (its image tag is a required literal, not templated), kept equal
 * here; every script, Dockerfile, doc and values file derives it or leaves it alone.
 * Also: image names per registry, and `--registry` validation.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { appVersion, CHART_IMAGES, checkRegistry, imageRef, IMAGE_NAMES } from '../../scripts/images/catalog.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

const yaml = async (f: string) => parseYaml(await readFile(path.join(repoRoot, f), 'utf8')) as Record<string, any>;

describe('Backstage image tag', () => {
  it("values.yaml's backstage.backstage.image.tag equals Chart.yaml appVersion", async () => {
    const chart = await yaml('Chart.yaml');
    const values = await yaml('values.yaml');
    expect(String(values.backstage.backstage.image.tag), 'set backstage.backstage.image.tag in values.yaml to Chart.yaml appVersion').toBe(String(chart.appVersion));
    expect(await appVersion()).toBe(String(chart.appVersion));
  });

  it('no other file hard-codes it: no literal backstage image reference, no values file sets the tag', async () => {
    const files = (await $({ cwd: repoRoot, quiet: true })`git ls-files --cached --others --exclude-standard`).stdout.split('\n').filter(Boolean);
    const offenders: string[] = [];
    for (const f of files) {
      if (/\.(tgz|png|jpg|ico|woff2?|lock)$|(^|\/)(package-lock\.json|go\.sum)$/.test(f) || f === 'Chart.yaml' || f === 'values.yaml') continue;
      let text: string;
      try {
        text = await readFile(path.join(repoRoot, f), 'utf8');
      } catch {
        continue; // listed but deleted in the work tree
      }
      text.split('\n').forEach((line, i) => {
        // An image reference with a literal tag: a registry path, then "backstage-keycloak/backstage:" and a digit.
        if (/backstage-keycloak\/backstage:[0-9]/.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
      });
      if (/^(values|examples)\/.*\.ya?ml$|^charts\/[^/]+\/values\.yaml$/.test(f)) {
        for (const doc of text.split(/^---$/m)) {
          const v = (parseYaml(doc) ?? {}) as Record<string, any>;
          if (v?.backstage?.backstage?.image?.tag !== undefined) offenders.push(`${f}: sets backstage.backstage.image.tag (leave it to values.yaml, i.e. appVersion)`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('derives the image names from the registry parameter', async () => {
    const v = await appVersion();
    expect(await imageRef('backstage')).toBe(`localhost:5001/backstage-keycloak/backstage:${v}`);
    expect(await imageRef('backstage', 'ghcr.io/acme')).toBe(`ghcr.io/acme/backstage-keycloak/backstage:${v}`);
    expect(await imageRef('oauth2-proxy')).toBe('localhost:5001/oauth2-proxy/oauth2-proxy:v7.15.6');
    expect(await imageRef('node')).toBe('localhost:5001/backstage-keycloak/node:22.23.3-bookworm');
    expect(IMAGE_NAMES).toEqual(['node', 'backstage', 'oauth2-proxy', 'keycloak', 'postgres', 'busybox', 'registry']);
  });

  it('refuses a registry with a scheme or a tag, naming the value', () => {
    expect(checkRegistry('ghcr.io/acme/')).toBe('ghcr.io/acme');
    expect(() => checkRegistry('https://ghcr.io/acme')).toThrow(/--registry "https:\/\/ghcr\.io\/acme": give host\[:port\]\[\/path\]/);
    expect(() => checkRegistry('localhost:5001/x:1')).toThrow(/--registry "localhost:5001\/x:1"/);
  });
});

describe('kind values: every image from the local registry', () => {
  it('points each image the chart runs at localhost:5001 (nothing pulled from a public registry)', async () => {
    const { render } = await import('../support/chart.ts');
    const m = await render({ noExample: true, valuesFiles: [path.join(repoRoot, 'values', 'kind.yaml')] });
    const images = new Set<string>();
    for (const o of m.objects) {
      const spec = (o as any).spec?.template?.spec ?? (o as any).spec;
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) images.add(c.image);
    }
    // Exactly what `npm run images -- push` publishes: the build pipeline and the values agree.
    const pushed = await Promise.all(CHART_IMAGES.map((n) => imageRef(n)));
    expect([...images].sort()).toEqual(pushed.sort());
  });
});
