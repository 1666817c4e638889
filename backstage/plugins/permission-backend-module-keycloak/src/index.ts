/**
 * @backstage-keycloak/plugin-permission-backend-module-keycloak: the permission policy "least
 * privilege by Keycloak group" (permissions.ts).
 */
export { permissionModuleKeycloakGroupPolicy as default, permissionModuleKeycloakGroupPolicy, KeycloakGroupPolicy, adminGroupRefs } from './permissions';
