import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { chartMeta, helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { chartLock, lockDigest } from '../../scripts/lib/chart/lock.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { backstageChart, chartDir, EXAMPLE_VALUES, render } from '../support/chart.ts';

async function checksums(opts: Parameters<typeof render>[0] = {}): Promise<{ secret: string; config: string; appConfig: string }> {
  const a = (await render(opts)).deployment().spec!.template.metadata!.annotations!;
  return { secret: a['checksum/oauth2-proxy-secret']!, config: a['checksum/oauth2-proxy-config']!, appConfig: a['checksum/app-config']! };
}

describe('rollouts', () => {
  it('the secret checksum changes if and only if a secret changes', async () => {
    const base = await checksums();
    expect(base.secret).toMatch(/^[a-f0-9]{64}$/);
    expect(await checksums()).toEqual(base); // unchanged upgrade: no rollout
    // Unrelated changes leave the secret checksum alone.
    expect((await checksums({ set: ['backstage.backstage.resources.limits.memory=2Gi'] })).secret).toBe(base.secret);
    expect((await checksums({ set: ['global.keycloak.allowedGroups={/admins}'] })).secret).toBe(base.secret);
    // Each secret input changes it.
    for (const set of ['global.keycloak.clientSecret=rotated-secret', 'global.keycloak.clientId=other', 'global.oauth2Proxy.cookieSecret=ROTATEDcookieSECRETvalue32chars0']) {
      expect((await checksums({ set: [set] })).secret, set).not.toBe(base.secret);
    }
  });

  it('a generated cookie secret keeps the checksum stable although its value differs per render', async () => {
    const a = await checksums({ set: ['global.oauth2Proxy.cookieSecret='] });
    const b = await checksums({ set: ['global.oauth2Proxy.cookieSecret='] });
    expect(a.secret).toBe(b.secret);
  });

  it('the config checksum follows the proxy settings only', async () => {
    const base = await checksums();
    expect((await checksums({ set: ['global.keycloak.clientSecret=rotated'] })).config).toBe(base.config);
    expect((await checksums({ set: ['global.keycloak.allowedGroups={/admins}'] })).config).not.toBe(base.config);
  });
});

describe('determinism and hygiene', () => {
  it('the same inputs render byte-identical output when no secret is generated', async () => {
    // The bundled PostgreSQL generates its passwords unless it is given a Secret.
    const set = ['backstage.postgresql.auth.existingSecret=pg-credentials'];
    const a = await render({ set });
    const b = await render({ set });
    expect(a.has('Secret', 'backstage-postgresql')).toBe(false);
    expect(a.text).toBe(b.text);
  });

  it('helm lint --strict is clean with the example values', async () => {
    const helm = await ensureTool('helm');
    const out = await $({ quiet: true, nothrow: true })`${helm} lint ${await chartDir()} --strict --values ${EXAMPLE_VALUES}`;
    expect(out.stdout + out.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  it('renders for the oldest supported Kubernetes version', async () => {
    const kubeVersion = /kubeVersion: ">= (\d+\.\d+)/.exec(await readFile(path.join(repoRoot, 'Chart.yaml'), 'utf8'))![1]!;
    const res = await helmTemplate(await chartDir(), { valuesFiles: [EXAMPLE_VALUES], extraArgs: ['--kube-version', `${kubeVersion}.0`] });
    expect(res.stderr).toBe('');
    expect(res.ok).toBe(true);
  });

  it('packaging the repository root (as users, `npm run up` and GitOps `path: .` do) gives the chart only', async () => {
    const helm = await ensureTool('helm');
    // The repository as a clone has it: every tracked and untracked-but-not-ignored file, so the
    // real .helmignore decides what goes in. Only the subchart is added, as `helm dependency build` would.
    const work = await mkdtemp(path.join(os.tmpdir(), 'bk-pkg-'));
    try {
      const root = path.join(work, 'backstage-keycloak');
      const files = (await $({ cwd: repoRoot, quiet: true })`git ls-files -co --exclude-standard`).stdout.split('\n').filter(Boolean);
      expect(files).toEqual(expect.arrayContaining(['Chart.yaml', 'package.json', 'scripts/render.ts', 'test/unit/chart-lifecycle.test.ts']));
      for (const f of files) {
        if (!existsSync(path.join(repoRoot, f))) continue; // deleted in the work tree, not yet committed
        await mkdir(path.dirname(path.join(root, f)), { recursive: true });
        await cp(path.join(repoRoot, f), path.join(root, f));
      }
      const sub = backstageChart();
      await mkdir(path.join(root, 'charts'), { recursive: true });
      if (statSync(sub.path).isDirectory()) await $({ quiet: true })`${helm} package ${sub.path} --destination ${path.join(root, 'charts')}`;
      else await cp(sub.path, path.join(root, 'charts', path.basename(sub.path)));
      const pkg = await $({ quiet: true })`${helm} package ${root} --destination ${work}`;
      const tgz = /saved it to: (.*\.tgz)/.exec(pkg.stdout)![1]!;
      const entries = (await $({ quiet: true })`tar -tzf ${tgz}`).stdout.split('\n').filter(Boolean);
      expect(entries).toContain('backstage-keycloak/templates/tests/test-login-redirect.yaml');
      expect(entries).toContain('backstage-keycloak/values.schema.json');
      expect(entries).toContain('backstage-keycloak/charts/keycloak-dev/Chart.yaml');
      // Nothing of the repository that is not the chart.
      const top = new Set(entries.map((e) => e.split('/')[1]!));
      expect([...top].sort()).toEqual(['Chart.lock', 'Chart.yaml', 'README.md', 'charts', 'templates', 'values.schema.json', 'values.yaml']);
      for (const e of entries) expect(e).not.toMatch(/node_modules|\/test\/|\/scripts\/|\/tools\/|package\.json|\/dev\/standin|\.ts$/);
      // What was packaged renders like the assembled chart the other tests use.
      const fromPkg = await helmTemplate(tgz, { valuesFiles: [EXAMPLE_VALUES] });
      const assembled = await helmTemplate(await chartDir(), { valuesFiles: [EXAMPLE_VALUES] });
      expect(fromPkg.stderr).toBe('');
      expect(fromPkg.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(assembled.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('Chart.lock', () => {
  it('is in step with Chart.yaml', async () => {
    const committed = await readFile(path.join(repoRoot, 'Chart.lock'), 'utf8');
    const generated = /generated: (.*)/.exec(committed)![1]!.replace(/^"|"$/g, '');
    expect(committed).toBe(chartLock((await chartMeta()).dependencies, generated));
  });

  it('its digest is computed exactly as helm computes it', async () => {
    const helm = await ensureTool('helm');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-lock-'));
    try {
      await $({ quiet: true })`mkdir -p ${dir}/parent ${dir}/child`;
      await writeFile(`${dir}/child/Chart.yaml`, 'apiVersion: v2\nname: child\nversion: 1.2.3\n');
      // A repository dependency plus a local subchart with alias and condition, like ours.
      await $({ quiet: true })`mkdir -p ${dir}/parent/charts/local`;
      await writeFile(`${dir}/parent/charts/local/Chart.yaml`, 'apiVersion: v2\nname: local\nversion: 0.1.0\n');
      await writeFile(`${dir}/parent/Chart.yaml`, 'apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n  - name: child\n    version: 1.2.3\n    repository: file://../child\n  - name: local\n    version: 0.1.0\n    alias: localAlias\n    condition: localAlias.enabled\n');
      await $({ quiet: true })`${helm} dependency update ${dir}/parent`;
      const lock = await readFile(`${dir}/parent/Chart.lock`, 'utf8');
      const digest = /digest: (sha256:[a-f0-9]+)/.exec(lock)![1];
      const req = [
        { name: 'child', version: '1.2.3', repository: 'file://../child' },
        { name: 'local', version: '0.1.0', alias: 'localAlias', condition: 'localAlias.enabled' },
      ];
      const locked = [
        { name: 'child', version: '1.2.3', repository: 'file://../child' },
        { name: 'local', version: '0.1.0', repository: '' },
      ];
      expect(lockDigest(req, locked)).toBe(digest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
