/** The app's API factories: SCM integrations (for the catalog, scaffolder and TechDocs) and Keycloak sign-in. */
import { ScmAuth, ScmIntegrationsApi, scmIntegrationsApiRef } from '@backstage/integration-react';
import { type AnyApiFactory, configApiRef, createApiFactory } from '@backstage/core-plugin-api';
import { keycloakAuthApiFactory } from './keycloak';

export const apis: AnyApiFactory[] = [
  createApiFactory({ api: scmIntegrationsApiRef, deps: { configApi: configApiRef }, factory: ({ configApi }) => ScmIntegrationsApi.fromConfig(configApi) }),
  ScmAuth.createDefaultApiFactory(),
  keycloakAuthApiFactory,
];
