/**
 * The chart's version moves with the chart (CONTRIBUTING.md "Versions"): when the chart's inputs
 * differ from the last release, Chart.yaml `version` must be newer than that release's, and when the
 * Backstage image's inputs (backstage/) differ, `appVersion` must be too. CHANGELOG.md must have the
 * current version's entry, and Chart.yaml's Artifact Hub annotations must describe what the chart runs.
 *
 * The last release: the newest tag `v<semver>` or `chart-v<semver>` reachable from HEAD; without one,
 * the newest dated heading `## [x.y.z] - YYYY-MM-DD` of CHANGELOG.md, whose state is the commit that
 * dated it when Chart.yaml still says x.y.z, else the last commit in which Chart.yaml said x.y.z.
 * Needs the git history (CI's checkout uses fetch-depth: 0); without it the test fails under CI=true
 * and is skipped elsewhere, saying why. The working tree counts, uncommitted and untracked files too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { inCI } from '../../scripts/lib/tools/index.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

/** What goes into the packaged chart and decides what it renders (Chart.yaml: dependencies, kubeVersion). */
const CHART_PATHS = ['templates', 'values.yaml', 'values.schema.json', 'charts', 'Chart.lock'];
/** What goes into the Backstage image (docs excluded). */
const IMAGE_PATHS = ['backstage', ':(exclude)backstage/**/*.md', ':(exclude)backstage/*.md'];
const ANNOTATION_KINDS = ['added', 'changed', 'deprecated', 'removed', 'fixed', 'security'];

