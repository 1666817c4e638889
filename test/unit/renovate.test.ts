/**
 * renovate.json proposes updates for every kind of pin the project has (issue 21): the Go tool
 * wrapper modules, the version constants of scripts/lib/tools/pins.ts, npm (root and backstage/,
 * @backstage/* grouped), the upstream chart in Chart.yaml and the GitHub Actions (by digest). Each
 * file pattern must match real files, and the regex manager must find every pinned constant, so a
 * moved or renamed file shows up here instead of silently ending the updates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { repoRoot } from '../../scripts/lib/paths.ts';

interface RenovateConfig {
  extends: string[];
  enabledManagers: string[];
  gomod: { managerFilePatterns: string[] };
  helmv3: { managerFilePatterns: string[] };
  customManagers: { customType: string; managerFilePatterns: string[]; matchStrings: string[] }[];
  packageRules: { matchManagers?: string[]; matchPackageNames?: string[]; matchDepNames?: string[]; groupName?: string; enabled?: boolean }[];
}

const config = JSON.parse(readFileSync(path.join(repoRoot, 'renovate.json'), 'utf8')) as RenovateConfig;
const files = (await $({ cwd: repoRoot, quiet: true })`git ls-files --cached --others --exclude-standard`).stdout.split('\n').filter(Boolean);

/** Renovate's `/regex/` file pattern as a RegExp (this config uses no globs). */
function filePattern(p: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(p);
  if (!m) throw new Error(`renovate.json: write file patterns as /regex/: ${p}`);
  return new RegExp(m[1]!, m[2]);
}
const matching = (patterns: string[]) => files.filter((f) => patterns.some((p) => filePattern(p).test(f)));

describe('renovate.json', () => {
  it('parses and enables the managers for every kind of pin', () => {
    expect(config.enabledManagers.sort()).toEqual(['custom.regex', 'github-actions', 'gomod', 'helmv3', 'npm']);
    expect(config.extends).toContain('config:recommended');
  });

  it('gomod: exactly the wrapper modules tools/*/go.mod', () => {
    const wrappers = readdirSync(path.join(repoRoot, 'tools'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `tools/${d.name}/go.mod`)
      .filter((f) => files.includes(f));
    expect(wrappers.length).toBeGreaterThan(10);
    expect(matching(config.gomod.managerFilePatterns).sort()).toEqual(wrappers.sort());
  });

  it('helmv3: the chart at the root, which has the upstream dependency', () => {
    expect(matching(config.helmv3.managerFilePatterns)).toEqual(['Chart.yaml']);
    expect(readFileSync(path.join(repoRoot, 'Chart.yaml'), 'utf8')).toMatch(/repository: https:\/\/backstage\.github\.io\/charts/);
  });

  it('regex manager: every exported *_VERSION constant of pins.ts, with datasource and name, its Go modules those of a wrapper', () => {
    const [manager] = config.customManagers;
    expect(manager?.customType).toBe('regex');
    expect(matching(manager!.managerFilePatterns)).toEqual(['scripts/lib/tools/pins.ts']);
    const text = readFileSync(path.join(repoRoot, 'scripts/lib/tools/pins.ts'), 'utf8');
    const found = manager!.matchStrings.flatMap((s) => [...text.matchAll(new RegExp(s, 'g'))].map((m) => m.groups!));
    const constants = [...text.matchAll(/^export const ([A-Z0-9_]+_VERSION) = '([^']+)';$/gm)].map((m) => m[2]);
    expect(constants.length).toBeGreaterThan(5);
    expect(found.map((g) => g.currentValue).sort()).toEqual(constants.sort());
    const goMods = files.filter((f) => /^tools\/[^/]+\/go\.mod$/.test(f)).map((f) => readFileSync(path.join(repoRoot, f), 'utf8'));
    for (const g of found) {
      expect(['go', 'maven'], g.depName).toContain(g.datasource);
      // A Go module constant moves with the require line of its wrapper module (one PR per tool).
      if (g.datasource === 'go') expect(goMods.some((m) => m.includes(`${g.depName} ${g.currentValue}`)), `${g.depName} ${g.currentValue} required by a tools/*/go.mod`).toBe(true);
      if (g.datasource === 'go') expect(config.packageRules.some((r) => r.groupName && (r.matchDepNames ?? []).some((n) => n === g.depName || (n.endsWith('/**') && g.depName!.startsWith(n.slice(0, -2))))), `${g.depName} grouped`).toBe(true);
    }
  });

  it('npm: the root (npm) and backstage/ (Yarn) packages, @backstage/* grouped', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'backstage/package.json', 'backstage/yarn.lock']));
    const rule = config.packageRules.find((r) => r.matchPackageNames?.includes('@backstage/**'));
    expect(rule?.groupName).toBeTruthy();
    const app = readFileSync(path.join(repoRoot, 'backstage/packages/backend/package.json'), 'utf8');
    expect(app).toMatch(/"@backstage\//);
  });

  it('GitHub Actions: pinned by digest with the release kept in a comment', () => {
    expect(config.extends).toContain('helpers:pinGitHubActionDigestsToSemver');
    expect(files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f)).length).toBeGreaterThan(0);
  });
});
