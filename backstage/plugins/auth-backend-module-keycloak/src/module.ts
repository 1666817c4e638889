/**
 * The auth module keyed by the sign-in mode: it registers exactly ONE provider, the one
 * BACKSTAGE_SIGNIN_MODE names (mode.ts; the backstage-keycloak chart sets it from
 * global.signIn.mode, unset means oauth2Proxy). Every other /api/auth/<provider>/ path answers 404,
 * from anywhere, loopback included.
 *
 *   oauth2Proxy    -> provider oauth2Proxy  (oauth2Proxy.ts)
 *   verifiedToken  -> provider oidcProxy    (oidcProxy.ts)
 *   oidc           -> provider oidc         (native.ts)
 *   oauth2         -> provider oauth2       (native.ts)
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint } from '@backstage/plugin-auth-node';
import { signInMode, SIGN_IN_PROVIDERS } from './mode';
import { nativeProviderFactory } from './native';
import { keycloakOauth2ProxyProviderFactory } from './oauth2Proxy';
import { oidcProxyProviderFactory } from './oidcProxy';

export const authModuleKeycloak = createBackendModule({
  pluginId: 'auth',
  moduleId: 'keycloak',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger },
      async init({ providers, config, logger }) {
        const mode = signInMode();
        const providerId = SIGN_IN_PROVIDERS[mode];
        switch (mode) {
          case 'oauth2Proxy':
            providers.registerProvider({ providerId, factory: keycloakOauth2ProxyProviderFactory() });
            break;
          case 'verifiedToken':
            providers.registerProvider({ providerId, factory: oidcProxyProviderFactory(logger) });
            break;
          case 'oidc':
          case 'oauth2':
            providers.registerProvider({ providerId, factory: nativeProviderFactory(mode, config, logger) });
            break;
          default:
            throw new Error(`sign-in mode ${String(mode satisfies never)} has no provider`);
        }
        logger.info(`sign-in mode ${mode}: auth provider ${providerId} only`);
      },
    });
  },
});
