/** Fast checks of the harness helpers' pure parts (no processes started). */
import { describe, expect, it } from 'vitest';
import { readRealm } from '../../scripts/lib/run/keycloak.ts';
import { argValue } from '../../scripts/lib/run/oauth2-proxy.ts';
import { CookieJar, decodeJwt, loginFormAction, loginPageError, pkcePair } from '../support/oidc.ts';
import { masker } from '../../scripts/lib/run/process.ts';
import { createHash } from 'node:crypto';

describe('masker', () => {
  it('replaces every occurrence of every secret, longest first', () => {
    const mask = masker(['s3cr3t-value', 's3cr3t', undefined, 'ab']);
    expect(mask('a s3cr3t-value b s3cr3t c ab')).toBe('a *** b *** c ab');
  });
});

describe('argValue', () => {
  it('reads --name=value and --name value, last wins', () => {
    const args = ['--http-address=0.0.0.0:4180', '--upstream', 'http://a/', '--http-address=127.0.0.1:5000'];
    expect(argValue(args, 'http-address')).toBe('127.0.0.1:5000');
    expect(argValue(args, 'upstream')).toBe('http://a/');
    expect(argValue(args, 'provider')).toBeUndefined();
  });
});

describe('oidc helpers', () => {
  it('makes an RFC 7636 S256 pair', () => {
    const p = pkcePair();
    expect(p.verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(p.challenge).toBe(createHash('sha256').update(p.verifier).digest('base64url'));
  });

  it('finds the login form action and decodes entities', () => {
    const html = '<form id="kc-form-login" onsubmit="x" action="http://127.0.0.1:1/realms/b/login-actions/authenticate?session_code=a&amp;execution=b" method="post">';
    expect(loginFormAction(html)).toBe('http://127.0.0.1:1/realms/b/login-actions/authenticate?session_code=a&execution=b');
    expect(loginFormAction('<form id="other" action="x">')).toBeUndefined();
    expect(loginPageError('<span id="input-error" class="x" aria-live="polite">\n Invalid username or password. </span>')).toBe('Invalid username or password.');
  });

  it('keeps cookies per host, ignoring ports, and drops expired ones', () => {
    const jar = new CookieJar();
    jar.store(new URL('http://127.0.0.1:1/'), ['A=1; Path=/', 'B=2; HttpOnly', 'S=3; Secure']);
    jar.store(new URL('http://127.0.0.1:2/'), ['B=; Max-Age=0']);
    // Loopback is a secure context, as in browsers: the Secure cookie flows over http there.
    expect(jar.header(new URL('http://127.0.0.1:3/x'))).toBe('A=1; S=3');
    expect(jar.header(new URL('http://localhost:1/'))).toBeUndefined();
    jar.store(new URL('http://example.test/'), ['T=1; Secure']);
    expect(jar.header(new URL('http://example.test/'))).toBeUndefined();
    expect(jar.header(new URL('https://example.test/'))).toBe('T=1');
  });

  it('decodes a JWT payload', () => {
    const t = `x.${Buffer.from(JSON.stringify({ aud: 'backstage' })).toString('base64url')}.y`;
    expect(decodeJwt(t)).toEqual({ aud: 'backstage' });
  });
});

describe('dev realm file', () => {
  it('keeps the backstage client to the standard flow with PKCE S256 and env placeholders', async () => {
    const realm = (await readRealm()) as { clients: Array<Record<string, unknown> & { attributes?: Record<string, string> }> };
    const c = realm.clients.find((x) => x.clientId === 'backstage')!;
    expect(c).toMatchObject({ publicClient: false, standardFlowEnabled: true, implicitFlowEnabled: false, directAccessGrantsEnabled: false, serviceAccountsEnabled: false });
    expect(c.secret).toBe('${BACKSTAGE_CLIENT_SECRET}');
    // The proxy's callback and Backstage's native handlers: one client for every sign-in mode.
    expect(c.redirectUris).toEqual(['${BACKSTAGE_PUBLIC_URL}/oauth2/callback', '${BACKSTAGE_PUBLIC_URL}/api/auth/oidc/handler/frame', '${BACKSTAGE_PUBLIC_URL}/api/auth/oauth2/handler/frame']);
    expect(c.attributes?.['pkce.code.challenge.method']).toBe('S256');
  });
});
