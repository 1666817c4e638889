/**
 * @backstage-keycloak/plugin-permission-backend-module-keycloak: the permission policy "least
 * privilege by Keycloak group" (permissions.ts), and the naming of Keycloak groups as catalog
 * Groups by their full path (groups.ts) that the Keycloak ingestion and the policy share.
 */
export {
  permissionModuleKeycloakGroupPolicy as default,
  permissionModuleKeycloakGroupPolicy,
  KeycloakGroupPolicy,
  adminGroupRefs,
  groupRefOfPath,
  readPermissionSettings,
  DEFAULT_GRANTS,
  EVERYONE,
  GRANT_PERMISSIONS,
  techdocsBuildPermission,
  type GrantName,
  type KeycloakPermissionSettings,
} from './permissions';
export { keycloakGroupEntityName, keycloakGroupTransformer, KEYCLOAK_PATH_ANNOTATION, GROUP_PATH, type GroupEntityLike } from './groups';
