/** What `helm install` prints (NOTES.txt), per sign-in mode and setting. */
import { describe, expect, it } from 'vitest';
import { dryRunInstall } from '../helpers/install.ts';

describe('NOTES', () => {
  it('oauth2Proxy mode names the oauth2Proxy provider\'s refresh endpoint', async () => {
    const { notes, output } = await dryRunInstall();
    expect(notes, output).toContain('https://backstage.example.com/api/auth/oauth2Proxy/refresh then shows your identity');
    expect(notes).not.toContain('oidcProxy');
  });

  it('verifiedToken mode names the oidcProxy provider\'s refresh endpoint, not oauth2Proxy\'s', async () => {
    const { notes, output } = await dryRunInstall({ global: { signIn: { mode: 'verifiedToken' } } });
    expect(notes, output).toContain('https://backstage.example.com/api/auth/oidcProxy/refresh then shows your identity');
    expect(notes).toContain('global.signIn.mode=verifiedToken');
    expect(notes).not.toContain('/api/auth/oauth2Proxy/');
  });

  it('prints the redirect URI to register and the authorization endpoint to expect', async () => {
    const { notes } = await dryRunInstall({ global: { keycloak: { internalUrl: 'http://keycloak.kc.svc:8080' } } });
    expect(notes).toContain('\n  https://backstage.example.com/oauth2/callback\n');
    expect(notes).toContain('expected: https://keycloak.example.com/realms/backstage/protocol/openid-connect/auth?');
  });

  it('without trustedProxyIPs, says that forwarded headers are ignored from every client and what that costs', async () => {
    const { notes } = await dryRunInstall({ global: { oauth2Proxy: { trustedProxyIPs: [] } } });
    expect(notes).toMatch(/global\.oauth2Proxy\.trustedProxyIPs is empty, so oauth2-proxy runs without --reverse-proxy and ignores X-Forwarded-Proto\/Host\/Uri\/For from every client/);
    expect(notes).toMatch(/its logs show your ingress controller's address instead of the client's/);
    expect(notes).toMatch(/The identity headers \(X-Forwarded-User\/Email\/Preferred-Username\/Groups\) are always deleted from client requests/);
    const set = await dryRunInstall();
    expect(set.notes).not.toContain('trustedProxyIPs is empty');
  });
});
