/**
 * The names Keycloak users and groups get in the catalog (issue 17): the group name function is
 * injective over full paths (a subgroup can never take a top-level group's name, nested groups of
 * one name never meet), every name is a valid catalog entity name, and the user name function is
 * the cleaning the ingestion always did (its collisions are handled by the binding; see
 * identity.test.ts). In the backstage tier: it needs the built packages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEPLOY_DIR } from '../../scripts/lib/run/backstage.ts';
import type * as AuthModule from '../../backstage/plugins/auth-backend-module-keycloak/dist/index.js';
import type * as PermissionModule from '../../backstage/plugins/permission-backend-module-keycloak/dist/index.js';

// The built packages (npm run backstage:build), as the backend loads them: the deployable app's copies.
const load = createRequire(import.meta.url);
const { keycloakGroupEntityName } = load(path.join(DEPLOY_DIR, 'plugins/permission-backend-module-keycloak/dist/index.cjs.js')) as typeof PermissionModule;
const { keycloakUserEntityName } = load(path.join(DEPLOY_DIR, 'plugins/auth-backend-module-keycloak/dist/index.cjs.js')) as typeof AuthModule;

// Backstage's entity name rule (catalog-model's default validator), compared case-insensitively.
const ENTITY_NAME = /^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/;

describe('keycloakGroupEntityName', () => {
  it('a top-level plain name keeps it; anything else is its path with a hash', () => {
    expect(keycloakGroupEntityName('/admins')).toBe('admins');
    expect(keycloakGroupEntityName('/platform-team')).toBe('platform-team');
    expect(keycloakGroupEntityName('/developers/admins')).toMatch(/^developers\.admins\.[0-9a-f]{16}$/);
    expect(keycloakGroupEntityName('/Admins')).toMatch(/^admins\.[0-9a-f]{16}$/);
  });

  it('the attack paths never give `admins`, and no two of them meet', () => {
    const paths = ['/admins', '/Admins', '/ADMINS', '/developers/admins', '/developers/Admins', '/platform/admins', '/admins/admins', '/a.b', '/a/b', '/a-b', '/a b', '/a_b', '/x/admins ', '/ admins'];
    const names = paths.map((p) => keycloakGroupEntityName(p).toLowerCase());
    expect(new Set(names).size).toBe(paths.length);
    expect(names.filter((n) => n === 'admins')).toEqual(['admins']);
  });

  it('every name is a valid entity name, and distinct paths give distinct names (property)', () => {
    const segment = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('/'));
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((segs) => `/${segs.join('/')}`);
    fc.assert(
      fc.property(path, path, (a, b) => {
        const na = keycloakGroupEntityName(a);
        expect(na).toMatch(ENTITY_NAME);
        if (a !== b) expect(na.toLowerCase()).not.toBe(keycloakGroupEntityName(b).toLowerCase());
      }),
      { numRuns: Number(process.env.BK_FC_RUNS ?? 500) },
    );
  });

  it('refuses what is not a full path, naming the form to use', () => {
    for (const bad of ['admins', '', '/', '/a/', 'group:default/admins', '//a']) {
      expect(() => keycloakGroupEntityName(bad), bad).toThrow(/is not a full Keycloak group path \(write it as \/parent\/child, e\.g\. \/admins\)/);
    }
  });
});

describe('keycloakUserEntityName', () => {
  it('is the ingestion cleaning: characters outside [A-Za-z0-9-_.] become `-` (alice@corp and alice-corp meet)', () => {
    expect(keycloakUserEntityName('alice')).toBe('alice');
    expect(keycloakUserEntityName('alice@corp')).toBe('alice-corp');
    expect(keycloakUserEntityName('alice-corp')).toBe('alice-corp');
    expect(keycloakUserEntityName('a.b_c-d')).toBe('a.b_c-d');
  });
});
