import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cookieKeyBytes, VALID_KEY_LENGTHS } from '../../scripts/lib/chart/oauth2-proxy-rules.ts';
import { hardeningProblems } from '../../scripts/lib/chart/release.ts';
import { render, type Manifest } from '../support/chart.ts';

const SECRETS = ['example-client-secret-NOT-REAL', 'fake-cookie-secret-for-docs-0001'];

/** Pods of this bundle (the bundled PostgreSQL is the upstream subchart's and is checked apart). */
function ourPods(m: Manifest): { owner: string; spec: V1PodSpec }[] {
  return m.podSpecs().filter((p) => !p.owner.startsWith('StatefulSet/'));
}

describe('hardened pods', () => {
  it('the hardening rules name each weakness', () => {
    const good: V1Container = {
      name: 'c',
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    };
    const pod: V1PodSpec = { containers: [good] };
    expect(hardeningProblems(good, pod)).toEqual([]);
    const weak = (sc: object): string[] => hardeningProblems({ name: 'c', securityContext: { ...good.securityContext, ...sc } }, pod);
    expect(weak({ runAsNonRoot: false })).toEqual(['runAsNonRoot is not true']);
    expect(weak({ runAsUser: 0 })).toEqual(['runAsUser is 0 (root)']);
    expect(weak({ readOnlyRootFilesystem: false })).toEqual(['root filesystem is writable']);
    expect(weak({ allowPrivilegeEscalation: true })).toEqual(['privilege escalation allowed']);
    expect(weak({ privileged: true })).toEqual(['privileged']);
    expect(weak({ capabilities: { drop: ['NET_RAW'] } })).toEqual(['capabilities not dropped']);
    expect(weak({ capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } })).toEqual(['capabilities added: NET_ADMIN']);
    expect(weak({ seccompProfile: { type: 'Unconfined' } })).toEqual(['seccomp is not RuntimeDefault']);
    // Pod-level settings count where the container leaves them open.
    const podLevel: V1PodSpec = { containers: [], securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } };
    expect(hardeningProblems({ name: 'c', securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }, podLevel)).toEqual([]);
  });

  it('every container of our pods is non-root, read-only, unprivileged, without capabilities, seccomp RuntimeDefault', async () => {
    const m = await render();
    const pods = ourPods(m);
    expect(pods.map((p) => p.owner)).toEqual(expect.arrayContaining(['Deployment/backstage', 'Pod/backstage-oauth2-proxy-test-redirect']));
    for (const { owner, spec } of pods) {
      for (const c of [...(spec.initContainers ?? []), ...spec.containers] as V1Container[]) {
        const where = `${owner} container ${c.name}`;
        // The rules npm run render and npm run verify apply (scripts/lib/chart/release.ts).
        expect(hardeningProblems(c, spec), where).toEqual([]);
        expect(c.resources?.limits?.memory, `${where} memory limit`).toBeTruthy();
      }
    }
  });

  it('every image is pinned to a version (no latest, no missing tag)', async () => {
    const m = await render();
    for (const { owner, spec } of m.podSpecs()) {
      for (const c of spec.containers) {
        expect(c.image, `${owner}/${c.name}`).toMatch(/(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$/);
        expect(c.image, `${owner}/${c.name}`).not.toMatch(/:latest$/);
      }
    }
  });

  it('no secret value appears in any pod spec, ConfigMap or annotation, only in our Secret', async () => {
    const m = await render();
    for (const o of m.objects) {
      if (o.kind === 'Secret') continue;
      const text = stringify(o);
      for (const s of SECRETS) expect(text.includes(s), `${o.kind}/${o.metadata.name} contains a secret`).toBe(false);
    }
  });

  it('secret-like env vars of every container come from secretKeyRef, never a literal', async () => {
    const m = await render();
    for (const { owner, spec } of m.podSpecs()) {
      for (const c of spec.containers) {
        for (const e of c.env ?? []) {
          if (/SECRET|PASSWORD|TOKEN|CLIENT_ID/.test(e.name)) expect(e.valueFrom?.secretKeyRef, `${owner}/${c.name} ${e.name}`).toBeDefined();
        }
      }
    }
  });

  it("the Backstage container exposes nothing but the upstream chart's port and the health listener, and neither is the Service target", async () => {
    const m = await render();
    expect(m.backstage().ports!.map((p) => p.name)).toEqual(['backend', 'health']);
    expect(m.service().spec!.ports![0]!.targetPort).not.toBe('health');
    expect(m.service().spec!.ports![0]!.targetPort).not.toBe('backend');
  });
});

describe('generated cookie secret', () => {
  it('is 32 URL-safe characters that oauth2-proxy decodes to a valid AES key, fresh on each render without a cluster', async () => {
    const a = (await render({ set: ['global.oauth2Proxy.cookieSecret='] })).secretData('backstage-oauth2-proxy')['cookie-secret']!;
    const b = (await render({ set: ['global.oauth2Proxy.cookieSecret='] })).secretData('backstage-oauth2-proxy')['cookie-secret']!;
    for (const s of [a, b]) {
      expect(s).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(VALID_KEY_LENGTHS).toContain(cookieKeyBytes(s));
    }
    expect(a).not.toBe(b);
  });

  it('the decoding rule matches oauth2-proxy on known cases', () => {
    expect(cookieKeyBytes('a'.repeat(32))).toBe(24); // base64url: 32 chars -> 24 bytes
    expect(cookieKeyBytes('0123456789abcdef')).toBe(16); // decodes to 12 bytes, so the raw 16 are used
    expect(cookieKeyBytes('ab+/'.repeat(11))).toBe(44); // + and / are not base64url: raw
    expect(cookieKeyBytes(Buffer.alloc(32, 7).toString('base64url'))).toBe(32);
    expect(cookieKeyBytes(`${'a'.repeat(32)}\n`)).toBe(33);
  });
});