type Semver = [number, number, number];
function semver(v: string): Semver | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
function compare(a: string, b: string): number {
  const [x, y] = [semver(a), semver(b)];
  if (!x || !y) throw new Error(`not a semantic version (x.y.z): "${!x ? a : b}"`);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** The newest released (dated) version of a Keep a Changelog text, and every version it has an entry for. */
function changelogVersions(text: string): { released?: { version: string; heading: string }; all: string[] } {
  const all: string[] = [];
  let released: { version: string; heading: string } | undefined;
  for (const line of text.split('\n')) {
    const m = /^## \[(\d+\.\d+\.\d+)\](?: - (.*))?$/.exec(line.trim());
    if (!m) continue;
    all.push(m[1]!);
    if (!released && /^\d{4}-\d{2}-\d{2}$/.test((m[2] ?? '').trim())) released = { version: m[1]!, heading: line.trim() };
  }
  return { released, all };
}

interface Release {
  /** How it was found, for messages: `tag v0.2.0` or `CHANGELOG.md [0.1.0] (state: commit abc123)`. */
  what: string;
  version: string;
  appVersion: string;
}

/** Every problem of the current chart against the last release; empty when the versions are right. */
function versionProblems(o: {
  release: Release;
  head: { version: string; appVersion: string };
  chartChanged: string[];
  imageChanged: string[];
  changelog: string[];
}): string[] {
  const { release, head } = o;
  const problems: string[] = [];
  const order = compare(head.version, release.version);
  if (order < 0) problems.push(`Chart.yaml version ${head.version} is older than the last release ${release.version} (${release.what})`);
  if (order === 0 && o.chartChanged.length) {
    const [ma, mi, pa] = semver(release.version)!;
    problems.push(
      `the chart changed since the last release ${release.version} (${release.what}) but Chart.yaml version did not: ${o.chartChanged.join(', ')}.\n` +
        `Bump \`version:\` in Chart.yaml to ${ma}.${mi}.${pa + 1} (compatible) or ${ma === 0 ? `${ma}.${mi + 1}.0 (a breaking values change while 0.x)` : `${ma + 1}.0.0 (breaking)`}, ` +
        `add a \`## [<new version>] - Unreleased\` section to CHANGELOG.md and the entries to Chart.yaml's artifacthub.io/changes (CONTRIBUTING.md "Versions"); a breaking change also goes in UPGRADING.md.`,
    );
  }
  if (o.imageChanged.length && head.appVersion === release.appVersion) {
    problems.push(
      `the Backstage image's inputs changed since the last release (${release.what}, appVersion ${release.appVersion}) but appVersion did not: ${o.imageChanged.slice(0, 8).join(', ')}${o.imageChanged.length > 8 ? `, ... (${o.imageChanged.length} files)` : ''}.\n` +
        `Bump \`appVersion:\` in Chart.yaml, then \`npm run docs\` after setting backstage.backstage.image.tag in values.yaml to the same value (test/unit/image-tag.test.ts).`,
    );
  }
  if (order > 0 && !o.changelog.includes(head.version)) problems.push(`CHANGELOG.md has no entry for ${head.version}: add \`## [${head.version}] - Unreleased\` above ${release.version}`);
  return problems;
}

// ---- git ----------------------------------------------------------------------------------------
const git = async (...args: string[]) => {
  const out = await $({ cwd: repoRoot, quiet: true, nothrow: true })`git ${args}`;
  return { ok: out.exitCode === 0, text: out.stdout.trim(), err: out.stderr.trim() };
};
const chartAt = async (ref: string) => {
  const r = await git('show', `${ref}:Chart.yaml`);
  if (!r.ok) throw new Error(`git show ${ref}:Chart.yaml: ${r.err}`);
  return parseYaml(r.text) as Record<string, any>;
};
const workChart = () => parseYaml(readFileSync(path.join(repoRoot, 'Chart.yaml'), 'utf8')) as Record<string, any>;

/** Why the history cannot be used, or undefined when it can. */
async function historyProblem(): Promise<string | undefined> {
  const inside = await git('rev-parse', '--is-inside-work-tree');
  if (!inside.ok) return `no git repository at ${repoRoot}`;
  const shallow = await git('rev-parse', '--is-shallow-repository');
  if (shallow.text === 'true') return 'a shallow clone (the history and tags are missing): fetch it whole (`git fetch --unshallow --tags`; in GitHub Actions, actions/checkout with fetch-depth: 0)';
  return undefined;
}

async function lastRelease(): Promise<{ release: Release; ref: string }> {
  const tags = (await git('tag', '--merged', 'HEAD', '--list', 'v*', 'chart-v*')).text.split('\n').filter(Boolean);
  const versions = tags.map((t) => ({ t, v: t.replace(/^(chart-)?v/, '') })).filter((x) => semver(x.v));
  if (versions.length) {
    const newest = versions.sort((a, b) => compare(b.v, a.v))[0]!;
    const c = await chartAt(newest.t);
    return { ref: newest.t, release: { what: `tag ${newest.t}`, version: String(c.version), appVersion: String(c.appVersion) } };
  }
  const text = readFileSync(path.join(repoRoot, 'CHANGELOG.md'), 'utf8');
  const { released } = changelogVersions(text);
  if (!released) throw new Error('no release tag (v<version> or chart-v<version>) and no dated version heading in CHANGELOG.md (`## [x.y.z] - YYYY-MM-DD`): nothing to compare with');
  let ref: string | undefined;
  if (String(workChart().version) === released.version) {
    // Still at the released version: its state is the commit that dated it.
    ref = (await git('log', '--format=%H', '-S', released.heading, '--', 'CHANGELOG.md')).text.split('\n').filter(Boolean).pop();
    if (!ref) throw new Error(`CHANGELOG.md's "${released.heading}" is not committed yet: commit it, then run again`);
  } else {
    // Bumped since: the release's last state is the newest commit whose Chart.yaml still said it.
    for (const c of (await git('log', '--format=%H', '--', 'Chart.yaml')).text.split('\n').filter(Boolean)) {
      if (String((await chartAt(c)).version) === released.version) {
        ref = c;
        break;
      }
    }
    if (!ref) throw new Error(`no commit has Chart.yaml version ${released.version}, the newest dated version of CHANGELOG.md`);
  }
  const c = await chartAt(ref);
  return { ref, release: { what: `CHANGELOG.md [${released.version}], state: commit ${ref.slice(0, 12)}`, version: released.version, appVersion: String(c.appVersion) } };
}

/** Files under `paths` that differ between `ref` and the working tree (untracked ones included). */
async function changedSince(ref: string, paths: string[]): Promise<string[]> {
  const diff = await git('diff', '--name-only', ref, '--', ...paths);
  if (!diff.ok) throw new Error(`git diff ${ref}: ${diff.err}`);
  const untracked = await git('ls-files', '--others', '--exclude-standard', '--', ...paths);
  return [...new Set([...diff.text.split('\n'), ...untracked.text.split('\n')].filter(Boolean))].sort();
}

describe('the version rule (synthetic cases)', () => {
  const release: Release = { what: 'tag v0.2.0', version: '0.2.0', appVersion: '0.2.0' };
  const base = { release, head: { version: '0.2.0', appVersion: '0.2.0' }, chartChanged: [], imageChanged: [], changelog: ['0.2.0', '0.1.0'] };

  it('nothing changed, nothing to bump', () => {
    expect(versionProblems(base)).toEqual([]);
  });

  it('a template changed without a bump fails, naming the file and the versions to bump to', () => {
    const p = versionProblems({ ...base, chartChanged: ['templates/_oauth2-proxy.tpl'] });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/the chart changed since the last release 0\.2\.0 \(tag v0\.2\.0\) but Chart\.yaml version did not: templates\/_oauth2-proxy\.tpl/);
    expect(p[0]).toMatch(/Bump `version:` in Chart\.yaml to 0\.2\.1 \(compatible\) or 0\.3\.0 \(a breaking values change while 0\.x\)/);
    expect(p[0]).toMatch(/CHANGELOG\.md/);
  });

  it('a bump with its CHANGELOG entry passes; without the entry it fails', () => {
    const bumped = { ...base, head: { version: '0.2.1', appVersion: '0.2.0' }, chartChanged: ['values.yaml'] };
    expect(versionProblems({ ...bumped, changelog: ['0.2.1', '0.2.0'] })).toEqual([]);
    expect(versionProblems(bumped)).toEqual([expect.stringMatching(/CHANGELOG\.md has no entry for 0\.2\.1/)]);
  });

  it('an image change needs appVersion bumped; an older version is refused', () => {
    expect(versionProblems({ ...base, imageChanged: ['backstage/packages/backend/src/index.ts'] })).toEqual([expect.stringMatching(/appVersion did not: backstage\/packages\/backend\/src\/index\.ts[\s\S]*Bump `appVersion:`/)]);
    expect(versionProblems({ ...base, head: { version: '0.1.9', appVersion: '0.2.0' }, changelog: ['0.1.9'] })).toEqual([expect.stringMatching(/older than the last release 0\.2\.0/)]);
  });

  it('reads released and unreleased CHANGELOG headings', () => {
    const v = changelogVersions('# Changelog\n## [Unreleased]\n## [0.3.0] - Unreleased\n## [0.2.0] - 2026-12-20\n## [0.1.0] - 2026-12-02\n');
    expect(v).toEqual({ released: { version: '0.2.0', heading: '## [0.2.0] - 2026-12-20' }, all: ['0.3.0', '0.2.0', '0.1.0'] });
  });
});

