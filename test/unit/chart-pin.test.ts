/** The upstream chart pin: a published version, documented, and a clear message when it cannot be fetched. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chartMeta, STANDIN_DIR } from '../../scripts/lib/chart/assemble.ts';
import { BACKSTAGE_OCI, buildDependency } from '../../scripts/lib/chart/dependency.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../support/oauth2-proxy.ts';

async function pin() {
  return (await chartMeta()).dependencies.find((d) => d.name === 'backstage')!;
}

describe('the upstream Backstage chart pin', () => {
  it('is release 2.10.0 from https://backstage.github.io/charts (2.10.2 was never published), locked in Chart.lock', async () => {
    const dep = await pin();
    expect(dep).toMatchObject({ version: '2.10.0', repository: 'https://backstage.github.io/charts' });
    const lock = parseYaml(await readFile(path.join(repoRoot, 'Chart.lock'), 'utf8'));
    expect(lock.dependencies.find((d: { name: string }) => d.name === 'backstage')).toEqual({ name: 'backstage', repository: dep.repository, version: dep.version });
  });

  it('the README says how to confirm exactly that version, from the repository and from OCI', async () => {
    const { version, repository } = await pin();
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(`pinned to \`backstage\` **${version}** from \`${repository}\``);
    expect(readme).toContain('`helm search repo backstage/backstage --versions`');
    expect(readme).toContain(`\`helm show chart ${BACKSTAGE_OCI} --version ${version}\``);
  });

  it('the offline stand-in claims the pinned version', async () => {
    const standin = parseYaml(await readFile(path.join(STANDIN_DIR, 'Chart.yaml'), 'utf8'));
    expect(standin.version).toBe((await pin()).version);
  });

  it('a failed helm dependency build names the repository, the version and what to do', async () => {
    const helm = await ensureTool('helm');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-depbuild-'));
    try {
      // A repository on a closed loopback port: helm fails at once, and nothing leaves the machine.
      const repository = `http://127.0.0.1:${await freePort()}/charts`;
      const dep = { name: 'backstage', version: '2.10.0', repository };
      await writeFile(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: backstage\n    version: 2.10.0\n    repository: ${repository}\n`);
      const res = await buildDependency({ helm, chartDir: dir, dep, helmHome: path.join(dir, 'helm-home'), timeout: '30s' });
      expect(res.ok).toBe(false);
      const message = (res as { message: string }).message;
      expect(message).toContain(`could not get the upstream chart backstage 2.10.0 from ${repository}:`);
      expect(message).toMatch(/connection refused|connect/i);
      expect(message).toContain('helm search repo backstage/backstage --versions');
      expect(message).toContain(`helm pull backstage --repo ${repository} --version 2.10.0`);
      expect(message).toContain('BACKSTAGE_CHART=');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
