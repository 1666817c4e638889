import { describe, expect, it } from 'vitest';
import { parseVersion, TOOLS } from '../../scripts/lib/tools.ts';

describe('tool version policy', () => {
  it('accepts helm 4.x and 3.18+, refuses older helm', () => {
    const helm = TOOLS.helm!;
    expect(helm.accepts('v4.2.4')).toBe(true);
    expect(helm.accepts('v3.18.0')).toBe(true);
    expect(helm.accepts('v3.17.3')).toBe(false);
    expect(helm.accepts('v2.17.0')).toBe(false);
  });
  it('accepts only the pinned oauth2-proxy release', () => {
    const o2p = TOOLS['oauth2-proxy']!;
    expect(o2p.accepts('oauth2-proxy v7.15.3 (built with go1.26.8)')).toBe(true);
    expect(o2p.accepts('oauth2-proxy v7.15.2 (built with go1.26.8)')).toBe(false);
  });
  it('parses versions', () => {
    expect(parseVersion('v4.2')).toEqual([4, 2, 0]);
    expect(parseVersion('Version: v3.18.6+g1234')).toEqual([3, 18, 6]);
  });
});
