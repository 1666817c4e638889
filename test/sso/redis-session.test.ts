/**
 * global.oauth2Proxy.sessionStore.type=redis end to end, every component real: Keycloak (dev
 * realm), oauth2-proxy v7.15.6 with the rendered configuration (the Redis password from the
 * rendered Secret), Backstage, and Debian's redis-server started by the stack with that password.
 * The browser's cookie is a small ticket, the session lives (encrypted) in Redis, and removing it
 * there ends the sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../scripts/lib/dev-credentials.ts';
import { request } from '../../scripts/lib/http.ts';
import { backstageIdentity, loginThroughProxy } from '../../scripts/lib/login/proxy.ts';
import { startStack, type Stack } from '../../scripts/lib/run/stack.ts';

const PASSWORD = 'sso-redis-password-NOT-REAL';
let stack: Stack;
const { alice } = DEV_USERS;

beforeAll(async () => {
  stack = await startStack({ values: { global: { oauth2Proxy: { sessionStore: { type: 'redis', redis: { url: 'redis://redis.example.com:6379', password: PASSWORD } } } } } });
});

afterAll(async () => {
  await stack?.stop();
});

describe('redis session store', () => {
  it('the sidecar gets the store and the password as rendered; the Redis requires that password', async () => {
    expect(stack.launch.env.OAUTH2_PROXY_SESSION_STORE_TYPE).toBe('redis');
    expect(stack.launch.env.OAUTH2_PROXY_REDIS_PASSWORD).toBe(PASSWORD);
    expect(stack.launch.args.join(' ')).not.toContain(PASSWORD);
    expect(stack.redis).toBeDefined();
    // Without AUTH the server refuses: oauth2-proxy can only have stored sessions with the password.
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(stack.redis!.port, '127.0.0.1', () => s.write('*1\r\n$4\r\nPING\r\n'));
      s.on('data', (d) => {
        resolve(d.toString());
        s.end();
      });
      s.on('error', reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
  });

  it('a login through the proxy leaves one small ticket cookie, and the session in Redis, encrypted', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    const header = jar.header(new URL('/api/catalog/entities', stack.publicUrl)) ?? '';
    const name = stack.launch.env.OAUTH2_PROXY_COOKIE_NAME!;
    const session = header.split('; ').filter((c) => c.startsWith(`${name}=`) || c.startsWith(`${name}_`));
    expect(session.map((c) => c.slice(0, c.indexOf('=')))).toEqual([name]);
    expect(Buffer.byteLength(session[0]!)).toBeLessThan(400);

    const id = await backstageIdentity(stack.publicUrl, jar);
    expect(id.status).toBe(200);
    expect(typeof id.body === 'object' && id.body.backstageIdentity?.identity.userEntityRef).toBe('user:default/alice');

    const keys = (await stack.redis!.command('KEYS', '*')).split('\n').filter(Boolean);
    const ours = keys.filter((k) => k.startsWith(`${name}-`));
    expect(ours.length).toBeGreaterThanOrEqual(1);
    for (const k of ours) {
      const value = await stack.redis!.command('GET', k);
      expect(value.length).toBeGreaterThan(1000); // the tokens live here, not in the cookie
      expect(value).not.toContain('alice');
      expect(value).not.toContain('eyJ'); // no JWT in clear
    }

    // The cookie alone is no session: with the Redis entries gone, the API answers 401.
    for (const k of ours) await stack.redis!.command('DEL', k);
    const after = await request(new URL('/api/catalog/entities?limit=1', stack.publicUrl), { jar });
    expect(after.status).toBe(401);
  });

  it('a session minted by one replica is accepted by another (same Secret, same Redis); a Redis restart without persistence signs everyone out, as docs/production.md says', async () => {
    const { jar } = await loginThroughProxy(stack.publicUrl, alice.username, alice.password);
    // The second replica: the same rendered configuration (same Secret, same Redis), its own process and port.
    const other = await stack.addProxy({});
    // Cookies are per host, not per port (as in a browser): the jar sends alice's ticket to both.
    expect(new URL(other.publicUrl).hostname).toBe(new URL(stack.publicUrl).hostname);
    const id = await backstageIdentity(other.publicUrl, jar);
    expect(id.status).toBe(200);
    expect(typeof id.body === 'object' && id.body.backstageIdentity?.identity.userEntityRef).toBe('user:default/alice');

    await stack.redis!.restart();
    for (const url of [stack.publicUrl, other.publicUrl]) {
      const after = await request(new URL('/api/catalog/entities?limit=1', url), { jar });
      expect(after.status, url).toBe(401);
    }
  });
});

