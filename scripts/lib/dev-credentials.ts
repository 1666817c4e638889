/**
 * DEVELOPMENT-ONLY credentials of the shared dev realm (charts/keycloak-dev/files/realm-backstage.json).
 * They are published on purpose: the dev realm only ever runs on a laptop, in kind or in tests.
 */
export const DEV_REALM = 'backstage';
export const DEV_CLIENT_ID = 'backstage';
export const DEV_USERS = [
  { username: 'alice', password: 'alice-dev-password', email: 'alice@example.com', groups: ['admins'] },
  { username: 'bob', password: 'bob-dev-password', email: 'bob@example.com', groups: ['users'] },
] as const;
