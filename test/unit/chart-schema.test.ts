/**
 * values.schema.json (generated from the annotated values.yaml) as Helm enforces it: a misspelt
 * key in our blocks fails the install with Helm's schema error naming it; the upstream chart's
 * block is left to the upstream schema; the globals the upstream charts read stay allowed.
 */
import { describe, expect, it } from 'vitest';
import { render, renderError } from '../support/chart.ts';
import { dryRunInstall } from '../support/install.ts';

describe('values.schema.json, closed where the chart owns the values', () => {
  it('a misspelt key (global.keycloak.issuerURL) fails the install with Helm\'s schema error naming it', async () => {
    const res = await dryRunInstall({ global: { keycloak: { issuerURL: 'https://keycloak.example.com/realms/backstage' } } });
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/INSTALLATION FAILED: values don't meet the specifications of the schema/);
    expect(res.output).toMatch(/at '\/global\/keycloak': additional properties 'issuerURL' not allowed/);
    // helm template (GitOps tools, npm run render) refuses it the same way.
    expect(await renderError({ values: { global: { keycloak: { issuerURL: 'x' } } } })).toMatch(/at '\/global\/keycloak': additional properties 'issuerURL' not allowed/);
  });

  it('the same values without the typo install', async () => {
    const res = await dryRunInstall({});
    expect(res.output).toMatch(/NOTES:/);
    expect(res.ok).toBe(true);
  });

  it.each([
    ['the root', { globl: { host: 'x' } }, /at '': additional properties 'globl' not allowed/],
    ['global', { global: { hots: 'x' } }, /at '\/global': additional properties 'hots' not allowed/],
    ['global.oauth2Proxy.cookie', { global: { oauth2Proxy: { cookie: { expires: '1h' } } } }, /at '\/global\/oauth2Proxy\/cookie': additional properties 'expires' not allowed/],
    ['networkPolicy', { networkPolicy: { enable: false } }, /at '\/networkPolicy': additional properties 'enable' not allowed/],
    ['tests.image', { tests: { image: { tags: '1' } } }, /at '\/tests\/image': additional properties 'tags' not allowed/],
    ['keycloakDev (our subchart)', { keycloakDev: { publicURL: 'http://k' } }, /at '\/keycloakDev': additional properties 'publicURL' not allowed/],
  ])('refuses an unknown key in %s', async (_where, values, message) => {
    expect(await renderError({ values })).toMatch(message);
  });

  it('checks types and enums, naming the key', async () => {
    expect(await renderError({ values: { global: { signIn: { mode: 'headers' } } } })).toMatch(/at '\/global\/signIn\/mode': value must be one of 'oauth2Proxy', 'verifiedToken'/);
    expect(await renderError({ values: { global: { host: 7007 } } })).toMatch(/at '\/global\/host': got number, want string/);
    expect(await renderError({ values: { global: { oauth2Proxy: { extraEnv: { OAUTH2_PROXY_FOO: { a: 1 } } } } } })).toMatch(/at '\/global\/oauth2Proxy\/extraEnv\/OAUTH2_PROXY_FOO': got object/);
    expect(await renderError({ values: { global: { keycloak: { catalogSync: { frequencyMinutes: 0 } } } } })).toMatch(/at '\/global\/keycloak\/catalogSync\/frequencyMinutes': minimum: got 0, want 1/);
  });

  it('accepts the upstream charts\' globals, the dev Keycloak with its globals, and leaves backstage.* to the upstream schema', async () => {
    const m = await render({
      values: { global: { storageClass: 'fast', imagePullSecrets: ['pull'], postgresql: { auth: { username: 'bs' } } }, keycloakDev: { enabled: true, publicUrl: 'http://keycloak.localhost:8080' } },
    });
    expect(m.has('Deployment', 'backstage-keycloak-dev')).toBe(true);
    // Not ours to close: the upstream chart's own strict schema refuses this (see chart-validation).
    expect(await renderError({ values: { backstage: { backstage: { notAKey: true } } } })).not.toMatch(/backstage-keycloak:\n- at '\/backstage/);
  });
});
