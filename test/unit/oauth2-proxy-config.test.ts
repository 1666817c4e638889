/**
 * The rendered sidecar configuration, fed to the real oauth2-proxy v7.15.6 binary (`--config-test`
 * validates the whole configuration and exits). Discovery is skipped (in-cluster URL set) so no
 * Keycloak is needed here; the SSO tier runs the same configuration against a real Keycloak.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { $ } from 'zx';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { envOf, render, type Manifest } from '../support/chart.ts';
import { configTest as proxyConfigTest } from '../support/oauth2-proxy.ts';

/** The sidecar's environment exactly as Kubernetes would build it from the rendered objects. */
function sidecarEnv(m: Manifest): Record<string, string> {
  const c = m.sidecar();
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, m.configMap(from.configMapRef!.name!).data);
  const { values, secretRefs } = envOf(c);
  Object.assign(env, values);
  const optional = new Set((c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef?.optional).map((e) => e.name));
  for (const [name, ref] of Object.entries(secretRefs)) {
    const value = optional.has(name) && !m.has('Secret', ref.name) ? undefined : m.secretData(ref.name)[ref.key];
    if (value !== undefined || !optional.has(name)) env[name] = value!;
  }
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

describe('verifiedToken mode', () => {
  it('renders an alpha config that forwards the ID token, mounted into the sidecar, with no secret literal', async () => {
    const m = await render({ set: ['global.signIn.mode=verifiedToken', INTERNAL] });
    const c = m.sidecar();
    expect(c.args).toEqual(['--alpha-config=/etc/oauth2-proxy/alpha-config.yaml']);
    expect(c.volumeMounts).toEqual([{ name: 'oauth2-proxy-alpha', mountPath: '/etc/oauth2-proxy', readOnly: true }]);
    expect(m.podSpec().volumes!.find((v) => v.name === 'oauth2-proxy-alpha')?.configMap?.name).toBe('backstage-oauth2-proxy-alpha');
    const text = m.configMap('backstage-oauth2-proxy-alpha').data!['alpha-config.yaml']!;
    const alpha = parseYaml(text);
    const idHeader = alpha.injectRequestHeaders.find((h: { name: string }) => h.name === 'x-oidc-id-token');
    expect(idHeader.values).toEqual([{ claimSource: { claim: 'id_token' } }]);
    expect(idHeader.preserveRequestValue).toBe(false);
    expect(alpha.providers[0]).toMatchObject({ provider: 'keycloak-oidc', clientID: '${OAUTH2_PROXY_CLIENT_ID}', clientSecret: '${OAUTH2_PROXY_CLIENT_SECRET}', code_challenge_method: 'S256' });
    expect(text).not.toContain('example-client-secret-NOT-REAL');
    expect(alpha.upstreamConfig.upstreams[0].uri).toBe('http://127.0.0.1:7007/');
    const appConfig = m.appConfig(); // the sign-in configuration, then appConfig, as Backstage loads them
    expect(appConfig.app.signInProvider).toBe('oidcProxy');
    expect(appConfig.auth.providers.oidcProxy).toEqual({ issuer: 'https://keycloak.example.com/realms/backstage', audience: '${KEYCLOAK_CLIENT_ID}', header: 'x-oidc-id-token', jwksUrl: 'http://keycloak.kc.svc:8080/realms/backstage/protocol/openid-connect/certs' });
  });

  it('the real oauth2-proxy accepts the rendered alpha config (mounted as the pod would mount it)', async () => {
    const m = await render({ set: ['global.signIn.mode=verifiedToken', INTERNAL, 'global.keycloak.allowedGroups={/admins}'] });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-alpha-'));
    try {
      const file = path.join(dir, 'alpha-config.yaml');
      await writeFile(file, m.configMap('backstage-oauth2-proxy-alpha').data!['alpha-config.yaml']!);
      const bin = await ensureTool('oauth2-proxy');
      const args = m.sidecar().args!.map((a) => a.replace('/etc/oauth2-proxy/alpha-config.yaml', file));
      const out = await $({ quiet: true, nothrow: true, env: { PATH: process.env.PATH ?? '', ...sidecarEnv(m) }, timeout: '30s' })`${bin} ${args} --config-test`;
      expect(out.ok, out.stdout + out.stderr).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('quotes the ${...} credentials: a numeric client id and a secret with " #" or ": " stay whole strings', async () => {
    const m = await render({ values: { global: { signIn: { mode: 'verifiedToken' }, keycloak: { internalUrl: 'http://kc:8080', clientId: '123', clientSecret: 'a #b: c' } } } });
    const text = m.configMap('backstage-oauth2-proxy-alpha').data!['alpha-config.yaml']!;
    expect(text).toContain('clientID: "${OAUTH2_PROXY_CLIENT_ID}"');
    expect(text).toContain('clientSecret: "${OAUTH2_PROXY_CLIENT_SECRET}"');
    // oauth2-proxy substitutes the env into the file before parsing it: unquoted, 123 became a number (refused).
    const res = await proxyConfigTest(m);
    expect(res.ok, res.output).toBe(true);
  });

  it('the mode switch rolls the pod (config checksum)', async () => {
    const a = (await render()).deployment().spec!.template.metadata!.annotations!['checksum/oauth2-proxy-config'];
    const b = (await render({ set: ['global.signIn.mode=verifiedToken'] })).deployment().spec!.template.metadata!.annotations!['checksum/oauth2-proxy-config'];
    expect(a).not.toBe(b);
  });
});
