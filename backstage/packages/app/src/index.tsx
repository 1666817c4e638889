/**
 * Frontend of the backstage-keycloak app: the proxy sign-in page (provider from config:
 * app.signInProvider, oauth2Proxy or oidcProxy), a profile page showing who you are and what you
 * own, and the standard settings page.
 */
import React from 'react';
import ReactDOM from 'react-dom/client';
import { createApp } from '@backstage/app-defaults';
import { AppRouter, FlatRoutes } from '@backstage/core-app-api';
import { ProxiedSignInPage, type SignInPageProps } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { UserSettingsPage } from '@backstage/plugin-user-settings';
import { Route } from 'react-router-dom';
import { ProfilePage } from './ProfilePage';

function SignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const provider = config.getOptionalString('app.signInProvider') ?? 'oauth2Proxy';
  return <ProxiedSignInPage {...props} provider={provider} />;
}

const app = createApp({
  components: { SignInPage },
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
