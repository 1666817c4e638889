/**
 * Chart.lock for the umbrella chart, computed the way Helm computes it, so the lock can be kept in
 * step with Chart.yaml offline (Helm's own `dependency update` needs the chart repositories).
 * Helm's digest: "sha256:" + hex sha256 of the JSON encoding of [requirements, locked], each a list
 * of dependencies serialised as Helm's chart.Dependency struct (name, version, repository, then the
 * optional fields, empty ones left out).
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Dependency } from './dependency.ts';

interface FullDependency extends Dependency {
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** JSON of one dependency with Go's field order and omitempty rules. */
function goJson(d: FullDependency): string {
  const fields: [string, unknown, boolean][] = [
    ['name', d.name, false],
    ['version', d.version, true],
    ['repository', d.repository ?? '', false],
    ['condition', d.condition, true],
    ['tags', d.tags, true],
    ['enabled', d.enabled, true],
    ['import-values', d['import-values'], true],
    ['alias', d.alias, true],
  ];
  const parts: string[] = [];
  for (const [key, value, omitEmpty] of fields) {
    const empty = value === undefined || value === '' || value === false || (Array.isArray(value) && value.length === 0);
    if (omitEmpty && empty) continue;
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value ?? '')}`);
  }
  return `{${parts.join(',')}}`;
}

export function lockDigest(requirements: FullDependency[], locked: Dependency[]): string {
  const json = `[[${requirements.map(goJson).join(',')}],[${locked.map(goJson).join(',')}]]`;
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The Chart.lock text for the given Chart.yaml dependencies (versions must be exact). */
export function chartLock(requirements: FullDependency[], generated = '2026-11-23T00:00:00Z'): string {
  const locked = requirements.map((d) => ({ name: d.name, repository: d.repository ?? '', version: d.version }));
  const doc = {
    dependencies: locked,
    digest: lockDigest(requirements, locked.map((l) => ({ name: l.name, version: l.version, repository: l.repository }))),
    generated,
  };
  return stringify(doc);
}
