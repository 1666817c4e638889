/**
 * DEV-ONLY credentials of the dev realm (charts/keycloak-dev/files/realm-backstage.json). The single place in
 * TypeScript where they live; dev/keycloak/README.md documents the same values. They protect
 * nothing: throwaway Keycloak instances on loopback for tests and `npm run dev`. Never reuse them
 * for a deployment (the chart takes real secrets from Kubernetes Secrets).
 */

export const DEV_REALM = 'backstage';

/** The realm file, shared by the SSO tier, `npm run dev` and the chart's dev Keycloak. */
export const DEV_REALM_FILE = 'charts/keycloak-dev/files/realm-backstage.json';
export const DEV_CLIENT_ID = 'backstage';

/** Realm users. Passwords are written literally in the realm file. */
export const DEV_USERS = {
  alice: {
    username: 'alice',
    password: 'alice-dev-password',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Admin',
    groups: ['admins'],
  },
  bob: {
    username: 'bob',
    password: 'bob-dev-password',
    email: 'bob@example.com',
    firstName: 'Bob',
    lastName: 'User',
    groups: ['users'],
  },
} as const;

/** Keycloak's bootstrap admin in the master realm (KC_BOOTSTRAP_ADMIN_USERNAME / _PASSWORD). */
export const DEV_KEYCLOAK_ADMIN = { username: 'admin', password: 'admin-dev-password' } as const;

/** The `backstage` client (browser sign-in through oauth2-proxy). */
export const DEV_BACKSTAGE_CLIENT = {
  clientId: 'backstage',
  /** Realm placeholder ${BACKSTAGE_CLIENT_SECRET}. */
  clientSecret: 'backstage-dev-client-secret',
} as const;

/** The `backstage-catalog` client (service account for the catalog's Keycloak ingestion). */
export const DEV_CATALOG_CLIENT = {
  clientId: 'backstage-catalog',
  /** Realm placeholder ${BACKSTAGE_CATALOG_CLIENT_SECRET}. */
  clientSecret: 'backstage-catalog-dev-client-secret',
} as const;

/** oauth2-proxy cookie secret: 32 URL-safe ASCII characters (decodes to nothing else; used raw). */
export const DEV_COOKIE_SECRET = 'dev-only-cookie-secret-32-chars0';

/**
 * Environment the realm file's placeholders need. `publicUrl` is where the browser reaches
 * Backstage (oauth2-proxy), e.g. http://127.0.0.1:4180; the redirect URI is `<publicUrl>/oauth2/callback`.
 */
export function realmEnv(publicUrl: string): Record<string, string> {
  return {
    BACKSTAGE_PUBLIC_URL: publicUrl.replace(/\/+$/, ''),
    BACKSTAGE_CLIENT_SECRET: DEV_BACKSTAGE_CLIENT.clientSecret,
    BACKSTAGE_CATALOG_CLIENT_SECRET: DEV_CATALOG_CLIENT.clientSecret,
  };
}
