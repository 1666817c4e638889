/**
 * Issue 17, least privilege of the Backstage pods (render level; the cluster tier proves that
 * kube-router enforces the policies): no Kubernetes API token in the pod, egress only to DNS,
 * Keycloak, PostgreSQL, the Redis session store and listed extras, the proxy's metrics port closed
 * unless a source is named, and the bundled PostgreSQL (bitnami or postgres-dev) reachable only from
 * the Backstage pods.
 */
import path from 'node:path';
import type { V1NetworkPolicy, V1NetworkPolicyEgressRule, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { render, renderError, type Manifest } from '../support/chart.ts';

const KIND = path.join(repoRoot, 'values', 'kind.yaml');
const BACKSTAGE_POD = { 'app.kubernetes.io/name': 'backstage', 'app.kubernetes.io/instance': 'backstage', 'app.kubernetes.io/component': 'backstage' };

function backstagePolicy(m: Manifest): V1NetworkPolicy {
  const ps = m.networkPolicies().filter((p) => p.metadata!.labels!['app.kubernetes.io/component'] === 'backstage');
  expect(ps).toHaveLength(1);
  return ps[0]!;
}

function egress(m: Manifest): V1NetworkPolicyEgressRule[] {
  return backstagePolicy(m).spec!.egress ?? [];
}

/** The rule that opens `port`, if any. */
function ruleFor(rules: V1NetworkPolicyEgressRule[], port: number): V1NetworkPolicyEgressRule | undefined {
  return rules.find((r) => (r.ports ?? []).some((p) => p.port === port));
}

/** Pod templates of the release (Deployment or StatefulSet), with their labels. */
function podTemplates(m: Manifest): { owner: string; labels: Record<string, string>; spec: V1PodSpec }[] {
  return m.objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => {
      const t = (o as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: V1PodSpec } } }).spec.template;
      return { owner: `${o.kind}/${o.metadata.name}`, labels: t.metadata.labels, spec: t.spec };
    });
}

/** The `from` peers of an ingress rule (the client library names the field `_from`). */
function peersOf(rule: V1NetworkPolicyIngressRule): V1NetworkPolicyPeer[] | undefined {
  return (rule as unknown as { from?: V1NetworkPolicyPeer[] }).from;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Whether a pod of this spec mounts an API token: the pod's field wins, else its ServiceAccount's (default true). */
function mountsToken(m: Manifest, spec: V1PodSpec): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  const sa = spec.serviceAccountName ?? 'default';
  if (!m.has('ServiceAccount', sa)) return true; // the namespace's default ServiceAccount mounts one
  return (m.get<{ automountServiceAccountToken?: boolean }>('ServiceAccount', sa).automountServiceAccountToken ?? true) !== false;
}

describe('no Kubernetes API token in the Backstage pod', () => {
  it('the pod runs as its own ServiceAccount, which mounts no token (a compromised Backstage or proxy gets no API credential)', async () => {
    const m = await render();
    const spec = m.podSpec();
    expect(spec.serviceAccountName).toBe('backstage');
    expect(m.get<{ automountServiceAccountToken: boolean }>('ServiceAccount', 'backstage').automountServiceAccountToken).toBe(false);
    expect(mountsToken(m, spec)).toBe(false);
  });

  it('the Kubernetes plugin case: a token only when asked for, on the dedicated ServiceAccount', async () => {
    const m = await render({ set: ['backstage.serviceAccount.automountServiceAccountToken=true'] });
    expect(m.podSpec().serviceAccountName).toBe('backstage');
    expect(mountsToken(m, m.podSpec())).toBe(true);
  });

  it("refuses the namespace's default ServiceAccount (it mounts a token), accepts a named one the user manages", async () => {
    expect(await renderError({ set: ['backstage.serviceAccount.create=false'] })).toMatch(/backstage\.serviceAccount\.create=false without backstage\.serviceAccount\.name: the Backstage pods would run as the namespace's default ServiceAccount, with its API token mounted/);
    const m = await render({ set: ['backstage.serviceAccount.create=false', 'backstage.serviceAccount.name=backstage-reader'] });
    expect(m.podSpec().serviceAccountName).toBe('backstage-reader');
  });

  it('kind: no pod of the release mounts a token', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    for (const p of podTemplates(m)) expect(mountsToken(m, p.spec), p.owner).toBe(false);
  });
});

