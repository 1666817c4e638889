/**
 * DEVELOPMENT-ONLY credentials of the shared dev realm (charts/keycloak-dev/files/realm-backstage.json;
 * They are published on purpose: the dev realm only ever runs on a laptop, in kind or in tests.
 */
export const DEV_REALM = 'backstage';
export const DEV_CLIENT_ID = 'backstage';
export const DEV_USERS = [
  { username: 'alice', password: 'alice-dev-password', email: 'alice@example.com', groups: ['admins'] },
  { username: 'bob', password: 'bob-dev-password', email: 'bob@example.com', groups: ['users'] },
] as const;
export const DEV_REALM_FILE = 'charts/keycloak-dev/files/realm-backstage.json';
/** Defaults of the realm file's placeholders (Keycloak resolves ${NAME:default} at import). */
export const DEV_CLIENT_SECRET = 'dev-only-backstage-client-secret';
export const DEV_CATALOG_CLIENT_ID = 'backstage-catalog';
export const DEV_CATALOG_CLIENT_SECRET = 'dev-only-backstage-catalog-secret';
