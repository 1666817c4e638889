/**
 * Metrics (global.metrics; templates/_metrics.tpl): Backstage's Prometheus port `metrics` (9464) and
 * the env that starts its listener only when enabled, the Service <release>-backstage-metrics with
 * oauth2-proxy's and Backstage's metrics ports per sign-in mode, the ServiceMonitor, the NetworkPolicy
 * that admits both ports only from networkPolicy.metricsFrom, and the refusals (the upstream chart's
 * ServiceMonitor, which would scrape the login; a ServiceMonitor without metrics; a replaced port list).
 */
import type { V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { envOf, render, renderError, type Manifest } from '../support/chart.ts';

const MONITORING: V1NetworkPolicyPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
const ON = { global: { metrics: { enabled: true } } };
const PROXY_MODES = ['oauth2Proxy', 'verifiedToken'] as const;
const NATIVE_MODES = ['oidc', 'oauth2'] as const;

interface ServiceMonitor {
  apiVersion: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string; scheme: string; interval?: string }[] };
}

function metricsService(m: Manifest): V1Service {
  return m.get<V1Service>('Service', 'backstage-metrics');
}

function serviceMonitors(m: Manifest): ServiceMonitor[] {
  return m.all<ServiceMonitor>('ServiceMonitor');
}

function backstageIngress(m: Manifest): V1NetworkPolicyIngressRule[] {
  const ps = m.networkPolicies().filter((p) => p.metadata!.labels!['app.kubernetes.io/component'] === 'backstage');
  expect(ps).toHaveLength(1);
  return ps[0]!.spec!.ingress ?? [];
}

/** The ingress rules that open `port` (a port name). */
function rulesFor(m: Manifest, port: string): V1NetworkPolicyIngressRule[] {
  return backstageIngress(m).filter((r) => (r.ports ?? []).some((p) => p.port === port));
}

function modeValues(mode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, global: { ...((extra as { global?: object }).global ?? {}), signIn: { mode } } };
}

describe('global.metrics.enabled=false (the default)', () => {
  it('renders no metrics Service and no ServiceMonitor; Backstage has no metrics port and no metrics env', async () => {
    const m = await render();
    expect(m.has('Service', 'backstage-metrics')).toBe(false);
    expect(serviceMonitors(m)).toEqual([]);
    expect(m.backstage().ports!.map((p) => p.name)).toEqual(['backend', 'health']);
    expect(Object.keys(envOf(m.backstage()).values)).not.toContain('BACKSTAGE_METRICS_PORT');
  });

  it('networkPolicy.metricsFrom opens the proxy metrics port only, since Backstage exports none', async () => {
    const m = await render({ values: { networkPolicy: { metricsFrom: [MONITORING] } } });
    expect(rulesFor(m, 'metrics')).toEqual([]);
    expect(rulesFor(m, 'oauth2-metrics')).toEqual([{ ports: [{ port: 'oauth2-metrics', protocol: 'TCP' }], from: [MONITORING] }]);
  });
});

