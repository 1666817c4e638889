/**
 * @backstage-keycloak/plugin-auth-backend-module-keycloak: signs people in to Backstage with
 * Keycloak. The default export registers the one auth provider of the sign-in mode
 * (BACKSTAGE_SIGNIN_MODE); the named exports are the parts, for backends that assemble their own.
 */
export { authModuleKeycloak as default, authModuleKeycloak } from './module';
export { signInMode, SIGN_IN_PROVIDERS, type SignInMode } from './mode';
export { signInKeycloakUser, type KeycloakIdentity } from './resolvers';
export { keycloakUserEntityName, keycloakUserTransformer, bindingMismatch, KEYCLOAK_ID_ANNOTATION, KEYCLOAK_USERNAME_ANNOTATION, type KeycloakSubject, type EntityLike } from './identity';
export { CLOCK_SKEW_SECONDS } from './oidcProxy';
export { authModuleKeycloakOauth2ProxyProvider, keycloakOauth2ProxyProviderFactory } from './oauth2Proxy';
export { authModuleOidcProxyProvider, createOidcProxyAuthenticator, oidcProxyProviderFactory } from './oidcProxy';
export { authModuleKeycloakOidcProvider, authModuleKeycloakOauth2Provider, nativeProviderFactory } from './native';
export { enforceAccess, mergeClaims, readAccessRules, type AccessRules, type KeycloakClaims } from './access';
export { canonicalPathGuard, canonicalPathRootHttpRouter, nonCanonicalReason, type GuardRequest, type GuardResponse } from './canonicalPath';
export { healthApp, isHealthRequest, readHealthListen, startHealthListener, HEALTH_PATHS, type HealthListenOptions } from './healthListener';
