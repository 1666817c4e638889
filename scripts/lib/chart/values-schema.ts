/**
 * The annotated values files as data: `## @param <key> [modifiers] <description>` documents one
 * key, `## @block <key> [modifiers] <description>` a block of keys, `## @section <title>` groups
 * params in the README. From these and the defaults, valuesSchema() builds values.schema.json
 * (JSON Schema draft 2020-12), so values.yaml is the single source of the README table and of the
 * schema (npm run docs writes both; the docs test fails when either drifts).
 *
 * Modifiers (comma-separated, in brackets right after the key):
 *   string|integer|...  the JSON types (default: the type of the default value)
 *   nullable            null is allowed too
 *   enum: a|b|c         allowed values
 *   items: <type>       type of list items (default: the type of the default's items)
 *   values: <types>     type of a map's values (a map of scalars, e.g. extraEnv)
 *   min: <n>            minimum of a number
 *   open                a free-form map (also the default for a @param whose default is a map)
 *   upstream            (blocks) checked by the upstream chart's own schema: every object below is open
 *   subchart            (blocks) a local subchart: closed, and `global` is allowed (Helm passes it down)
 * Every other object is closed (additionalProperties: false), the root included, so a misspelt key
 * fails `helm install` with Helm's schema error naming it.
 */
import { parse as parseYaml } from 'yaml';

export interface Annotation {
  kind: 'param' | 'block';
  key: string;
  description: string;
  section: string;
  modifiers: Modifiers;
}

export interface Modifiers {
  types?: string[];
  nullable?: boolean;
  enum?: string[];
  items?: string[];
  values?: string[];
  min?: number;
  open?: boolean;
  upstream?: boolean;
  subchart?: boolean;
}

const JSON_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'object', 'array', 'null']);

/** Parses the bracketed modifiers of an annotation; throws naming the line on anything unknown. */
export function parseModifiers(text: string, where: string): Modifiers {
  const m: Modifiers = {};
  for (const raw of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, value] = raw.includes(':') ? [raw.slice(0, raw.indexOf(':')).trim(), raw.slice(raw.indexOf(':') + 1).trim()] : [raw, undefined];
    const list = (v: string | undefined): string[] => (v ?? '').split('|').map((x) => x.trim()).filter(Boolean);
    const types = (v: string | undefined): string[] => {
      const t = list(v);
      for (const x of t) if (!JSON_TYPES.has(x)) throw new Error(`${where}: unknown type "${x}" in [${text}]`);
      return t;
    };
    if (value === undefined && list(name).every((x) => JSON_TYPES.has(x))) m.types = types(name);
    else if (name === 'nullable' && value === undefined) m.nullable = true;
    else if (name === 'open' && value === undefined) m.open = true;
    else if (name === 'upstream' && value === undefined) m.upstream = true;
    else if (name === 'subchart' && value === undefined) m.subchart = true;
    else if (name === 'enum') m.enum = list(value);
    else if (name === 'items') m.items = types(value);
    else if (name === 'values') m.values = types(value);
    else if (name === 'min' && value !== undefined && /^-?\d+(\.\d+)?$/.test(value)) m.min = Number(value);
    else throw new Error(`${where}: unknown modifier "${raw}" in [${text}]`);
  }
  return m;
}

/** Every annotation of a values file, keys prefixed with `prefix.` (for a subchart's own file). */
export function parseAnnotations(text: string, prefix = ''): Annotation[] {
  const out: Annotation[] = [];
  let section = '';
  text.split('\n').forEach((line, i) => {
    const s = /^\s*## @section (.*)$/.exec(line);
    if (s) section = s[1]!.trim();
    const a = /^\s*## @(param|block) (\S+)(?: \[([^\]]*)\])?(?: (.*))?$/.exec(line);
    if (!a) return;
    const key = a[2]!;
    out.push({
      kind: a[1] as 'param' | 'block',
      key: prefix && !key.startsWith(`${prefix}.`) && key !== prefix ? `${prefix}.${key}` : key,
      modifiers: parseModifiers(a[3] ?? '', `line ${i + 1} (${key})`),
      description: (a[4] ?? '').trim(),
      section,
    });
  });
  return out;
}

export interface ValuesSource {
  /** Text of the values file. */
  text: string;
  /** Key under which its values live in the umbrella ('' for the umbrella's own file). */
  prefix: string;
}

type Json = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeSchema(types: string[]): Json {
  return { type: types.length === 1 ? types[0] : types };
}

/** Merges the umbrella's values with local subcharts' defaults under their keys. */
function mergedValues(sources: ValuesSource[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const merge = (into: Record<string, unknown>, from: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(from)) {
      if (isMap(v) && isMap(into[k])) merge(into[k] as Record<string, unknown>, v);
      else if (!(k in into)) into[k] = v;
    }
  };
  for (const src of sources) {
    const parsed = (parseYaml(src.text) ?? {}) as Record<string, unknown>;
    if (!src.prefix) merge(root, parsed);
    else {
      root[src.prefix] ??= {};
      merge(root[src.prefix] as Record<string, unknown>, parsed);
    }
  }
  return root;
}

/**
 * JSON Schema of the values: types, descriptions, enums, closed objects. Throws when an
 * annotation names a key that is not in the values, or a default has no type and no modifier.
 */
export function valuesSchema(sources: ValuesSource[], meta: { title: string; description: string }): Json {
  const values = mergedValues(sources);
  const notes = new Map<string, Annotation>();
  for (const src of sources) for (const a of parseAnnotations(src.text, src.prefix)) notes.set(a.key, a);
  const lookup = (key: string): unknown => key.split('.').reduce<unknown>((cur, part) => (isMap(cur) && part in cur ? cur[part] : undefined), values);
  for (const key of notes.keys()) if (lookup(key) === undefined) throw new Error(`@${notes.get(key)!.kind} ${key} names no value`);

  const node = (key: string, value: unknown, upstream: boolean): Json => {
    const note = notes.get(key);
    const m = note?.modifiers ?? {};
    const open = upstream || !!m.upstream;
    let schema: Json;
    if (isMap(value) && note?.kind !== 'param') {
      // A block: every key described, closed unless upstream.
      const properties: Json = {};
      if (m.subchart) properties.global = { type: 'object', description: 'Globals Helm passes down from the umbrella.' };
      for (const [k, v] of Object.entries(value)) properties[k] = node(key ? `${key}.${k}` : k, v, open);
      schema = { type: 'object', properties };
      if (!open) schema.additionalProperties = false;
    } else if (isMap(value) || m.open || m.values) {
      // A documented map: free-form, or a map of the given value types.
      schema = { type: 'object' };
      if (m.values) schema.additionalProperties = typeSchema(m.values);
    } else {
      const types = m.types ?? [typeOf(value)];
      if (types.includes('null') && !m.types) throw new Error(`${key}: the default is null; say its type, e.g. [string, nullable]`);
      schema = typeSchema(m.nullable ? [...types, 'null'] : types);
      if (types.includes('array')) {
        const items = m.items ?? (Array.isArray(value) && value.length > 0 ? [...new Set(value.map(typeOf))] : undefined);
        if (items) schema.items = typeSchema(items);
      }
    }
    if (m.enum) schema.enum = m.nullable ? [...m.enum, null] : m.enum;
    if (m.min !== undefined) schema.minimum = m.min;
    if (note?.description) schema.description = note.description;
    return schema;
  };

  const root = node('', values, false);
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: meta.title, description: meta.description, ...root };
}
