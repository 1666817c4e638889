/**
 * One release, end to end (`npm run release`, scripts/release.ts):
 *
 *   1. signer checked first (key readable with COSIGN_PASSWORD, or the keyless identity known);
 *   2. images built (all of them, or only the missing ones with reuse) and pushed; each push gives
 *      the manifest digest;
 *   3. the chart assembled (real upstream chart, or the stand-in for a local registry only), every
 *      published image pinned in it by digest (scripts/release/pin.ts), packaged and pushed to
 *      oci://<registry>/charts;
 *   4. for every image and the chart: an SPDX SBOM (scripts/release/sbom.ts), a cosign signature
 *      and the SBOM as a signed attestation (scripts/release/cosign.ts), all by digest;
 *   5. everything verified again the way a user will (cosign verify, verify-attestation), then the
 *      references listed (`cosign tree`) and written to <out>/release.json with the SBOMs beside it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { buildImages, CHART_IMAGES, checkRegistry, imageRef, imageRepoTag, type ImageName } from '../images/catalog.ts';
import { helmOciFlags, isLocalRegistry, pushChartFile, pushImages, registryUp, REGISTRY_HOST_PORT } from '../images/registry.ts';
import { inspectImage, seconds, type Log } from '../images/run.ts';
import { assembleChart, chartMeta, resolveBackstageChart, type SubchartMode } from '../lib/chart/assemble.ts';
import { buildBackstage } from '../lib/run/backstage.ts';
import { ensureAny, ensureTool } from '../lib/tools/index.ts';
import { attached, attestSbom, publicKeyOf, sign, verify, verifySbom, type Signer, type Verifier } from './cosign.ts';
import { IMAGE_VALUES, pinChartImages, type ChartImage, type ImagePin } from './pin.ts';
import { chartSbom, imageSbom } from './sbom.ts';

export interface ReleaseOptions {
  registry: string;
  /** Images to publish and pin (default: every image the chart runs). */
  images?: ChartImage[];
  /** Reuse images already in the local Docker image store (build only the missing ones). */
  reuseImages?: boolean;
  signer: Signer;
  /** How verifiers check the signatures (public key, or keyless identity and issuer). */
  verifier: Verifier;
  subchart?: SubchartMode;
  /** Directory for release.json, the SBOMs and the packaged chart. */
  out: string;
  log: Log;
}

export interface Published {
  /** Image name in scripts/images/catalog.ts, or "chart". */
  name: string;
  /** Repository without tag or digest (oci://... for the chart). */
  repository: string;
  tag: string;
  digest: string;
  /** What to pull, verify and pin: <repository>@<digest> (without oci:// for cosign). */
  ref: string;
  sbom: { file: string; packages: number };
  signatures: string[];
  attestations: string[];
}

export interface ReleaseManifest {
  registry: string;
  chart: Published & { version: string; subchart: string; standin: boolean; helmRef: string };
  images: Published[];
  /** Chart images that were NOT published by this run and so stay unpinned. */
  unpinned: string[];
  verify: Verifier;
  /** The public key (PEM) for key-based releases. */
  publicKey?: string;
  seconds: number;
}

/** Every image the chart runs with its dev subcharts enabled: what a full release publishes. */
export const RELEASE_IMAGES: ChartImage[] = CHART_IMAGES.filter((n): n is ChartImage => n in IMAGE_VALUES);

async function registryReady(registry: string, log: Log): Promise<void> {
  if (!isLocalRegistry(registry)) return; // remote: docker/helm/cosign use the logins made before
  const hostPort = registry.split('/')[0]!;
  if (hostPort === `localhost:${REGISTRY_HOST_PORT}`) {
    await registryUp({ log });
    return;
  }
  const url = `http://${hostPort.replace(/^localhost/, '127.0.0.1')}/v2/`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
  if (res instanceof Error || res.status !== 200) {
    throw new Error(`no OCI registry answers ${url} (${res instanceof Error ? res.message : `HTTP ${res.status}`}): start one, or use --registry localhost:${REGISTRY_HOST_PORT} (started for you)`);
  }
}

/** The subcharts packaged in an assembled chart directory: name, version, what they are. */
async function subcharts(dir: string, helm: string): Promise<{ name: string; version: string; description: string }[]> {
  const out: { name: string; version: string; description: string }[] = [];
  for (const entry of (await readdir(path.join(dir, 'charts'))).sort()) {
    const p = path.join(dir, 'charts', entry);
    const text = entry.endsWith('.tgz') ? (await $({ quiet: true })`${helm} show chart ${p}`).stdout : existsSync(path.join(p, 'Chart.yaml')) ? await readFile(path.join(p, 'Chart.yaml'), 'utf8') : '';
    if (!text) continue;
    const c = parseYaml(text) as { name: string; version: string; description?: string };
    out.push({ name: c.name, version: String(c.version), description: (c.description ?? '').replace(/\s+/g, ' ').trim() });
  }
  return out;
}

