/**
 * Issue 17: oauth2-proxy settings that switch a protection off must not get in through
 * global.oauth2Proxy.extraEnv or the sidecar's env (which only the chart builds: a copy is refused). The coverage is derived from the real, pinned
 * oauth2-proxy (`--help` lists every flag), not from a hand-written list: every flag's environment
 * variable is passed to the chart at once, and every one that is not on the chart's allow-list of
 * tuning settings (backstage-keycloak.oauth2Proxy.tunableSettings) must be refused, naming the
 * variable and a reason. Works with whichever oauth2-proxy version the project pins.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { render, renderError } from '../support/chart.ts';

interface Flag {
  flag: string;
  type: string; // pflag's type word: "" for booleans, "string", "strings", "duration", ...
  env: string[]; // the environment variables oauth2-proxy may read it from
}

/** Flags of `oauth2-proxy --help` (pflag's usage lines: `  -x, --name type   text`). */
function parseHelp(help: string): Flag[] {
  const flags = new Map<string, Flag>();
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-[A-Za-z0-9], )?--([a-z0-9][a-z0-9-]*)(?: (\S+))?(?:\s{2,}|\s*$)/.exec(line);
    if (!m) continue;
    const flag = m[1]!;
    const type = m[2] ?? '';
    const base = `OAUTH2_PROXY_${flag.toUpperCase().replace(/-/g, '_')}`;
    // Repeatable flags are read from the plural name (--email-domain -> OAUTH2_PROXY_EMAIL_DOMAINS),
    // with a few irregular ones: refuse both spellings.
    const env = /^(strings|stringSlice|stringArray)$/.test(type) && !base.endsWith('S') ? [base, `${base}S`] : [base];
    flags.set(flag, { flag, type, env });
  }
  return [...flags.values()];
}

/** The chart's allow-list, read from its one definition in templates/_oauth2-proxy-settings.tpl. */
async function allowList(): Promise<string[]> {
  const text = await readFile(path.join(repoRoot, 'templates', '_oauth2-proxy-settings.tpl'), 'utf8');
  const m = /\{\{- define "backstage-keycloak\.oauth2Proxy\.tunableSettings" -\}\}\n([\s\S]*?)\{\{- end -\}\}/.exec(text);
  if (!m) throw new Error('backstage-keycloak.oauth2Proxy.tunableSettings not found in templates/_oauth2-proxy-settings.tpl');
  return Object.keys(parseYaml(m[1]!) as Record<string, string>);
}

/** The reason the render gives for one variable, or undefined when it is not refused. */
function reasonFor(err: string, name: string): string | undefined {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`global\\.oauth2Proxy\\.extraEnv\\.${esc}(?:=[^\\s:(]*)?(?: \\([^)]*\\))?: ?(.+)`).exec(err) ?? new RegExp(`global\\.oauth2Proxy\\.extraEnv\\.${esc}=\\S+ (.+)`).exec(err);
  return m?.[1];
}

/** A user's copy of the rendered oauth2-proxy container in backstage.backstage.extraContainers, changed by `edit`. */
async function sidecarCopy(edit: (c: Record<string, any>) => void): Promise<Record<string, unknown>> {
  const c = structuredClone((await render()).sidecar()) as Record<string, any>;
  edit(c);
  return { backstage: { backstage: { extraContainers: [c] } } };
}

/** The refusal of any list of the user's own in backstage.backstage.extraContainers (the chart builds it). */
const BUILT_BY_THE_CHART = /backstage\.backstage\.extraContainers is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(oauth2-proxy\): remove backstage\.backstage\.extraContainers from your values and list your own items under global\.extraContainers/;

let flags: Flag[];
let allowed: string[];

beforeAll(async () => {
  const bin = await ensureTool('oauth2-proxy');
  const out = await $({ quiet: true, nothrow: true, timeout: '30s' })`${bin} --help`;
  flags = parseHelp(out.stdout + out.stderr);
  allowed = await allowList();
});

