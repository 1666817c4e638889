/**
 * Backend of the backstage-keycloak app: serves the frontend, signs users in from Keycloak in the
 * sign-in mode BACKSTAGE_SIGNIN_MODE names (ONE auth provider is registered, the others answer 404),
 * enforces the permission policy (least privilege by Keycloak group), refuses non-canonical request
 * paths, and runs the catalog with Keycloak users and groups, plus the portal's scaffolder, TechDocs
 * and search. The Keycloak parts are the workspace
 * packages under ../../plugins (@backstage-keycloak/*), which other Backstage backends can add too.
 * Everything is configured through app-config files and ${ENV} substitution.
 */
// First: with BACKSTAGE_METRICS_PORT set, the OpenTelemetry meter provider and the HTTP
// instrumentation must be in place before any Backstage package creates its meters (./metrics).
import './metrics';
import { createBackend } from '@backstage/backend-defaults';
import { canonicalPathRootHttpRouter, signInMode, SIGN_IN_PROVIDERS } from '@backstage-keycloak/plugin-auth-backend-module-keycloak';
import { startOrExit } from './startup';

// Fails here, before anything starts, when BACKSTAGE_SIGNIN_MODE names no mode.
const mode = signInMode();
const backend = createBackend();

// Before every route, the health endpoints included: only canonical paths get through.
backend.add(canonicalPathRootHttpRouter());

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
// Registers the one provider of the mode.
backend.add(import('@backstage-keycloak/plugin-auth-backend-module-keycloak'));
console.log(`backstage-keycloak: sign-in mode ${mode}, auth provider ${SIGN_IN_PROVIDERS[mode]} only`);

// Least privilege by Keycloak group (permission.enabled must be true in the config).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@backstage-keycloak/plugin-permission-backend-module-keycloak'));

backend.add(import('@backstage/plugin-catalog-backend'));
// Users and groups from Keycloak (catalog.providers.keycloakOrg), when the deployment enables it
// (the chart sets BACKSTAGE_KEYCLOAK_CATALOG_SYNC from global.keycloak.catalogSync.enabled).
if (process.env.BACKSTAGE_KEYCLOAK_CATALOG_SYNC === 'true') {
  // The provider of @backstage-community/plugin-catalog-backend-module-keycloak with Users bound
  // to their Keycloak id and Groups named from their full path (keycloakIdentity.ts).
  backend.add(import('./keycloakIdentity'));
}

// The portal (create-app's backend): the scaffolder with our template kind, TechDocs (mkdocs run
// locally: techdocs.generator.runIn local), search over the catalog and TechDocs (PostgreSQL's
// engine when the database is PostgreSQL, Lunr in memory otherwise).
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-techdocs-backend'));
// dir: docs are built from a copy under /tmp (the image's root filesystem is read-only).
backend.add(import('./techdocsCopyDir'));
// Builds only for the grant buildTechDocs (global.permissions.grants.buildTechDocs).
backend.add(import('./techdocsBuildGrant'));
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// Waits for PostgreSQL first; a failed start exits (status 1) instead of idling unready forever.
startOrExit(() => backend.start());