describe.each([...PROXY_MODES, ...NATIVE_MODES])('global.metrics.enabled=true in global.signIn.mode=%s', (mode) => {
  const proxy = (PROXY_MODES as readonly string[]).includes(mode);

  it('Backstage gets port metrics 9464 and BACKSTAGE_METRICS_PORT=9464 (the sidecar none of it)', async () => {
    const m = await render({ values: modeValues(mode, ON) });
    const b = m.backstage();
    expect(b.ports).toContainEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
    expect(b.ports).toContainEqual({ name: 'health', containerPort: 7008, protocol: 'TCP' });
    expect(envOf(b).values.BACKSTAGE_METRICS_PORT).toBe('9464');
    if (proxy) {
      expect(envOf(m.sidecar()).values.BACKSTAGE_METRICS_PORT).toBeUndefined();
      expect(m.sidecar().ports!.map((p) => p.name)).not.toContain('metrics');
    }
  });

  it(`the Service backstage-metrics exposes ${proxy ? "oauth2-proxy's and Backstage's" : "Backstage's"} metrics ports of the Backstage pods`, async () => {
    const m = await render({ values: modeValues(mode, ON) });
    const svc = metricsService(m);
    expect(svc.spec!.type).toBe('ClusterIP');
    const want = [
      ...(proxy ? [{ name: 'oauth2-proxy-metrics', port: 44180, targetPort: 'oauth2-metrics', protocol: 'TCP' }] : []),
      { name: 'backstage-metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
    ];
    expect(svc.spec!.ports).toEqual(want);
    // It selects the Backstage pods, and each target is a port one of their containers declares.
    const podLabels = m.deployment().spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(svc.spec!.selector!)) expect(podLabels[k], k).toBe(v);
    const declared = m.podSpec().containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    for (const p of want) expect(declared).toContain(p.targetPort);
    // The main Service is unchanged: still the login (or Backstage's port in the native modes).
    expect(m.service().spec!.ports!.map((p) => p.targetPort)).toEqual([proxy ? 'oauth2-proxy' : 'backend']);
  });

  it('the NetworkPolicy keeps both metrics ports closed while networkPolicy.metricsFrom is empty', async () => {
    const m = await render({ values: modeValues(mode, ON) });
    expect(rulesFor(m, 'metrics')).toEqual([]);
    expect(rulesFor(m, 'oauth2-metrics')).toEqual([]);
    expect(backstageIngress(m)).toHaveLength(1);
  });

  it('networkPolicy.metricsFrom opens the metrics ports to those peers only, in a rule of their own', async () => {
    const m = await render({ values: modeValues(mode, { ...ON, networkPolicy: { metricsFrom: [MONITORING] } }) });
    const rules = rulesFor(m, 'metrics');
    expect(rules).toEqual([{ ports: [...(proxy ? [{ port: 'oauth2-metrics', protocol: 'TCP' }] : []), { port: 'metrics', protocol: 'TCP' }], from: [MONITORING] }]);
    // The main port's rule does not carry them.
    const main = backstageIngress(m).filter((r) => r !== rules[0]);
    expect(main.flatMap((r) => r.ports!.map((p) => p.port))).toEqual([proxy ? 'oauth2-proxy' : 'backend']);
  });

  it('global.metrics.serviceMonitor.enabled: one ServiceMonitor scraping /metrics on each port of the metrics Service', async () => {
    const m = await render({ values: modeValues(mode, { global: { metrics: { enabled: true, serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'prometheus' } } } } }) });
    const sms = serviceMonitors(m);
    expect(sms).toHaveLength(1);
    const sm = sms[0]!;
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels.release).toBe('prometheus');
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['backstage'] });
    expect(sm.spec.endpoints).toEqual(metricsService(m).spec!.ports!.map((p) => ({ port: p.name, path: '/metrics', scheme: 'http', interval: '30s' })));
    // Its selector picks the metrics Service and not the upstream chart's (the login).
    const picks = (s: V1Service) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata!.labels?.[k] === v);
    expect(m.all<V1Service>('Service').filter(picks).map((s) => s.metadata!.name)).toEqual(['backstage-metrics']);
  });
});

describe('ServiceMonitor details', () => {
  it('no interval by default (Prometheus decides), and no ServiceMonitor unless asked', async () => {
    expect(serviceMonitors(await render({ values: ON }))).toEqual([]);
    const sm = serviceMonitors(await render({ values: { global: { metrics: { enabled: true, serviceMonitor: { enabled: true } } } } }))[0]!;
    for (const e of sm.spec.endpoints) expect(e.interval).toBeUndefined();
  });

  it("global.metrics.serviceMonitor.labels cannot replace the chart's own labels", async () => {
    const sm = serviceMonitors(await render({ values: { global: { metrics: { enabled: true, serviceMonitor: { enabled: true, labels: { 'app.kubernetes.io/instance': 'other', team: 'platform' } } } } } }))[0]!;
    expect(sm.metadata.labels['app.kubernetes.io/instance']).toBe('backstage');
    expect(sm.metadata.labels.team).toBe('platform');
  });
});

