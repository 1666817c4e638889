// The sign-in page and auth API now live in the workspace package @backstage-keycloak/plugin-keycloak-react
// (backstage/plugins/keycloak-react); this re-export keeps `./keycloak` imports of the app working.
export * from '@backstage-keycloak/plugin-keycloak-react';
