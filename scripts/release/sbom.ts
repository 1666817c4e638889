/**
 * SBOMs of what a release publishes, in SPDX 2.3 JSON:
 *   imageSbom()  the pinned syft (tools/syft) scanning the pushed image by digest, from the registry
 *                (so the SBOM describes exactly the signed manifest);
 *   chartSbom()  the chart: syft has no Helm cataloger, so the release writes it from what it
 *                knows: the chart, its subcharts (name, version) and every image it pins, by digest.
 * Syft's update check is switched off: the scan talks to the registry and nothing else.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { $ } from 'zx';
import { isLocalRegistry } from '../images/registry.ts';
import { ensureTool } from '../lib/tools/index.ts';

export interface SpdxSummary {
  file: string;
  packages: number;
}

/** syft scan registry:<ref> -o spdx-json=<file>. */
export async function imageSbom(ref: string, file: string): Promise<SpdxSummary> {
  const syft = await ensureTool('syft', { pinnedOnly: true });
  const env: Record<string, string> = { ...(process.env as Record<string, string>), SYFT_CHECK_FOR_APP_UPDATE: 'false' };
  if (isLocalRegistry(ref)) env.SYFT_REGISTRY_INSECURE_USE_HTTP = 'true';
  const out = await $({ quiet: true, nothrow: true, env })`${syft} scan ${`registry:${ref}`} --output ${`spdx-json=${file}`} --quiet`;
  if (!out.ok) throw new Error(`syft scan ${ref} failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const doc = JSON.parse(await readFile(file, 'utf8')) as { spdxVersion?: string; packages?: unknown[] };
  if (doc.spdxVersion !== 'SPDX-2.3') throw new Error(`syft wrote ${doc.spdxVersion ?? 'no spdxVersion'} for ${ref}, expected SPDX-2.3`);
  return { file, packages: doc.packages?.length ?? 0 };
}

export interface ChartSbomInput {
  name: string;
  version: string;
  /** oci://<registry>/charts/<name> */
  ref: string;
  digest: string;
  subcharts: { name: string; version: string; description: string }[];
  images: { name: string; repository: string; tag: string; digest: string }[];
}

const spdxId = (s: string) => `SPDXRef-${s.replace(/[^A-Za-z0-9.-]/g, '-')}`;

/** purl of an OCI image: pkg:oci/<last path element>@<digest>?repository_url=<registry/path>&tag=<tag>. */
export function ociPurl(repository: string, tag: string, digest: string): string {
  const name = repository.split('/').pop()!;
  return `pkg:oci/${name}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repository)}&tag=${encodeURIComponent(tag)}`;
}

/** Writes the chart's SPDX 2.3 document (deterministic for the same inputs). */
export async function chartSbom(c: ChartSbomInput, file: string, created = new Date()): Promise<SpdxSummary> {
  const chartId = spdxId(`chart-${c.name}`);
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: chartId,
      name: c.name,
      versionInfo: c.version,
      downloadLocation: `${c.ref}:${c.version}`,
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: c.digest.replace(/^sha256:/, '') }],
      primaryPackagePurpose: 'INSTALL',
      comment: 'Helm chart (OCI artifact); the checksum is the digest of its OCI manifest.',
    },
  ];
  const relationships: Record<string, string>[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: chartId }];
  for (const s of c.subcharts) {
    const id = spdxId(`subchart-${s.name}`);
    packages.push({ SPDXID: id, name: s.name, versionInfo: s.version, downloadLocation: 'NOASSERTION', filesAnalyzed: false, primaryPackagePurpose: 'LIBRARY', comment: `Helm subchart packaged inside the chart: ${s.description}` });
    relationships.push({ spdxElementId: chartId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  for (const i of c.images) {
    const id = spdxId(`image-${i.name}`);
    packages.push({
      SPDXID: id,
      name: i.repository,
      versionInfo: i.tag,
      downloadLocation: `${i.repository}@${i.digest}`,
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: i.digest.replace(/^sha256:/, '') }],
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: ociPurl(i.repository, i.tag, i.digest) }],
      primaryPackagePurpose: 'CONTAINER',
      comment: 'Container image the chart pins by digest; its own SBOM is attested on the image.',
    });
    relationships.push({ spdxElementId: chartId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: id });
  }
  const ns = createHash('sha256').update(`${c.ref}@${c.digest}`).digest('hex').slice(0, 32);
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${c.name}-${c.version}`,
    documentNamespace: `https://backstage-keycloak.invalid/spdx/${c.name}-${c.version}-${ns}`,
    creationInfo: { created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: ['Tool: backstage-keycloak npm run release'] },
    packages,
    relationships,
  };
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  return { file, packages: packages.length };
}
