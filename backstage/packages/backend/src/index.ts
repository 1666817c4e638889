/**
 * Backend of the backstage-keycloak app: serves the frontend, signs users in from Keycloak through
 * oauth2-proxy (identity headers, or a verified ID token), and runs the catalog with Keycloak
 * users and groups. Everything is configured through app-config files and ${ENV} substitution.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('./modules/oauth2Proxy'));
backend.add(import('./modules/oidcProxy'));

backend.add(import('@backstage/plugin-catalog-backend'));
// Users and groups from Keycloak (catalog.providers.keycloakOrg), when the deployment enables it
// (the chart sets BACKSTAGE_KEYCLOAK_CATALOG_SYNC from global.keycloak.catalogSync.enabled).
if (process.env.BACKSTAGE_KEYCLOAK_CATALOG_SYNC === 'true') {
  backend.add(import('@backstage-community/plugin-catalog-backend-module-keycloak'));
}

backend.start();
