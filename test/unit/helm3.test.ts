/** The chart under Helm 3 (3.18+ validates draft 2020-12 schemas strictly, like Helm 4). */
import { describe, expect, it } from 'vitest';
import { helmTemplate } from '../../scripts/lib/chart/assemble.ts';
import { ensureTool } from '../../scripts/lib/tools/index.ts';
import { chartDir, EXAMPLE_VALUES } from '../support/chart.ts';

async function both(opts: Parameters<typeof helmTemplate>[1]) {
  const dir = await chartDir();
  const helm3 = await ensureTool('helm3');
  const [v4, v3] = await Promise.all([helmTemplate(dir, opts), helmTemplate(dir, { ...opts, helmBin: helm3 })]);
  return { v4, v3 };
}

describe('Helm 3', () => {
  it('renders the same objects as Helm 4', async () => {
    // The bundled database's generated passwords differ per render: give it a Secret.
    const { v4, v3 } = await both({ valuesFiles: [EXAMPLE_VALUES], set: ['backstage.postgresql.auth.existingSecret=pg'] });
    expect(v3.stderr).toBe('');
    expect(v3.ok).toBe(true);
    expect(v3.objects).toEqual(v4.objects);
  });

  it('fails bad values with the same message', async () => {
    const { v3 } = await both({ valuesFiles: [EXAMPLE_VALUES], set: ['global.keycloak.issuerUrl=https://kc.example.com/realms/x/'] });
    expect(v3.ok).toBe(false);
    expect(v3.stderr).toMatch(/ends with "\/": remove the trailing slash/);
  });

  it('enforces our generated schema: a misspelt key fails naming it', async () => {
    const { v3 } = await both({ valuesFiles: [EXAMPLE_VALUES], values: { global: { keycloak: { issuerURL: 'https://kc.example.com/realms/x' } } } });
    expect(v3.ok).toBe(false);
    expect(v3.stderr).toMatch(/global\/keycloak.*issuerURL/);
  });

  it('enforces the upstream chart schema', async () => {
    const { v3 } = await both({ valuesFiles: [EXAMPLE_VALUES], values: { backstage: { backstage: { notAKey: true } } } });
    expect(v3.ok).toBe(false);
    expect(v3.stderr).toMatch(/notAKey|additional propert/i);
  });
});
