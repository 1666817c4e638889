import { describe, expect, it } from 'vitest';
import { sidecarLaunch } from '../../scripts/lib/chart/sidecar.ts';
import { render } from '../support/chart.ts';

const LOCAL = { proxyPort: 14180, metricsPort: 14181, publicOrigin: 'http://localhost:14180', keycloakOrigin: 'http://127.0.0.1:18080', backstageOrigin: 'http://127.0.0.1:17007' };

describe('local launch of the rendered sidecar', () => {
  it('keeps every rendered setting and secret, rewriting only addresses (and says which)', async () => {
    const m = await render();
    const launch = sidecarLaunch(m.objects, LOCAL);
    const rendered = m.configMap('backstage-oauth2-proxy').data!;
    expect(launch.args).toEqual(['--alpha-config=']);
    expect(launch.env.OAUTH2_PROXY_CLIENT_SECRET).toBe('example-client-secret-NOT-REAL');
    expect(launch.env.OAUTH2_PROXY_COOKIE_SECRET).toBe('fake-cookie-secret-for-docs-0001');
    expect(launch.rewritten.map((r) => r.key).sort()).toEqual(['OAUTH2_PROXY_BACKEND_LOGOUT_URL', 'OAUTH2_PROXY_HTTP_ADDRESS', 'OAUTH2_PROXY_METRICS_ADDRESS', 'OAUTH2_PROXY_OIDC_ISSUER_URL', 'OAUTH2_PROXY_REDIRECT_URL', 'OAUTH2_PROXY_UPSTREAMS']);
    // Sign-out's server-side call to Keycloak's end-session endpoint keeps its {id_token} placeholder.
    expect(launch.env.OAUTH2_PROXY_BACKEND_LOGOUT_URL).toBe('http://127.0.0.1:18080/realms/backstage/protocol/openid-connect/logout?id_token_hint={id_token}');
    expect(launch.env.OAUTH2_PROXY_OIDC_ISSUER_URL).toBe('http://127.0.0.1:18080/realms/backstage');
    expect(launch.env.OAUTH2_PROXY_REDIRECT_URL).toBe('http://localhost:14180/oauth2/callback');
    expect(launch.env.OAUTH2_PROXY_UPSTREAMS).toBe('http://127.0.0.1:17007/');
    const changed = new Set(launch.rewritten.map((r) => r.key));
    for (const [k, v] of Object.entries(rendered)) if (!changed.has(k)) expect(launch.env[k], k).toBe(v);
  });

  it('maps the in-cluster Keycloak URLs too when discovery is skipped', async () => {
    const m = await render({ set: ['global.keycloak.internalUrl=http://keycloak.kc.svc:8080'] });
    const launch = sidecarLaunch(m.objects, { ...LOCAL, keycloakInternalOrigin: 'http://127.0.0.1:18080' });
    expect(launch.env.OAUTH2_PROXY_LOGIN_URL).toBe('http://127.0.0.1:18080/realms/backstage/protocol/openid-connect/auth');
    expect(launch.env.OAUTH2_PROXY_REDEEM_URL).toBe('http://127.0.0.1:18080/realms/backstage/protocol/openid-connect/token');
  });
});
