/**
 * One host, at its root (issue 19, item 3): every value that implies a sub-path or another host name
 * is refused, saying it is not supported and what to do instead.
 */
import { describe, expect, it } from 'vitest';
import { render, renderError } from '../support/chart.ts';

const INGRESS = 'backstage.ingress.enabled=true';

describe('sub-paths and other host names are refused', () => {
  it.each([
    ['backstage.ingress.path=/backstage', /backstage\.ingress\.path="\/backstage": a sub-path install is not supported.*remove backstage\.ingress\.path/],
    ['global.host=backstage.example.com/backstage', /global\.host="backstage\.example\.com\/backstage" has a path: a sub-path install is not supported.*give the host name only, e\.g\. backstage\.example\.com/],
    ['backstage.ingress.host=portal.example.com', /backstage\.ingress\.host="portal\.example\.com" differs from global\.host's name "backstage\.example\.com": other host names are not supported.*or set global\.host=portal\.example\.com/],
    ['backstage.ingress.extraHosts[0].name=alias.example.com', /backstage\.ingress\.extraHosts\[0\] \(\{"name":"alias\.example\.com"\}\): other host names are not supported: the login redirect URI and the session cookie are bound to global\.host \(backstage\.example\.com\); remove it/],
    ['backstage.ingress.extraTls[0].hosts[0]=alias.example.com', /backstage\.ingress\.extraTls\[0\]\.hosts holds "alias\.example\.com": other host names are not supported/],
    ['backstage.httpRoute.enabled=true', /backstage\.httpRoute\.hostnames is empty, so the HTTPRoute answers every host name of its Gateway.*set backstage\.httpRoute\.hostnames: \[backstage\.example\.com\]/],
  ])('%s', async (set, message) => {
    const err = await renderError({ set: [INGRESS, set] });
    expect(err).toMatch(message);
  });

  it('an HTTPRoute for another host name, or matching a sub-path', async () => {
    const err = await renderError({
      values: { backstage: { httpRoute: { enabled: true, hostnames: ['alias.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/backstage' } }] }] } } },
    });
    expect(err).toMatch(/backstage\.httpRoute\.hostnames\[0\]="alias\.example\.com" differs from global\.host's name "backstage\.example\.com".*set backstage\.httpRoute\.hostnames: \[backstage\.example\.com\]/);
    expect(err).toMatch(/backstage\.httpRoute\.rules\[0\]\.matches\[0\]\.path\.value="\/backstage": a sub-path install is not supported.*match the path "\/" \(PathPrefix\) only/);
  });

  it('the root of global.host is accepted in every spelling', async () => {
    const m = await render({
      set: [INGRESS, 'backstage.ingress.path=/', 'backstage.ingress.host=backstage.example.com', 'backstage.ingress.extraTls[0].hosts[0]=backstage.example.com', 'backstage.ingress.extraTls[0].secretName=tls'],
      values: { backstage: { httpRoute: { enabled: true, hostnames: ['backstage.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }] } } },
    });
    const ing = m.get<{ spec: { rules: { host: string; http: { paths: { path: string }[] } }[] } }>('Ingress', 'backstage');
    expect(ing.spec.rules.map((r) => [r.host, r.http.paths[0]!.path])).toEqual([['backstage.example.com', '/']]);
    // With a port in global.host, the Ingress host is the name without it.
    await expect(render({ set: [INGRESS, 'global.host=backstage.example.com:8443'] })).resolves.toBeTruthy();
  });
});