describe('this repository', () => {
  it('Chart.yaml version and appVersion are newer than the last release wherever the chart or the image changed', async (ctx) => {
    const why = await historyProblem();
    if (why) {
      if (inCI) throw new Error(`the version check needs the git history; this is ${why}`);
      ctx.skip(`the version check needs the git history; this is ${why}`);
    }
    const { release, ref } = await lastRelease();
    const now = workChart();
    const then = await chartAt(ref);
    const chartChanged = await changedSince(ref, CHART_PATHS);
    for (const key of ['dependencies', 'kubeVersion']) {
      if (JSON.stringify(then[key]) !== JSON.stringify(now[key])) chartChanged.push(`Chart.yaml ${key}`);
    }
    const problems = versionProblems({
      release,
      head: { version: String(now.version), appVersion: String(now.appVersion) },
      chartChanged,
      imageChanged: await changedSince(ref, IMAGE_PATHS),
      changelog: changelogVersions(readFileSync(path.join(repoRoot, 'CHANGELOG.md'), 'utf8')).all,
    });
    expect(problems.join('\n\n'), `compared with ${release.what}`).toBe('');
  });

  it("Chart.yaml's artifacthub.io/changes are kind/description entries, and images name what the chart runs", () => {
    const chart = workChart();
    const values = parseYaml(readFileSync(path.join(repoRoot, 'values.yaml'), 'utf8')) as Record<string, any>;
    const changes = parseYaml(chart.annotations['artifacthub.io/changes']) as { kind: string; description: string }[];
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) {
      expect(ANNOTATION_KINDS, JSON.stringify(c)).toContain(c.kind);
      expect(typeof c.description === 'string' && c.description.length > 0, JSON.stringify(c)).toBe(true);
    }
    const images = (parseYaml(chart.annotations['artifacthub.io/images']) as { name: string; image: string }[]).map((i) => i.image);
    const b = values.backstage.backstage.image;
    const o = values.global.oauth2Proxy.image;
    const t = values.tests.image;
    expect(images).toEqual(
      expect.arrayContaining([`${b.registry}/${b.repository}:${chart.appVersion}`, `${o.registry}/${o.repository}:${o.tag}`, `${t.registry}/${t.repository}:${t.tag}`]),
    );
    // No license or signing key is claimed that does not exist.
    expect(chart.annotations['artifacthub.io/license']).toBeUndefined();
    expect(chart.annotations['artifacthub.io/signKey']).toBeUndefined();
  });
});
