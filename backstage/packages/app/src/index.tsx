/**
 * Frontend of the backstage-keycloak app: the sign-in page of the deployment's sign-in mode
 * (app.signInProvider: the proxy page for oauth2Proxy/oidcProxy, a "Keycloak" provider for
 * oidc/oauth2; sign-out ends the Keycloak session too, see keycloak.tsx), a profile page showing
 * who you are and what you own, and the standard settings page.
 */
import React from 'react';
import ReactDOM from 'react-dom/client';
import { createApp } from '@backstage/app-defaults';
import { AppRouter, FlatRoutes } from '@backstage/core-app-api';
import { UserSettingsPage } from '@backstage/plugin-user-settings';
import { Route } from 'react-router-dom';
import { KeycloakSignInPage, keycloakAuthApiFactory } from '@backstage-keycloak/plugin-keycloak-react';
import { ProfilePage } from './ProfilePage';

const app = createApp({
  apis: [keycloakAuthApiFactory],
  components: { SignInPage: KeycloakSignInPage },
});

const Root = app.createRoot(
  <AppRouter>
    <FlatRoutes>
      <Route path="/" element={<ProfilePage />} />
      <Route path="/settings" element={<UserSettingsPage />} />
    </FlatRoutes>
  </AppRouter>,
);

ReactDOM.createRoot(document.getElementById('root')!).render(<Root />);
