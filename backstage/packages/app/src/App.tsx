/**
 * The portal on Backstage's new frontend system: catalog with entity pages, org pages (Keycloak
 * users and groups), API docs, TechDocs (with the report-issue addon), the scaffolder, search,
 * the catalog graph and user settings, each plugin's own `/alpha` feature; the Keycloak module
 * (sign-in page of app.signInProvider's mode, the native auth APIs; sign-out also ends the
 * Keycloak session); and the portal module of this app (modules/portal.tsx: Home at `/` and the
 * sidebar). Features are listed here rather than discovered, so the bundle holds exactly these.
 */
import { createApp } from '@backstage/frontend-defaults';
import keycloakModule from '@backstage-keycloak/plugin-keycloak-react/alpha';
import apiDocsPlugin from '@backstage/plugin-api-docs/alpha';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import catalogGraphPlugin from '@backstage/plugin-catalog-graph/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import searchPlugin from '@backstage/plugin-search/alpha';
import techdocsPlugin from '@backstage/plugin-techdocs/alpha';
import { techDocsReportIssueAddonModule } from '@backstage/plugin-techdocs-module-addons-contrib/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import { portalNavModule, portalPlugin } from './modules/portal';

export default createApp({
  features: [
    catalogPlugin,
    orgPlugin,
    apiDocsPlugin,
    techdocsPlugin,
    techDocsReportIssueAddonModule,
    scaffolderPlugin,
    searchPlugin,
    catalogGraphPlugin,
    userSettingsPlugin,
    keycloakModule,
    portalPlugin,
    portalNavModule,
  ],
});
