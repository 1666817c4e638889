/**
 * The distribution path: the local registry container (distribution v3, FROM scratch, non-root,
 * read-only, published on 127.0.0.1:5001 only), an image push/pull round trip through it, and the
 * packaged chart: `helm push` then `helm pull oci://...` gives the same chart, byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { imageRef, NONROOT_UID } from '../../scripts/images/catalog.ts';
import { packageChart, pushChartFile, pushImages, registryDown, registryUp, REGISTRY_CONTAINER, REGISTRY_HOST_PORT, REGISTRY_VOLUME } from '../../scripts/images/registry.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { dockerProblem, ensureImages, inspect, processUid } from './docker.ts';

const problem = await dockerProblem();

const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');
const log = (l: string) => process.stderr.write(`${l}\n`);

describe.skipIf(!!problem)('local OCI registry', () => {
  let startedHere = false;
  let volumeExisted = true;
  let tmp: string;

  beforeAll(async () => {
    await ensureImages(['registry', 'busybox']);
    volumeExisted = (await $({ quiet: true, nothrow: true })`docker volume inspect ${REGISTRY_VOLUME}`).ok;
    startedHere = (await registryUp({ log })).started;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'bk-registry-test-'));
  });

  afterAll(async () => {
    // Leave the registry as it was found.
    if (startedHere) await registryDown({ data: !volumeExisted, log });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('runs as 65532 with a read-only root, no capabilities, published on 127.0.0.1 only', async () => {
    expect(await processUid(REGISTRY_CONTAINER)).toBe(NONROOT_UID);
    const i = await inspect(REGISTRY_CONTAINER);
    expect(i.ReadonlyRootfs).toBe(true);
    expect(i.CapDrop).toContain('ALL');
    const ports = (await $({ quiet: true })`docker port ${REGISTRY_CONTAINER}`).stdout.trim().split('\n');
    expect(ports).toEqual([`5000/tcp -> 127.0.0.1:${REGISTRY_HOST_PORT}`]);
    const v2 = await fetch(`http://127.0.0.1:${REGISTRY_HOST_PORT}/v2/`);
    expect(v2.status).toBe(200);
    expect(v2.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('an image pushed to localhost:5001 pulls back identical', async () => {
    const ref = await imageRef('busybox');
    const before = (await $({ quiet: true })`docker image inspect ${ref} --format {{.Id}}`).stdout.trim();
    const [pushed] = await pushImages(['busybox'], `localhost:${REGISTRY_HOST_PORT}`, log);
    expect(pushed!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const tags = (await (await fetch(`http://127.0.0.1:${REGISTRY_HOST_PORT}/v2/backstage-keycloak/busybox/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain(ref.split(':').pop());
    // Drop the local tag, pull it from the registry: same image, same digest.
    await $({ quiet: true })`docker image rm ${ref}`;
    await $({ quiet: true })`docker pull ${ref}`;
    const after = (await $({ quiet: true })`docker image inspect ${ref} --format ${'{{.Id}} {{json .RepoDigests}}'}`).stdout.trim();
    expect(after.split(' ')[0]).toBe(before);
    expect(after).toContain(pushed!.digest);
  });

  it('helm push of the packaged chart, then helm pull oci://localhost:5001/charts/backstage-keycloak: the same chart', async () => {
    const chart = await packageChart(path.join(tmp, 'packaged'), { log });
    const pushed = await pushChartFile(chart.file, `localhost:${REGISTRY_HOST_PORT}`, log);
    expect(pushed.ref).toBe(`oci://localhost:${REGISTRY_HOST_PORT}/charts/backstage-keycloak`);
    const helm = await ensureTool('helm');
    const pulled = path.join(tmp, 'pulled');
    await mkdir(pulled, { recursive: true });
    await $({ quiet: true })`${helm} pull ${pushed.ref} --version ${chart.version} --plain-http --destination ${pulled}`;
    const files = await readdir(pulled);
    expect(files).toEqual([path.basename(chart.file)]);
    expect(await sha256(path.join(pulled, files[0]!))).toBe(await sha256(chart.file));
    const meta = parseYaml((await $({ quiet: true })`${helm} show chart ${path.join(pulled, files[0]!)}`).stdout) as { name: string; appVersion: string; dependencies: { name: string }[] };
    const repoChart = parseYaml(await readFile(path.join(process.cwd(), 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(meta.name).toBe('backstage-keycloak');
    expect(meta.appVersion).toBe(repoChart.appVersion);
    const listing = (await $({ quiet: true })`tar -tzf ${chart.file}`).stdout.split('\n');
    // The subcharts are inside; nothing of the repository that is not the chart.
    for (const dep of ['backstage', 'keycloak-dev', 'postgres-dev']) expect(listing.some((l) => l.startsWith(`backstage-keycloak/charts/${dep}`)), dep).toBe(true);
    // What a user's `helm install oci://...` renders: straight from the registry, with the kind values.
    const rendered = await $({ quiet: true })`${helm} template backstage ${pushed.ref} --version ${chart.version} --plain-http --namespace backstage --values ${path.join(process.cwd(), 'values', 'kind.yaml')}`;
    expect(rendered.stdout).toContain(`image: localhost:5001/backstage-keycloak/backstage:${repoChart.appVersion}`);
    expect(rendered.stdout).toContain('name: backstage-postgres-dev');
    expect(listing.filter((l) => /\/(scripts|test|node_modules|backstage\/packages|images|tools)\//.test(l.replace(/^backstage-keycloak\/charts\/[^/]+\//, '')))).toEqual([]);
  });
});
