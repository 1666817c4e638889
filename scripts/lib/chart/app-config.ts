/**
 * Backstage's configuration as the chart hands it over: the sign-in configuration (ConfigMap
 * `<release>-backstage-sign-in`, derived from global.*) and then appConfig (the upstream chart's
 * `<...>-app-config` ConfigMap), in the order backstage.backstage.args loads them. Backstage merges
 * config files like mergeConfig: objects key by key, later files win, other values replaced whole.
 */

/** The file names the two ConfigMaps hold, in load order. */
export const APP_CONFIG_KEYS = ['app-config.sign-in.yaml', 'app-config.yaml'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` merged onto `base`, as Backstage merges two config files (returns a new object). */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? mergeConfig(out[k] as Json, v) : v;
  return out;
}

/** Backstage's merged configuration from the ConfigMaps of a release (rendered or in a cluster). */
export function backstageAppConfig(configMaps: { data?: Record<string, string> | null }[], parse: (text: string) => unknown): Json {
  let merged: Json = {};
  for (const key of APP_CONFIG_KEYS) {
    const cm = configMaps.find((c) => c.data?.[key] !== undefined);
    if (!cm) throw new Error(`no ConfigMap with ${key} in the release`);
    const doc = parse(cm.data![key]!);
    if (isObject(doc)) merged = mergeConfig(merged, doc);
  }
  return merged;
}
