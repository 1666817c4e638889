/**
 * The `helm test` pod, run for real: its rendered script and env in busybox (the shell, wget and
 * sed of the pod's image, from Debian's busybox package) against the real oauth2-proxy rendered
 * from values. Keycloak sits on a closed loopback port: the proxy skips discovery and never calls
 * it, and wget's attempt to follow the redirect is refused on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { render, renderError, type Manifest } from '../support/chart.ts';
import { startProxy } from '../support/oauth2-proxy.ts';

const KEYCLOAK = 'https://127.0.0.1:9';

/** Values on top of the example: Keycloak on the closed loopback port, plus `keycloak` and `global` overrides. */
function values(keycloak: Record<string, unknown> = {}, global: Record<string, unknown> = {}): Record<string, unknown> {
  return { global: { ...global, keycloak: { issuerUrl: `${KEYCLOAK}/realms/backstage`, internalUrl: 'http://127.0.0.1:9', ...keycloak } } };
}

let applets: string;

beforeAll(async () => {
  const busybox = (await $({ quiet: true, nothrow: true })`sh -c 'command -v busybox'`).stdout.trim();
  if (!busybox) throw new Error('busybox is not installed: run scripts/ci/apt.sh (Debian package busybox), the test pod image\'s shell and tools');
  applets = await mkdtemp(path.join(os.tmpdir(), 'bk-busybox-'));
  await $({ quiet: true })`${busybox} --install -s ${applets}`;
});

afterAll(async () => {
  if (applets) await rm(applets, { recursive: true, force: true });
});

/** Runs the test pod of `pod` (its script and env, secrets resolved) against `proxyUrl`. */
async function runTestPod(pod: Manifest, proxyUrl: string): Promise<{ ok: boolean; output: string; created: string[] }> {
  const p = pod.get<V1Pod>('Pod', 'backstage-oauth2-proxy-test-redirect');
  const c = p.spec!.containers[0]!;
  expect(c.command).toEqual(['sh', '-c']);
  const env: Record<string, string> = { PATH: applets };
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? pod.secretData(ref.name!)[ref.key]! : (e.value ?? '');
  }
  // The only rewrite: the Service address becomes the local proxy.
  expect(env.TARGET_URL).toBe('http://backstage:7007/');
  env.TARGET_URL = `${proxyUrl}/`;
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bk-testpod-'));
  try {
    const out = await $({ quiet: true, nothrow: true, env, cwd, timeout: '60s' })`${path.join(applets, 'sh')} -c ${c.args![0]!}`;
    return { ok: out.ok, output: out.stdout + out.stderr, created: await readdir(cwd) };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** Renders `podValues` for the test pod and `proxyValues` for the proxy, runs the pod against the proxy. */
async function podAgainstProxy(podValues: Record<string, unknown>, proxyValues: Record<string, unknown> = podValues) {
  const proxy = await startProxy(await render({ values: proxyValues }));
  try {
    return await runTestPod(await render({ values: podValues }), proxy.url);
  } finally {
    await proxy.stop();
  }
}

describe('helm test pod', () => {
  it('passes against the proxy rendered from the same values, checking client id, redirect URI and PKCE', async () => {
    const res = await podAgainstProxy(values());
    expect(res.output).toMatch(/OK: anonymous request redirected to https:\/\/127\.0\.0\.1:9\/realms\/backstage\/protocol\/openid-connect\/auth with client_id, redirect_uri https:\/\/backstage\.example\.com\/oauth2\/callback and PKCE S256/);
    expect(res.ok).toBe(true);
  });

  it('reads the client id from the Secret the proxy reads (existing Secret too)', async () => {
    const m = await render({ values: values({ clientSecret: '', existingSecret: 'kc', existingSecretKeys: { clientId: 'id' } }) });
    const env = m.get<V1Pod>('Pod', 'backstage-oauth2-proxy-test-redirect').spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'CLIENT_ID')?.valueFrom?.secretKeyRef).toEqual({ name: 'kc', key: 'id' });
  });

  it('fails when the redirect URI is not the one to register (another public host)', async () => {
    const res = await podAgainstProxy(values({}, { host: 'portal.example.com' }), values());
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/FAIL: redirect_uri is not https:\/\/portal\.example\.com\/oauth2\/callback/);
  });

  it('fails when the client id is not the chart\'s', async () => {
    const res = await podAgainstProxy(values({ clientId: 'portal' }), values());
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/FAIL: client_id is not the chart's client id/);
  });

  it('compares the authorization endpoint as text: a "*" in the issuer matches only itself', async () => {
    const star = values({ issuerUrl: `${KEYCLOAK}/realms/*` });
    const other = values({ issuerUrl: `${KEYCLOAK}/realms/other` });
    const mismatch = await podAgainstProxy(star, other);
    expect(mismatch.output).toMatch(/FAIL: not redirected to Keycloak's authorization endpoint https:\/\/127\.0\.0\.1:9\/realms\/\*\/protocol/);
    expect(mismatch.ok).toBe(false);
    const match = await podAgainstProxy(star);
    expect(match.ok, match.output).toBe(true);
  });

  it('an issuer with shell syntax the chart accepts (; & ( ) *) is data, not code', async () => {
    const res = await podAgainstProxy(values({ issuerUrl: `${KEYCLOAK}/realms/a;b&c(d)*e` }));
    expect(res.ok, res.output).toBe(true);
    expect(res.created).toEqual([]);
  });

  it('an issuer with a command substitution never runs: refused at render time, or passed as text', async () => {
    const issuer = `${KEYCLOAK}/realms/x$(touch\${IFS}pwned)`;
    const hostile = values({ issuerUrl: issuer });
    const refused = await renderError({ values: hostile }).catch(() => undefined);
    if (refused !== undefined) {
      expect(refused).toContain(`global.keycloak.issuerUrl="${issuer}" is not an http(s) URL`);
      return;
    }
    const res = await podAgainstProxy(hostile);
    expect(res.created).toEqual([]);
  });
});

describe('the script is busybox-portable', () => {
  it('decodes percent-encoded query values with busybox printf', async () => {
    const out = await $({ quiet: true, env: { PATH: applets } })`${path.join(applets, 'sh')} -c ${"printf '%b' \"$(printf '%s' 'https%3A%2F%2Fa.example%2Fb+c' | sed 's/+/ /g; s/%\\([0-9A-Fa-f][0-9A-Fa-f]\\)/\\\\x\\1/g')\""}`;
    expect(out.stdout).toBe('https://a.example/b c');
    expect(existsSync(path.join(applets, 'wget'))).toBe(true);
  });
});
