/**
 * The rendered sidecar configuration, fed to the real oauth2-proxy v7.15.3 binary (`--config-test`
 * validates the whole configuration and exits). Discovery is skipped (in-cluster URL set) so no
 * Keycloak is needed here; the SSO tier runs the same configuration against a real Keycloak.
 */
import { describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { ensureTool } from '../../scripts/lib/tools.ts';
import { envOf, render, type Manifest } from '../helpers/chart.ts';

/** The sidecar's environment exactly as Kubernetes would build it from the rendered objects. */
function sidecarEnv(m: Manifest): Record<string, string> {
  const c = m.sidecar();
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, m.configMap(from.configMapRef!.name!).data);
  const { values, secretRefs } = envOf(c);
  Object.assign(env, values);
  for (const [name, ref] of Object.entries(secretRefs)) env[name] = m.secretData(ref.name)[ref.key]!;
  return env;
}

async function configTest(m: Manifest): Promise<{ ok: boolean; output: string }> {
  const bin = await ensureTool('oauth2-proxy');
  const env = { PATH: process.env.PATH ?? '', ...sidecarEnv(m) };
  const out = await $({ quiet: true, nothrow: true, env, timeout: '30s' })`${bin} ${m.sidecar().args ?? []} --config-test`;
  return { ok: out.ok, output: out.stdout + out.stderr };
}

const INTERNAL = 'global.keycloak.internalUrl=http://keycloak.kc.svc:8080';

describe('the real oauth2-proxy accepts the rendered configuration', () => {
  it('example values', async () => {
    const res = await configTest(await render({ set: [INTERNAL] }));
    expect(res.output).not.toMatch(/invalid configuration/i);
    expect(res.ok).toBe(true);
  });

  it('with a generated cookie secret', async () => {
    const res = await configTest(await render({ set: [INTERNAL, 'global.oauth2Proxy.cookieSecret='] }));
    expect(res.ok, res.output).toBe(true);
  });

  it('with allowed groups, roles and cookie domains', async () => {
    const res = await configTest(await render({ values: { global: { keycloak: { internalUrl: 'http://kc:8080', allowedGroups: ['/admins'], allowedRoles: ['backstage'] }, oauth2Proxy: { cookie: { domains: ['backstage.example.com'] } } } } }));
    expect(res.ok, res.output).toBe(true);
  });

  it('refuses the cookie secret our validation refuses (so the two rules agree)', async () => {
    const m = await render({ set: [INTERNAL] });
    const bin = await ensureTool('oauth2-proxy');
    const env = { ...sidecarEnv(m), OAUTH2_PROXY_COOKIE_SECRET: 'q1+/w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x=' };
    const out = await $({ quiet: true, nothrow: true, env, timeout: '30s' })`${bin} --config-test`;
    expect(out.ok).toBe(false);
    expect(out.stdout + out.stderr).toMatch(/cookie_secret must be 16, 24, or 32 bytes/);
  });
});
