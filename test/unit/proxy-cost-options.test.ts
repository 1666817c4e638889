/**
 * The chart options that cut oauth2-proxy's cost per request (docs/benchmarks.md): the redis
 * session store (URL in the ConfigMap, password only through a Secret, its NetworkPolicy), request
 * logging, and the Go runtime's GOGC/GOMEMLIMIT. Defaults render nothing new.
 */
import { describe, expect, it } from 'vitest';
import { envOf, render, renderError } from '../support/chart.ts';
import { configTest } from '../support/oauth2-proxy.ts';

const REDIS = { type: 'redis', redis: { url: 'redis://redis-master.redis.svc:6379', password: 'redis-pass-NOT-REAL' } };
const cm = (m: Awaited<ReturnType<typeof render>>) => m.configMap('backstage-oauth2-proxy').data!;

describe('oauth2-proxy cost options', () => {
  it('defaults: cookie sessions, request logging on, GOGC 400 within GOMEMLIMIT 96MiB; no Redis password reference (nothing the cluster must hold)', async () => {
    const m = await render();
    const data = cm(m);
    for (const k of ['OAUTH2_PROXY_SESSION_STORE_TYPE', 'OAUTH2_PROXY_REDIS_CONNECTION_URL', 'OAUTH2_PROXY_REQUEST_LOGGING']) expect(data[k], k).toBeUndefined();
    expect(data).toMatchObject({ GOGC: '400', GOMEMLIMIT: '96MiB' });
    // the soft limit stays below the sidecar's memory limit
    expect(m.sidecar().resources!.limits!.memory).toBe('128Mi');
    expect(m.sidecar().env!.map((x) => x.name)).not.toContain('OAUTH2_PROXY_REDIS_PASSWORD');
    expect(m.secretData('backstage-oauth2-proxy')['redis-password']).toBeUndefined();
    expect(m.networkPolicies().map((p) => p.metadata!.name)).not.toContain('backstage-redis');
  });

  it('redis store: type and URL in the ConfigMap, the password only in the Secret (secretKeyRef), a NetworkPolicy for the Redis pods', async () => {
    const m = await render({ values: { global: { oauth2Proxy: { sessionStore: { ...REDIS, redis: { ...REDIS.redis, podSelector: { 'app.kubernetes.io/name': 'redis' } } } } }, networkPolicy: { enabled: true } } });
    expect(cm(m)).toMatchObject({ OAUTH2_PROXY_SESSION_STORE_TYPE: 'redis', OAUTH2_PROXY_REDIS_CONNECTION_URL: 'redis://redis-master.redis.svc:6379' });
    expect(m.secretData('backstage-oauth2-proxy')['redis-password']).toBe('redis-pass-NOT-REAL');
    expect(envOf(m.sidecar()).secretRefs.OAUTH2_PROXY_REDIS_PASSWORD).toEqual({ name: 'backstage-oauth2-proxy', key: 'redis-password' });
    // never a literal: not in the ConfigMap, args or any env value
    expect(JSON.stringify(cm(m))).not.toContain('redis-pass-NOT-REAL');
    expect(JSON.stringify(m.sidecar())).not.toContain('redis-pass-NOT-REAL');
    const np = m.networkPolicies().find((p) => p.metadata!.name === 'backstage-redis')!;
    expect(np.spec!.podSelector!.matchLabels).toEqual({ 'app.kubernetes.io/name': 'redis' });
    expect(np.spec!.ingress).toEqual([{ ports: [{ port: 6379, protocol: 'TCP' }], from: [{ podSelector: { matchLabels: m.deployment().spec!.selector.matchLabels } }] }]);
  });

  it('redis store with an existing Secret: the sidecar reads it there, the chart stores no password', async () => {
    const m = await render({ values: { global: { oauth2Proxy: { sessionStore: { type: 'redis', redis: { url: 'rediss://redis:6380/2', existingSecret: 'my-redis', existingSecretKey: 'pw' } } } } } });
    expect(envOf(m.sidecar()).secretRefs.OAUTH2_PROXY_REDIS_PASSWORD).toEqual({ name: 'my-redis', key: 'pw' });
    expect(m.secretData('backstage-oauth2-proxy')['redis-password']).toBeUndefined();
  });

  it('request logging off and other GOGC/GOMEMLIMIT: rendered into the ConfigMap; empty keeps Go defaults', async () => {
    const m = await render({ values: { global: { oauth2Proxy: { logging: { requests: false }, goRuntime: { gogc: 200, gomemlimit: '64MiB' } } } } });
    expect(cm(m)).toMatchObject({ OAUTH2_PROXY_REQUEST_LOGGING: 'false', GOGC: '200', GOMEMLIMIT: '64MiB' });
    const plain = cm(await render({ values: { global: { oauth2Proxy: { goRuntime: { gogc: '', gomemlimit: '' } } } } }));
    expect(plain.GOGC).toBeUndefined();
    expect(plain.GOMEMLIMIT).toBeUndefined();
  });

  // The redis configuration is started for real, against a real redis-server, in the SSO tier
  // (test/sso/redis-session.test.ts): --config-test would dial the Redis address.
  it('the real oauth2-proxy accepts the configuration without request logging and with GOGC/GOMEMLIMIT', async () => {
    const oauth2Proxy = { logging: { requests: false }, goRuntime: { gogc: 400, gomemlimit: '96MiB' } };
    const res = await configTest(await render({ values: { global: { keycloak: { internalUrl: 'http://keycloak.kc.svc:8080' }, oauth2Proxy } } }));
    expect(res.ok, res.output).toBe(true);
  });

  const refused: { name: string; oauth2Proxy: Record<string, unknown>; message: RegExp }[] = [
    { name: 'redis without a URL', oauth2Proxy: { sessionStore: { type: 'redis' } }, message: /sessionStore\.type=redis needs global\.oauth2Proxy\.sessionStore\.redis\.url/ },
    { name: 'credentials in the URL', oauth2Proxy: { sessionStore: { type: 'redis', redis: { url: 'redis://:hunter2secret@redis:6379' } } }, message: /redis\.url="redis:\/\/\*\*\*@redis:6379": use redis:\/\/<host>:<port>\[\/<db>\] .* no credentials in it/ },
    { name: 'not a redis URL', oauth2Proxy: { sessionStore: { type: 'redis', redis: { url: 'http://redis:6379' } } }, message: /redis\.url="http:\/\/redis:6379": use redis:\/\// },
    { name: 'password and existing Secret', oauth2Proxy: { sessionStore: { type: 'redis', redis: { url: 'redis://r:6379', password: 'p', existingSecret: 's' } } }, message: /redis\.password and existingSecret are both set: keep one/ },
    { name: 'a Redis password in extraEnv', oauth2Proxy: { extraEnv: { OAUTH2_PROXY_REDIS_PASSWORD: 'p' } }, message: /extraEnv\.OAUTH2_PROXY_REDIS_PASSWORD: secrets never go into the ConfigMap; .*sessionStore\.redis\.password/ },
    { name: 'the store type in extraEnv', oauth2Proxy: { extraEnv: { OAUTH2_PROXY_SESSION_STORE_TYPE: 'redis' } }, message: /extraEnv\.OAUTH2_PROXY_SESSION_STORE_TYPE: the chart derives this setting and depends on it; set global\.oauth2Proxy\.sessionStore\.type instead/ },
    { name: 'a bad GOGC', oauth2Proxy: { goRuntime: { gogc: 'fast' } }, message: /goRuntime\.gogc="fast": use a percentage such as 100 or 400, or off/ },
    { name: 'a bad GOMEMLIMIT', oauth2Proxy: { goRuntime: { gomemlimit: '96M' } }, message: /goRuntime\.gomemlimit="96M": use bytes with a unit, e\.g\. 96MiB/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}, naming the value and the fix`, async () => {
      const err = await renderError({ values: { global: { oauth2Proxy: c.oauth2Proxy } } });
      expect(err).toMatch(c.message);
      expect(err).not.toContain('hunter2secret');
    });
  }

  it('refuses a sidecar entry whose Redis password reads another Secret', async () => {
    const m = await render();
    const sidecar = structuredClone(m.sidecar()) as any;
    const others = m.deployment().spec!.template.spec!.containers.filter((c) => c.name !== 'oauth2-proxy' && c.name !== 'backstage-backend');
    sidecar.env.push({ name: 'OAUTH2_PROXY_REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'elsewhere', key: 'redis-password' } } });
    const err = await renderError({ values: { global: { oauth2Proxy: { sessionStore: REDIS } }, backstage: { backstage: { extraContainers: [sidecar, ...others] } } } });
    // The sidecar is the chart's: a copy with another Secret reference is refused as a whole.
    expect(err).toMatch(/backstage\.backstage\.extraContainers is built by the chart \(templates\/_pod\.tpl\), but your values replace it \(oauth2-proxy\): .*under global\.extraContainers/);
  });
});
