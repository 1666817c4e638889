import { describe, expect, it } from 'vitest';
import { parseVersion, TOOLS } from '../../scripts/lib/tools/index.ts';

describe('tool version policy', () => {
  it('accepts helm 4.x and 3.18+, refuses older helm', () => {
    const helm = TOOLS.helm!;
    expect(helm.accepts('v4.2.4')).toBe(true);
    expect(helm.accepts('v3.18.0')).toBe(true);
    expect(helm.accepts('v3.17.3')).toBe(false);
    expect(helm.accepts('v2.17.0')).toBe(false);
  });
  it('accepts only the pinned oauth2-proxy release', () => {
    const o2p = TOOLS['oauth2-proxy']!;
    expect(o2p.accepts('oauth2-proxy v7.15.6 (built with go1.26.8)')).toBe(true);
    expect(o2p.accepts('oauth2-proxy v7.15.3 (built with go1.26.8)')).toBe(false);
  });
  it('accepts only the pinned Kubernetes control plane and etcd', () => {
    expect(TOOLS['kube-apiserver']!.accepts('Kubernetes v1.36.5')).toBe(true);
    expect(TOOLS['kube-apiserver']!.accepts('Kubernetes v1.36.4')).toBe(false);
    expect(TOOLS['kube-scheduler']!.accepts('Kubernetes v1.36.50')).toBe(false);
    expect(TOOLS.etcd!.accepts('etcd Version: 3.6.16\nGit SHA: GitNotFound\nGo Version: go1.26.8')).toBe(true);
    expect(TOOLS.etcd!.accepts('etcd Version: 3.6.160\nGit SHA: x')).toBe(false);
    expect(TOOLS.etcd!.accepts('etcd Version: 3.5.21\nGit SHA: x')).toBe(false);
  });
  it('accepts kwok v0.8.0 and kind v0.30+', () => {
    expect(TOOLS.kwokctl!.accepts('kwokctl version v0.8.0 go1.26.8 (linux/amd64)')).toBe(true);
    expect(TOOLS.kwok!.accepts('kwok version v0.7.0 go1.25.1 (linux/amd64)')).toBe(false);
    expect(TOOLS.kind!.accepts('kind v0.33.0 go1.26.8 linux/amd64')).toBe(true);
    expect(TOOLS.kind!.accepts('kind v0.29.0 go1.24.2 linux/amd64')).toBe(false);
  });
  it('parses versions', () => {
    expect(parseVersion('v4.2')).toEqual([4, 2, 0]);
    expect(parseVersion('Version: v3.18.6+g1234')).toEqual([3, 18, 6]);
  });
});

describe('wrapper modules', () => {
  it('every Go-built tool builds with -mod=readonly from its committed go.mod/go.sum (nothing rewritten at build time)', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const path = await import('node:path');
    const { $ } = await import('zx');
    const { repoRoot } = await import('../../scripts/lib/paths.ts');
    const { which } = await import('../../scripts/lib/tools/index.ts');
    const go = await which('go');
    expect(go, 'Go is needed to build the pinned tools (CI installs it)').toBeTruthy();
    const wrappers = new Map<string, string[]>();
    for (const spec of Object.values(TOOLS)) if (spec.go) wrappers.set(spec.go.wrapper, [...(wrappers.get(spec.go.wrapper) ?? []), spec.go.pkg]);
    // Every wrapper directory under tools/ is used by some pin, and every pin's wrapper exists.
    const dirs = readdirSync(path.join(repoRoot, 'tools'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `tools/${d.name}`);
    expect([...wrappers.keys()].sort()).toEqual(expect.arrayContaining(dirs.filter((d) => existsSync(path.join(repoRoot, d, 'go.mod'))).sort()));
    for (const [wrapper, pkgs] of wrappers) {
      const cwd = path.join(repoRoot, wrapper);
      const before = readFileSync(path.join(cwd, 'go.sum'), 'utf8') + readFileSync(path.join(cwd, 'go.mod'), 'utf8');
      const out = await $({ cwd, quiet: true, nothrow: true, env: { ...process.env, GOFLAGS: '-mod=readonly' } })`${go!} list -deps ${pkgs}`;
      expect(out.exitCode, `${wrapper}: ${out.stderr.split('\n').slice(0, 5).join(' | ')}`).toBe(0);
      expect(readFileSync(path.join(cwd, 'go.sum'), 'utf8') + readFileSync(path.join(cwd, 'go.mod'), 'utf8')).toBe(before);
    }
  });
});