describe('backstage.backstage.extraPorts', () => {
  it("your ports follow the chart's item", async () => {
    const m = await render({ values: { ...ON, backstage: { backstage: { extraPorts: [{ name: 'health{{ include "backstage-keycloak.pod.rest" (dict "list" "ports" "ctx" .) }}' }, { name: 'debug', containerPort: 9229, protocol: 'TCP' }] } } } });
    expect(m.backstage().ports!.map((p) => `${p.name}:${p.containerPort}`)).toEqual(['backend:7007', 'health:7008', 'metrics:9464', 'debug:9229']);
  });

  it('a literal health entry (values written before the metrics) still renders while metrics are off', async () => {
    const m = await render({ values: { backstage: { backstage: { extraPorts: [{ name: 'health', containerPort: 7008, protocol: 'TCP' }] } } } });
    expect(m.backstage().ports!.map((p) => p.name)).toEqual(['backend', 'health']);
  });
});

describe('refusals name the value and the fix', () => {
  const cases: { name: string; values: Record<string, unknown>; message: RegExp }[] = [
    {
      name: 'the upstream chart ServiceMonitor (it scrapes the login)',
      values: { backstage: { metrics: { serviceMonitor: { enabled: true } } } },
      message: /backstage\.metrics\.serviceMonitor\.enabled=true: the upstream chart's ServiceMonitor scrapes the main Service port, which is oauth2-proxy's login.*use global\.metrics\.enabled=true with global\.metrics\.serviceMonitor\.enabled=true/,
    },
    {
      name: 'a ServiceMonitor without the metrics',
      values: { global: { metrics: { serviceMonitor: { enabled: true } } } },
      message: /global\.metrics\.serviceMonitor\.enabled=true needs global\.metrics\.enabled=true/,
    },
    {
      name: "metrics with a port list that drops the chart's item",
      values: { ...ON, backstage: { backstage: { extraPorts: [{ name: 'health', containerPort: 7008, protocol: 'TCP' }] } } },
      message: /global\.metrics\.enabled=true needs the port metrics \(9464\) on the Backstage container.*copy the default entry from the chart's values\.yaml into yours, first/,
    },
    {
      name: "a port of yours that takes the chart's metrics port",
      values: { ...ON, backstage: { backstage: { extraPorts: [{ name: 'health{{ include "backstage-keycloak.pod.rest" (dict "list" "ports" "ctx" .) }}' }, { name: 'metrics', containerPort: 9090 }] } } },
      message: /backstage\.backstage\.extraPorts\[1\] \(metrics 9090\) takes the name or number of a port the chart's first item prints/,
    },
    {
      name: 'the listener started or moved through global.extraEnvVars',
      values: { global: { extraEnvVars: [{ name: 'BACKSTAGE_METRICS_PORT', value: '9464' }, { name: 'BACKSTAGE_METRICS_HOST', value: '127.0.0.1' }] } },
      message: /global\.extraEnvVars\[0\] BACKSTAGE_METRICS_PORT would start or move Backstage's metrics listener.*set global\.metrics\.enabled=true[\s\S]*global\.extraEnvVars\[1\] BACKSTAGE_METRICS_HOST/,
    },
  ];
  it.each(cases)('$name', async ({ values, message }) => {
    expect(await renderError({ values })).toMatch(message);
  });

  it('the upstream ServiceMonitor is refused in the native modes too (Backstage serves no /metrics on its port)', async () => {
    expect(await renderError({ values: modeValues('oidc', { backstage: { metrics: { serviceMonitor: { enabled: true } } } }) })).toMatch(/backstage\.metrics\.serviceMonitor\.enabled=true/);
  });
});
