/**
 * Frontend of the backstage-keycloak app (App.tsx): the developer portal behind the sign-in page of
 * the deployment's sign-in mode (app.signInProvider: the proxy page for oauth2Proxy/oidcProxy, a
 * "Keycloak" provider for oidc/oauth2; sign-out ends the Keycloak session too, see keycloak.tsx).
 */
import '@backstage/ui/css/styles.css';
import React from 'react';
import ReactDOM from 'react-dom/client';
import { App } from './App';

ReactDOM.createRoot(document.getElementById('root')!).render(<App />);
