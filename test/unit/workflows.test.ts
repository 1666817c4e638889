/**
 * The GitHub workflows hold up to review (issue 21): actionlint (pinned, tools/actionlint) reports
 * nothing; every action is pinned by full commit SHA with its release in a comment; permissions are
 * granted per job, nothing at the top level, and write scopes only where something is published.
 * Under CI=true a missing actionlint fails the test (ensureTool never builds there; .ci/run does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';

const DIR = path.join(repoRoot, '.github', 'workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const workflow = (f: string) => parseYaml(text(f)) as { permissions?: unknown; jobs: Record<string, { permissions?: Record<string, string> | string; steps?: { uses?: string }[] }> };

/** Write scopes a job may hold: `workflow/job` -> scopes (anything else is read or none). */
const WRITE_ALLOWED: Record<string, string[]> = {
  // Pushes the images, the chart, signatures and attestations to ghcr.io, and signs keylessly with
  // the workflow's OIDC identity: id-token on this job only.
  'release.yaml/publish': ['packages', 'id-token'],
};

describe('GitHub workflows', () => {
  it('there are workflows to check', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yaml', 'release.yaml']));
  });

  it('actionlint reports nothing', async () => {
    const actionlint = await ensureTool('actionlint');
    // shellcheck/pyflakes integration off: whether they are installed would change the findings
    // from machine to machine; the pinned linter's own rules are what CI enforces.
    const out = await $({ cwd: repoRoot, quiet: true, nothrow: true })`${actionlint} -no-color -shellcheck= -pyflakes= ${files.map((f) => path.join('.github', 'workflows', f))}`;
    expect(out.stdout + out.stderr, 'actionlint findings (fix the workflow)').toBe('');
    expect(out.exitCode).toBe(0);
  });

  it('every action is pinned by full commit SHA with its release in a comment', () => {
    const offenders: string[] = [];
    let seen = 0;
    for (const f of files) {
      text(f).split('\n').forEach((line, i) => {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) return;
        seen++;
        const ref = m[1]!;
        if (ref.startsWith('./') || ref.startsWith('docker://')) return;
        if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref) || !/^\s*#\s*v\d+\.\d+\.\d+\s*$/.test(m[2]!)) {
          offenders.push(`${f}:${i + 1}: ${line.trim()} (write owner/repo@<40-hex commit> # vX.Y.Z)`);
        }
      });
    }
    expect(seen).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('grants nothing at the top level; each job states its permissions; write scopes only where allowed', () => {
    const offenders: string[] = [];
    for (const f of files) {
      const w = workflow(f);
      const top = w.permissions;
      const topOk = top !== undefined && typeof top === 'object' && top !== null && Object.entries(top).every(([, v]) => v === 'read' || v === 'none');
      if (!topOk) offenders.push(`${f}: top-level permissions must be {} (or read-only): got ${JSON.stringify(top)}`);
      for (const [name, job] of Object.entries(w.jobs)) {
        const p = job.permissions;
        if (p === undefined || typeof p !== 'object') {
          offenders.push(`${f}/${name}: no permissions block (or a shorthand such as write-all)`);
          continue;
        }
        for (const [scope, level] of Object.entries(p)) {
          if (level !== 'write') continue;
          if (!(WRITE_ALLOWED[`${f}/${name}`] ?? []).includes(scope)) offenders.push(`${f}/${name}: ${scope}: write is not allowed here`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the release job runs `npm run release` and nothing else of the release (the same command as locally)', () => {
    const w = parseYaml(text('release.yaml')) as { jobs: Record<string, { steps: { run?: string; uses?: string; name?: string }[] }> };
    const runs = w.jobs.publish!.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
    // Only set-up (apt, npm ci, the registry login) besides it: no image, chart, cosign or syft step.
    expect(runs.filter((r) => /npm run (--silent )?release\b/.test(r))).toEqual(['npm run release']);
    for (const r of runs) expect(r, 'a release step outside npm run release').not.toMatch(/npm run (--silent )?images|helm (package|push)|cosign|syft|dependency build/);
  });
});
