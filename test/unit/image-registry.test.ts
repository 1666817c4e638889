/** global.imageRegistry moves every image of the release (mirrors, air-gapped installs). */
import { describe, expect, it } from 'vitest';
import { render, renderError } from '../support/chart.ts';

const MIRROR = 'mirror.example.com:5000/proxy';

describe('global.imageRegistry', () => {
  it('applies to every container of every pod: oauth2-proxy, the helm test pod, the dev Keycloak, and the upstream charts\' images', async () => {
    const m = await render({ values: { global: { imageRegistry: MIRROR }, keycloakDev: { enabled: true, publicUrl: 'http://keycloak.localhost:8080' } } });
    const images = m.podSpecs().flatMap(({ owner, spec }) => [...(spec.initContainers ?? []), ...spec.containers].map((c) => ({ where: `${owner}/${c.name}`, image: c.image! })));
    expect(images.map((i) => i.where)).toEqual(
      expect.arrayContaining(['Deployment/backstage/oauth2-proxy', 'Deployment/backstage/backstage-backend', 'Pod/backstage-oauth2-proxy-test-redirect/redirect', 'Deployment/backstage-keycloak-dev/keycloak']),
    );
    for (const { where, image } of images) expect(image, where).toMatch(new RegExp(`^${MIRROR.replace(/\./g, '\\.')}/`));
    expect(m.sidecar().image).toBe(`${MIRROR}/oauth2-proxy/oauth2-proxy:v7.15.6`);
  });

  it('keeps each image\'s own registry when empty', async () => {
    const m = await render();
    expect(m.sidecar().image).toBe('quay.io/oauth2-proxy/oauth2-proxy:v7.15.6');
    expect(m.get<{ spec: { containers: { image: string }[] } }>('Pod', 'backstage-oauth2-proxy-test-redirect').spec.containers[0]!.image).toBe('docker.io/library/busybox:1.37.0');
  });

  it('refuses what is not a registry host, naming the value', async () => {
    expect(await renderError({ values: { global: { imageRegistry: 'https://mirror.example.com/' } } })).toMatch(/global\.imageRegistry="https:\/\/mirror\.example\.com\/" is not a registry host/);
  });
});