export async function release(o: ReleaseOptions): Promise<ReleaseManifest> {
  const t0 = Date.now();
  const log = o.log;
  const registry = checkRegistry(o.registry);
  const names = o.images ?? RELEASE_IMAGES;
  await mkdir(o.out, { recursive: true });
  const sbomDir = path.join(o.out, 'sbom');
  await rm(sbomDir, { recursive: true, force: true });
  await mkdir(sbomDir, { recursive: true });

  // 0. A tag build releases exactly the version the tag names.
  const meta = await chartMeta();
  if (process.env.GITHUB_REF_TYPE === 'tag' && process.env.GITHUB_REF_NAME !== `v${meta.version}`) {
    throw new Error(`tag ${process.env.GITHUB_REF_NAME} does not match Chart.yaml version ${meta.version} (expected v${meta.version})`);
  }
  // Tools: a release provisions what it needs (pinned builds from the Go module proxy, Keycloak
  // from Maven Central), under CI=true too, as `npm run tools -- ensure` does.
  const tools = ['helm', 'cosign', 'syft'];
  if (!o.reuseImages && names.includes('oauth2-proxy')) tools.push('oauth2-proxy');
  if (!o.reuseImages && names.includes('keycloak')) tools.push('keycloak', 'java');
  for (const t of tools) await ensureAny(t, { noInstall: false, pinnedOnly: t !== 'helm', log });
  const helm = await ensureTool('helm', { noInstall: false, log });

  // 1. The signer before anything is built: a wrong password fails here, in seconds.
  let publicKey: string | undefined;
  if (o.signer.kind === 'key') {
    publicKey = await publicKeyOf(o.signer.key);
    // What verifiers get (and what step 5 checks with, when the verifier names this file).
    await writeFile(path.join(o.out, 'cosign.pub'), `${publicKey}\n`);
    log(`release: signing with the key ${o.signer.key.startsWith('env://') ? `from ${o.signer.key}` : o.signer.key} (public key checked)`);
  } else {
    log('release: signing keyless with the workflow OIDC identity (Fulcio, Rekor)');
  }

  // 2. Images (the Backstage app is built from backstage/ first, unless images are reused).
  if (!o.reuseImages && names.includes('backstage')) await buildBackstage(log);
  const missing: ImageName[] = [];
  for (const n of names) if (!o.reuseImages || !(await inspectImage(await imageRef(n)))) missing.push(n);
  if (missing.length) await buildImages(missing, { log });
  else if (names.length) log(`release: reusing the built images ${names.join(', ')} (--reuse-images)`);
  await registryReady(registry, log);
  const pushed = await pushImages(names, registry, log);
  const pins: Partial<Record<ChartImage, ImagePin>> = {};
  for (const p of pushed) {
    if (!/^sha256:[0-9a-f]{64}$/.test(p.digest)) throw new Error(`docker push ${p.ref} printed no digest`);
    const { repository, tag } = await imageRepoTag(p.name);
    pins[p.name as ChartImage] = { registry, repository, tag, digest: p.digest };
  }
  const unpinned = RELEASE_IMAGES.filter((n) => !names.includes(n));
  if (unpinned.length) log(`release: NOTE ${unpinned.join(', ')} not published by this run: the chart keeps their values as they are (tag, no digest)`);

  // 3. The chart, pinned, packaged and pushed.
  const mode = isLocalRegistry(registry) ? (o.subchart ?? 'auto') : 'real';
  const source = await resolveBackstageChart(mode, log);
  if (source.kind === 'standin' && !isLocalRegistry(registry)) throw new Error(`refusing to publish a chart with the offline stand-in to ${registry}: run helm dependency build first`);
  if (source.kind === 'standin') log('release: NOTE the chart carries the offline STAND-IN for the Backstage chart (no upstream chart here); local registry only');
  const dir = await assembleChart(source);
  let chartFile: string;
  let subs: Awaited<ReturnType<typeof subcharts>>;
  try {
    await pinChartImages(dir, pins);
    subs = await subcharts(dir, helm);
    await $({ quiet: true })`${helm} package ${dir} --destination ${o.out}`;
    chartFile = path.join(o.out, `${meta.name}-${meta.version}.tgz`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const chartPush = await pushChartFile(chartFile, registry, log);
  if (!/^sha256:[0-9a-f]{64}$/.test(chartPush.digest)) throw new Error(`helm push ${chartFile} printed no digest`);
  const chartRepo = chartPush.ref; // oci://<registry>/charts/<name>

  // 4. SBOMs, signatures, attestations.
  const artifacts: { name: string; repository: string; tag: string; digest: string; sbomFile: string }[] = [
    ...pushed.map((p) => ({ name: p.name, repository: p.ref.replace(/:[^:/]+$/, ''), tag: p.ref.split(':').pop()!, digest: p.digest, sbomFile: path.join(sbomDir, `${p.name}.spdx.json`) })),
    { name: 'chart', repository: chartRepo, tag: meta.version, digest: chartPush.digest, sbomFile: path.join(sbomDir, 'chart.spdx.json') },
  ];
  const results: Published[] = [];
  for (const a of artifacts) {
    const ref = `${a.repository.replace(/^oci:\/\//, '')}@${a.digest}`;
    const t = Date.now();
    const sbom =
      a.name === 'chart'
        ? await chartSbom(
            {
              name: meta.name,
              version: meta.version,
              ref: chartRepo,
              digest: a.digest,
              subcharts: subs,
              images: Object.entries(pins).map(([name, p]) => ({ name, repository: `${p.registry}/${p.repository}`, tag: p.tag, digest: p.digest })),
            },
            a.sbomFile,
          )
        : await imageSbom(ref, a.sbomFile);
    await sign(ref, o.signer);
    await attestSbom(ref, a.sbomFile, o.signer);
    log(`release: ${ref}: SBOM (${sbom.packages} packages), signature, attestation (${seconds(Date.now() - t)})`);
    results.push({ name: a.name, repository: a.repository, tag: a.tag, digest: a.digest, ref, sbom, signatures: [], attestations: [] });
  }

  // 5. Verified as a user will, then the attached references listed.
  for (const r of results) {
    await verify(r.ref, o.verifier);
    await verifySbom(r.ref, o.verifier);
    const t = await attached(r.ref);
    r.signatures = t.signatures;
    r.attestations = t.attestations;
  }
  log('release: every signature and SBOM attestation verified');

  const chart = results.find((r) => r.name === 'chart')!;
  const manifest: ReleaseManifest = {
    registry,
    chart: { ...chart, version: meta.version, subchart: source.description, standin: source.kind === 'standin', helmRef: `${chartRepo}@${chart.digest}` },
    images: results.filter((r) => r.name !== 'chart'),
    unpinned,
    verify: o.verifier,
    publicKey,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  };
  await writeFile(path.join(o.out, 'release.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The human summary `npm run release` prints. */
export function formatManifest(m: ReleaseManifest, out: string): string {
  const lines: string[] = ['', 'Published (pull and verify by digest; tags are for people):'];
  for (const a of [...m.images, m.chart]) {
    lines.push(`  ${a.name}`);
    lines.push(`    ${a.repository}:${a.tag}`);
    lines.push(`    digest       ${a.digest}`);
    for (const s of a.signatures) lines.push(`    signature    ${s}`);
    for (const s of a.attestations) lines.push(`    attestation  ${s}  (SPDX SBOM, ${a.sbom.packages} packages)`);
  }
  if (m.chart.standin) lines.push('', 'NOTE: the chart carries the offline STAND-IN for the upstream Backstage chart (local registry only).');
  if (m.unpinned.length) lines.push('', `NOT PINNED (not published by this run): ${m.unpinned.join(', ')}`);
  const plain = helmOciFlags(m.registry).join(' ');
  const verifyFlags =
    m.verify.kind === 'key'
      ? `--key ${path.join(out, 'cosign.pub')} --insecure-ignore-tlog=true`
      : `${m.verify.identity ? `--certificate-identity ${m.verify.identity}` : `--certificate-identity-regexp '${m.verify.identityRegexp}'`} --certificate-oidc-issuer ${m.verify.issuer}`;
  const http = isLocalRegistry(m.registry) ? ' --allow-http-registry=true' : '';
  lines.push('', 'Verify and install:');
  lines.push(`  cosign verify ${verifyFlags}${http} ${m.chart.ref}`);
  lines.push(`  cosign verify-attestation --type spdxjson ${verifyFlags}${http} ${m.chart.ref}`);
  lines.push(`  helm install backstage ${m.chart.helmRef}${plain ? ` ${plain}` : ''} -f <your values>`);
  lines.push('', `Written: ${path.join(out, 'release.json')}, SBOMs in ${path.join(out, 'sbom')}; ${m.seconds}s`);
  return lines.join('\n');
}
