/** What `helm install` prints (NOTES.txt), per sign-in mode and setting. */
import { describe, expect, it } from 'vitest';
import { dryRunInstall } from '../support/install.ts';

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
    expect(set.notes).not.toContain('every sender in it');
  });

  it.each([['10.0.0.0/8'], ['0.0.0.0/0'], ['fd00::/8']])('a cluster-wide trustedProxyIPs range (%s) is warned about: what its senders can and cannot do', async (range) => {
    const { notes } = await dryRunInstall({ global: { oauth2Proxy: { trustedProxyIPs: ['10.42.7.0/26', range] } } });
    expect(notes).toContain(`global.oauth2Proxy.trustedProxyIPs has ${range}: every sender in it`);
    expect(notes).toMatch(/It cannot skip the login \(the proxy has no route without one\)/);
    expect(notes).not.toContain('has 10.42.7.0/26');
  });

  it.each(['oidc', 'oauth2'])('%s mode prints its own redirect URI, the post-logout URI, no proxy settings, and which proxy values go unused', async (mode) => {
    const { notes, output } = await dryRunInstall({ global: { signIn: { mode } } });
    expect(notes, output).toContain(`\n  https://backstage.example.com/api/auth/${mode}/handler/frame\n`);
    expect(notes).not.toContain('/oauth2/callback');
    expect(notes).toContain('https://backstage.example.com/* under Valid post logout redirect URIs');
    expect(notes).toContain(`global.signIn.mode=${mode} (Backstage's ${mode} provider, the only one it serves)`);
    expect(notes).toContain(`curl -sI 'http://127.0.0.1:7007/api/auth/${mode}/start?env=production&scope=openid&origin=https%3A%2F%2Fbackstage.example.com'`);
    expect(notes).toMatch(/global\.oauth2Proxy\.cookieSecret, global\.oauth2Proxy\.trustedProxyIPs: unused in global\.signIn\.mode=/);
    expect(notes).not.toContain("The proxy's settings are in ConfigMap");
    // A fresh install: no mode change to report.
    expect(notes).not.toContain('SIGN-IN MODE CHANGES');
  });
});
