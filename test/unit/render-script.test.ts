import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { backstageChart, EXAMPLE_VALUES } from '../support/chart.ts';

const tmp: string[] = [];
afterAll(async () => Promise.all(tmp.map((d) => rm(d, { recursive: true, force: true }))));

async function runRender(args: string[]) {
  const subchart = backstageChart().kind === 'standin' ? 'standin' : 'real';
  const node = process.execPath;
  return $({ cwd: repoRoot, quiet: true, nothrow: true })`${node} --disable-warning=ExperimentalWarning scripts/render.ts --subchart ${subchart} ${args}`;
}

async function readDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) out[f] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

describe('npm run render', () => {
  it('writes one file per resource, identical on every run when no secret is generated', async () => {
    const a = await mkdtemp(path.join(os.tmpdir(), 'bk-render-a-'));
    const b = await mkdtemp(path.join(os.tmpdir(), 'bk-render-b-'));
    tmp.push(a, b);
    const args = ['-f', EXAMPLE_VALUES, '--set', 'backstage.postgresql.auth.existingSecret=pg-credentials'];
    const ra = await runRender([...args, '--out', a]);
    expect(ra.exitCode, ra.stderr).toBe(0);
    const rb = await runRender([...args, '--out', b]);
    expect(rb.exitCode, rb.stderr).toBe(0);
    const filesA = await readDir(a);
    expect(filesA).toEqual(await readDir(b));
    expect(Object.keys(filesA)).toEqual(
      expect.arrayContaining(['deployment_backstage.yaml', 'service_backstage.yaml', 'secret_backstage-oauth2-proxy.yaml', 'configmap_backstage-oauth2-proxy.yaml', 'networkpolicy_backstage-proxy-only.yaml']),
    );
    expect(Object.keys(filesA).some((f) => f.startsWith('pod_'))).toBe(false); // helm test hooks left out
    // Summary: kinds, images, what is generated and what is referenced.
    expect(ra.stderr).toMatch(/objects: .*1 Deployment/);
    expect(ra.stderr).toMatch(/images: .*quay\.io\/oauth2-proxy\/oauth2-proxy:v7\.15\.6/);
    expect(ra.stderr).toMatch(/secrets rendered from values: +backstage-oauth2-proxy/);
    expect(ra.stderr).toMatch(/secrets with generated values: +none/);
    expect(ra.stderr).toMatch(/secrets referenced, not rendered \(must exist in the cluster\): pg-credentials/);
  });

  it('--out replaces only the files an earlier render wrote: a user\'s own files survive, stale ones go', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-render-own-'));
    tmp.push(dir);
    // A user's own files, including one shaped like ours (<kind>_<name>.yaml).
    await writeFile(path.join(dir, 'kustomization.yaml'), 'resources: []\n');
    await writeFile(path.join(dir, 'configmap_my-own.yaml'), 'kind: ConfigMap\n');
    const base = ['-f', EXAMPLE_VALUES, '--set', 'backstage.postgresql.auth.existingSecret=pg'];
    const first = await runRender([...base, '--out', dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    const owned = JSON.parse(await readFile(path.join(dir, '.backstage-keycloak-render.json'), 'utf8')) as { files: string[] };
    expect(owned.files).toContain('networkpolicy_backstage-proxy-only.yaml');
    expect(owned.files).not.toContain('configmap_my-own.yaml');
    // The second render no longer has the NetworkPolicy: its file goes, the user's files stay.
    const second = await runRender([...base, '--set', 'networkPolicy.enabled=false', '--out', dir]);
    expect(second.exitCode, second.stderr).toBe(0);
    const files = await readdir(dir);
    expect(files).not.toContain('networkpolicy_backstage-proxy-only.yaml');
    expect(files).toEqual(expect.arrayContaining(['kustomization.yaml', 'configmap_my-own.yaml', 'deployment_backstage.yaml']));
    expect(await readFile(path.join(dir, 'configmap_my-own.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });

  it('checks every container against the hardening rules verify applies to live pods', async () => {
    const r = await runRender(['-f', EXAMPLE_VALUES, '--set', 'backstage.postgresql.auth.existingSecret=pg']);
    expect(r.exitCode, r.stderr).toBe(0);
    // Our containers pass; the one finding is the upstream chart's bundled bitnami PostgreSQL, which
    // writes to its root filesystem (production and the kind values use an external database).
    const problems = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.filter((l) => !l.startsWith('  - StatefulSet/backstage-postgresql postgresql: '))).toEqual([]);
    expect(problems).toContain('  - StatefulSet/backstage-postgresql postgresql: root filesystem is writable');
    const weak = await runRender(['-f', EXAMPLE_VALUES, '--set', 'backstage.postgresql.auth.existingSecret=pg', '--set', 'backstage.backstage.containerSecurityContext.readOnlyRootFilesystem=false']);
    expect(weak.exitCode, weak.stderr).toBe(0);
    expect(weak.stderr).toMatch(/^ +- Deployment\/backstage backstage-backend: root filesystem is writable$/m);
  });

  it('says which Secrets hold generated values', async () => {
    const r = await runRender(['-f', EXAMPLE_VALUES, '--set', 'global.oauth2Proxy.cookieSecret=', '--set', 'backstage.postgresql.auth.existingSecret=pg']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/secrets with generated values: +backstage-oauth2-proxy/);
    expect(r.stdout).toMatch(/kind: Deployment/);
  });

  it('fails with the chart\'s message and a non-zero exit on bad values, and names a missing file', async () => {
    const bad = await runRender(['-f', EXAMPLE_VALUES, '--set', 'global.keycloak.issuerUrl=https://kc.example.com/realms/x/']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/remove the trailing slash/);
    const missing = await runRender(['-f', 'nope.yaml']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/values file .*nope\.yaml does not exist/);
  });
});
