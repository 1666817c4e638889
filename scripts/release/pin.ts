/**
 * Digest pinning of the packaged chart: the values files of an assembled chart directory get the
 * registry, repository, tag and digest of every image the release pushed, edited in place so that
 * the rest of each file (comments, order, quoting) stays byte for byte what the repository holds.
 *
 *   IMAGE_VALUES          where each published image is set in the chart (file + key path)
 *   setScalars(text, …)   replaces existing scalar values of a YAML file by key path
 *   pinChartImages(dir, …) applies the pins to an assembled chart directory (values + Chart.yaml)
 *
 * The tag stays next to the digest for people reading the values; the chart's image helpers (and
 * the upstream chart's) pull `<registry>/<repository>@<digest>` whenever a digest is set.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isScalar, parseDocument, stringify } from 'yaml';
import type { ImageName } from '../images/catalog.ts';

export interface ImagePin {
  /** Registry the image was pushed to (host[:port][/path]). */
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

/** Where the chart sets each image it runs: a values file of the chart directory and the key path of its image map. */
export const IMAGE_VALUES: Record<Exclude<ImageName, 'node' | 'registry'>, { file: string; path: string[] }> = {
  backstage: { file: 'values.yaml', path: ['backstage', 'backstage', 'image'] },
  'oauth2-proxy': { file: 'values.yaml', path: ['global', 'oauth2Proxy', 'image'] },
  busybox: { file: 'values.yaml', path: ['tests', 'image'] },
  keycloak: { file: 'charts/keycloak-dev/values.yaml', path: ['image'] },
  postgres: { file: 'charts/postgres-dev/values.yaml', path: ['image'] },
};

export type ChartImage = keyof typeof IMAGE_VALUES;

/**
 * Replaces the values of existing scalar keys, leaving every other byte of `text` as it was. Each
 * key must already exist (the source values files declare `digest: ""` for this reason): a missing
 * one is an error naming it, never a silent append.
 */
export function setScalars(text: string, edits: { path: string[]; value: string }[], file = 'values'): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length) throw new Error(`${file}: not valid YAML: ${doc.errors[0]!.message}`);
  const spans: { start: number; end: number; text: string }[] = [];
  for (const e of edits) {
    const node = doc.getIn(e.path, true);
    if (!isScalar(node) || !node.range) throw new Error(`${file}: ${e.path.join('.')} is not a scalar in this file; declare it (e.g. digest: "") before pinning`);
    if (String(node.value) === e.value) continue;
    // A double-quoted JSON string is valid YAML for any value (registries, tags, digests).
    spans.push({ start: node.range[0], end: node.range[1], text: JSON.stringify(e.value) });
  }
  spans.sort((a, b) => b.start - a.start);
  for (let i = 1; i < spans.length; i++) if (spans[i]!.end > spans[i - 1]!.start) throw new Error(`${file}: overlapping edits`);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** `<registry>/<repository>:<tag>@<digest>`: the full reference of a pin (tag for humans, digest for pulls). */
export function pinnedRef(p: ImagePin): string {
  return `${p.registry}/${p.repository}:${p.tag}@${p.digest}`;
}

/**
 * Pins the given images in an assembled chart directory: the values files get registry, repository,
 * tag and digest; Chart.yaml's artifacthub.io/images annotation lists them by tag and digest.
 */
export async function pinChartImages(dir: string, pins: Partial<Record<ChartImage, ImagePin>>): Promise<void> {
  const byFile = new Map<string, { path: string[]; value: string }[]>();
  for (const [name, pin] of Object.entries(pins) as [ChartImage, ImagePin][]) {
    if (!/^sha256:[0-9a-f]{64}$/.test(pin.digest)) throw new Error(`${name}: "${pin.digest}" is not a sha256 digest`);
    const where = IMAGE_VALUES[name];
    const list = byFile.get(where.file) ?? [];
    for (const [key, value] of Object.entries({ registry: pin.registry, repository: pin.repository, tag: pin.tag, digest: pin.digest })) {
      list.push({ path: [...where.path, key], value });
    }
    byFile.set(where.file, list);
  }
  for (const [file, edits] of byFile) {
    const f = path.join(dir, file);
    await writeFile(f, setScalars(await readFile(f, 'utf8'), edits, file));
  }
  await pinAnnotation(dir, pins);
}

const ANNOTATION_NAMES: Partial<Record<ChartImage, string>> = { backstage: 'backstage', 'oauth2-proxy': 'oauth2-proxy', busybox: 'busybox' };

/**
 * Rewrites Chart.yaml's artifacthub.io/images list: entries of pinned images become
 * `<ref>:<tag>@<digest>`; the others (e.g. the upstream chart's bundled PostgreSQL) stay as written.
 */
async function pinAnnotation(dir: string, pins: Partial<Record<ChartImage, ImagePin>>): Promise<void> {
  const file = path.join(dir, 'Chart.yaml');
  const text = await readFile(file, 'utf8');
  const doc = parseDocument(text, { keepSourceTokens: true });
  const node = doc.getIn(['annotations', 'artifacthub.io/images'], true);
  if (!isScalar(node) || !node.range || typeof node.value !== 'string') return;
  const list = (parseDocument(node.value).toJS() ?? []) as { name: string; image: string }[];
  for (const [name, label] of Object.entries(ANNOTATION_NAMES) as [ChartImage, string][]) {
    const pin = pins[name];
    if (!pin) continue;
    const entry = list.find((e) => e.name === label);
    if (entry) entry.image = pinnedRef(pin);
    else list.push({ name: label, image: pinnedRef(pin) });
  }
  // A literal block at the indentation the file uses for annotation values.
  const indent = /\n( +)artifacthub\.io\/images:/.exec(text)?.[1] ?? '  ';
  const body = stringify(list, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}  ${l}`)
    .join('\n');
  const end = node.range[2];
  const out = `${text.slice(0, node.range[0])}|\n${body}\n${text.slice(end)}`;
  await writeFile(file, out);
}