describe('egress of the Backstage pods', () => {
  it('example values: DNS to kube-dns, Keycloak on the issuer port, the bundled PostgreSQL pods; every rule names its ports (no open egress)', async () => {
    const m = await render();
    const np = backstagePolicy(m);
    expect(np.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    const rules = egress(m);
    for (const r of rules) expect(r.ports?.length, JSON.stringify(r)).toBeGreaterThan(0);
    const dns = ruleFor(rules, 53)!;
    expect(dns.ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    expect(dns.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
    expect(ruleFor(rules, 443)!.ports).toEqual([{ port: 443, protocol: 'TCP' }]); // https://keycloak.example.com
    const db = ruleFor(rules, 5432)!;
    const pg = podTemplates(m).find((p) => p.owner === 'StatefulSet/backstage-postgresql')!;
    expect(selects(db.to![0]!.podSelector!.matchLabels!, pg.labels)).toBe(true);
    expect(rules.flatMap((r) => r.ports!.map((p) => p.port)).sort()).toEqual([443, 53, 53, 5432].sort());
  });

  it('values/kind.yaml: Keycloak and PostgreSQL are the dev subcharts, selected by their pod labels on their container ports', async () => {
    const m = await render({ noExample: true, valuesFiles: [KIND] });
    const rules = egress(m);
    const pods = podTemplates(m);
    for (const [port, owner] of [[8080, 'Deployment/backstage-keycloak-dev'], [5432, 'Deployment/backstage-postgres-dev']] as const) {
      const r = ruleFor(rules, port)!;
      expect(r, `rule for ${port}`).toBeDefined();
      const target = pods.find((p) => p.owner === owner)!;
      expect(target, owner).toBeDefined();
      expect(r.to).toHaveLength(1);
      expect(selects(r.to![0]!.podSelector!.matchLabels!, target.labels), `${owner} selected`).toBe(true);
      expect(selects(r.to![0]!.podSelector!.matchLabels!, BACKSTAGE_POD)).toBe(false);
      expect(target.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort))).toContain(port);
    }
    expect(rules.flatMap((r) => r.ports!.map((p) => p.port)).sort()).toEqual([53, 53, 8080, 5432].sort());
  });

  it('Keycloak ports derive from the issuer and the in-cluster URL, or are given; peers narrow it', async () => {
    const derived = egress(await render({ set: ['global.keycloak.internalUrl=http://keycloak.kc.svc:8080'] }));
    expect(ruleFor(derived, 443)!.ports!.map((p) => p.port)).toEqual([443, 8080]);
    const peer = { ipBlock: { cidr: '203.0.113.10/32' } };
    const given = egress(await render({ values: { networkPolicy: { egress: { keycloak: { ports: [8443], to: [peer] } } } } }));
    expect(ruleFor(given, 8443)).toEqual({ ports: [{ port: 8443, protocol: 'TCP' }], to: [peer] });
    expect(ruleFor(given, 443)).toBeUndefined();
  });

  it('an external database: its port, narrowed by its peers; no policy for a database the chart does not run', async () => {
    const peer = { ipBlock: { cidr: '10.20.0.0/24' } };
    const m = await render({ values: { backstage: { postgresql: { enabled: false }, backstage: { extraEnvVarsSecrets: ['db'] } }, networkPolicy: { egress: { database: { port: 6432, to: [peer] } } } } });
    expect(ruleFor(egress(m), 6432)).toEqual({ ports: [{ port: 6432, protocol: 'TCP' }], to: [peer] });
    expect(m.networkPolicies().map((p) => p.metadata!.name)).toEqual(['backstage-proxy-only']);
  });

  it('the Redis session store: its pods when a selector is given, else the URL port; extra rules are appended', async () => {
    const redis = { type: 'redis', redis: { url: 'rediss://redis.cache.svc:6380', podSelector: {} as Record<string, string> } };
    expect(ruleFor(egress(await render({ values: { global: { oauth2Proxy: { sessionStore: redis } } } })), 6380)!.to).toBeUndefined();
    const selected = egress(await render({ values: { global: { oauth2Proxy: { sessionStore: { ...redis, redis: { ...redis.redis, podSelector: { 'app.kubernetes.io/name': 'redis' } } } } } } }));
    expect(ruleFor(selected, 6379)).toEqual({ ports: [{ port: 6379, protocol: 'TCP' }], to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }] });
    const git = { to: [{ ipBlock: { cidr: '140.82.112.0/20' } }], ports: [{ port: 443, protocol: 'TCP' }] };
    expect(egress(await render({ values: { networkPolicy: { egress: { extra: [git] } } } })).at(-1)).toEqual(git);
  });

  it('in the native modes too (Backstage itself talks to Keycloak); switched off, the policy is ingress-only', async () => {
    for (const mode of ['oidc', 'oauth2']) {
      const rules = egress(await render({ set: [`global.signIn.mode=${mode}`] }));
      expect(ruleFor(rules, 443), mode).toBeDefined();
      expect(ruleFor(rules, 5432), mode).toBeDefined();
    }
    const off = backstagePolicy(await render({ set: ['networkPolicy.egress.enabled=false'] }));
    expect(off.spec!.policyTypes).toEqual(['Ingress']);
    expect(off.spec!.egress).toBeUndefined();
  });
});