describe('oauth2-proxy settings in extraEnv: an allow-list derived against the real binary', () => {
  it('the pinned binary lists its flags (the parse finds the known ones)', () => {
    expect(flags.length).toBeGreaterThan(100);
    const names = flags.map((f) => f.flag);
    for (const f of ['trusted-ip', 'skip-auth-strip-headers', 'insecure-oidc-allow-unverified-email', 'skip-auth-preflight', 'oidc-email-claim', 'whitelist-domain', 'email-domain', 'upstream']) expect(names).toContain(f);
    expect(flags.find((f) => f.flag === 'whitelist-domain')!.env).toContain('OAUTH2_PROXY_WHITELIST_DOMAINS');
  });

  it('every name on the allow-list is a real setting of the binary, and none of them touches sign-in, identity, routing or TLS', () => {
    const all = new Set(flags.flatMap((f) => f.env));
    for (const name of allowed) {
      expect(all.has(name), `${name} is not a flag of this oauth2-proxy`).toBe(true);
      expect(name, `${name} looks security-relevant`).not.toMatch(/SKIP|INSECURE|TRUSTED|WHITELIST|CLAIM|ROUTE|PASS_|SET_|ALLOWED|SCOPE|_URLS?$|ISSUER|PROVIDER|SECRET|EMAIL|DOMAIN|UPSTREAMS$|REVERSE_PROXY|AUTHORIZATION|_IPS?$/);
    }
  });

  for (const bool of ['true', 'false']) {
    it(`refuses every other flag's variable (booleans set to ${bool}), each named with a reason`, async () => {
      const extraEnv: Record<string, string> = {};
      const refused: string[] = [];
      for (const f of flags) {
        if (f.env.some((e) => allowed.includes(e))) continue;
        for (const e of f.env) {
          extraEnv[e] = f.type === '' ? bool : 'x';
          refused.push(e);
        }
      }
      expect(refused.length).toBeGreaterThan(100);
      const err = await renderError({ values: { global: { oauth2Proxy: { extraEnv } } } });
      const missing = refused.filter((e) => !reasonFor(err, e));
      expect(missing, `accepted although not on the allow-list`).toEqual([]);
      for (const e of refused) expect(reasonFor(err, e)!.length, `${e}: ${reasonFor(err, e)}`).toBeGreaterThan(20);
    });
  }

  it('accepts the allow-list (and nothing is refused for its sake)', async () => {
    const extraEnv: Record<string, string> = {};
    for (const f of flags) for (const e of f.env) if (allowed.includes(e)) extraEnv[e] = f.type === '' ? 'true' : f.type === 'duration' ? '30s' : f.type === 'int' ? '3' : 'x';
    expect(Object.keys(extraEnv).sort()).toEqual([...allowed].sort());
    // a minimal session needs cookie refresh off (checked separately in chart-owned-values)
    const m = await render({ values: { global: { oauth2Proxy: { cookie: { refresh: '0' }, extraEnv } } } });
    for (const e of allowed) expect(m.configMap('backstage-oauth2-proxy').data![e], e).toBe(extraEnv[e]);
  });

  const attacks: [string, string, RegExp][] = [
    ['OAUTH2_PROXY_TRUSTED_IPS', '0.0.0.0/0', /lets every request from those addresses through with no login/],
    ['OAUTH2_PROXY_SKIP_AUTH_STRIP_HEADERS', 'false', /pass identity headers a client sent itself/],
    ['OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL', 'true', /email Keycloak never verified/],
    ['OAUTH2_PROXY_SKIP_AUTH_PREFLIGHT', 'true', /every OPTIONS request reach Backstage with no login/],
    ['OAUTH2_PROXY_OIDC_EMAIL_CLAIM', 'preferred_username', /which token claim becomes the email/],
    ['OAUTH2_PROXY_WHITELIST_DOMAINS', '.evil.example', /open redirect/],
  ];
  for (const [name, value, why] of attacks) {
    it(`refuses ${name}=${value} with its reason, in extraEnv and in the sidecar's env`, async () => {
      const err = await renderError({ values: { global: { oauth2Proxy: { extraEnv: { [name]: value } } } } });
      expect(err).toContain(`global.oauth2Proxy.extraEnv.${name}`);
      expect(err).toMatch(why);
      // The sidecar's env is the chart's: a copy of the container with the setting added is refused.
      const sidecar = await renderError({ values: await sidecarCopy((c) => c.env.push({ name, value })) });
      expect(sidecar).toMatch(BUILT_BY_THE_CHART);
    });
  }

  it('refuses a second envFrom on the sidecar (a ConfigMap or Secret would set any setting unchecked)', async () => {
    for (const from of [{ configMapRef: { name: 'my-proxy-settings' } }, { secretRef: { name: 'my-proxy-settings' } }]) {
      const err = await renderError({ values: await sidecarCopy((c) => c.envFrom.push(from)) });
      expect(err).toMatch(BUILT_BY_THE_CHART);
    }
  });
});