describe("the proxy's metrics port", () => {
  it('is closed by default: no ingress rule names it', async () => {
    const ports = backstagePolicy(await render()).spec!.ingress!.flatMap((r) => r.ports!.map((p) => p.port));
    expect(ports).toEqual(['oauth2-proxy']);
  });

  it('opens only to the sources in networkPolicy.metricsFrom', async () => {
    const prom = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    const rule = backstagePolicy(await render({ values: { networkPolicy: { metricsFrom: [prom] } } })).spec!.ingress!.find((r) => r.ports!.some((p) => p.port === 'oauth2-metrics'))!;
    expect(peersOf(rule)).toEqual([prom]);
  });
});

describe('the bundled PostgreSQL admits only the Backstage pods', () => {
  for (const [name, values, dbPolicy, owner] of [
    ['bitnami (backstage.postgresql)', [], 'backstage-postgresql', 'StatefulSet/backstage-postgresql'],
    ['postgres-dev (values/kind.yaml)', [KIND], 'backstage-postgres-dev', 'Deployment/backstage-postgres-dev'],
  ] as const) {
    it(name, async () => {
      const m = await render({ noExample: values.length > 0, valuesFiles: [...values] });
      const np = m.get<V1NetworkPolicy>('NetworkPolicy', dbPolicy);
      const db = podTemplates(m).find((p) => p.owner === owner)!;
      expect(selects(np.spec!.podSelector!.matchLabels!, db.labels)).toBe(true);
      // It selects no other pod of the release.
      for (const p of podTemplates(m).filter((x) => x.owner !== owner)) expect(selects(np.spec!.podSelector!.matchLabels!, p.labels), p.owner).toBe(false);
      expect(np.spec!.policyTypes).toEqual(['Ingress']);
      expect(np.spec!.ingress).toHaveLength(1);
      const rule = np.spec!.ingress![0]!;
      expect(peersOf(rule)).toEqual([{ podSelector: { matchLabels: BACKSTAGE_POD } }]);
      expect(selects(peersOf(rule)![0]!.podSelector!.matchLabels!, m.deployment().spec!.template.metadata!.labels as Record<string, string>)).toBe(true);
      expect(db.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort))).toContain(rule.ports![0]!.port);
    });
  }

  it('none when networkPolicy.enabled=false', async () => {
    expect((await render({ set: ['networkPolicy.enabled=false'] })).networkPolicies()).toEqual([]);
  });
});
