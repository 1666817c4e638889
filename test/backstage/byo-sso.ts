/**
 * The sign-in path of byo.test.ts's create-app app, every piece real: Keycloak 26 with the dev
 * realm, and in the proxy modes oauth2-proxy exactly as the chart renders its sidecar
 * (values/example.yaml with global.signIn.mode set; only addresses move, as in scripts/lib/run/stack.ts),
 * in front of that app's backend instead of ours.
 *
 * One public origin serves every mode in turn (http://localhost:<publicPort>, the realm's redirect
 * and post-logout URIs): the proxy listens there in the proxy modes, the app's backend itself in
 * the native ones.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localAlphaConfig, sidecarLaunch } from '../../scripts/lib/chart/sidecar.ts';
import type { SignInMode } from '../../scripts/lib/chart/modes.ts';
import { DEV_KEYCLOAK_ADMIN, realmEnv } from '../../scripts/lib/dev-credentials.ts';
import { startKeycloak, type KeycloakHandle } from '../../scripts/lib/run/keycloak.ts';
import { oauth2ProxyBinary, startOauth2Proxy, type Oauth2ProxyHandle } from '../../scripts/lib/run/oauth2-proxy.ts';
import { freePort, type Log } from '../../scripts/lib/run/process.ts';
import { renderExample } from '../../scripts/lib/run/stack.ts';
import type { K8sObject } from '../../scripts/lib/chart/assemble.ts';

/** values/example.yaml's Keycloak client secret: the realm is started with the same. */
const EXAMPLE_CLIENT_SECRET = 'example-client-secret-NOT-REAL';
const EXAMPLE_CATALOG_SECRET = 'example-catalog-secret-NOT-REAL';

export interface ByoSso {
  publicPort: number;
  publicUrl: string;
  keycloak: KeycloakHandle;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

export async function startByoSso(log: Log): Promise<ByoSso> {
  const publicPort = await freePort();
  const keycloakPort = await freePort();
  const publicUrl = `http://localhost:${publicPort}`;
  const keycloak = await startKeycloak({
    publicUrl: `http://127.0.0.1:${keycloakPort}`,
    port: keycloakPort,
    env: {
      ...realmEnv(publicUrl),
      BACKSTAGE_CLIENT_SECRET: EXAMPLE_CLIENT_SECRET,
      BACKSTAGE_CATALOG_CLIENT_SECRET: EXAMPLE_CATALOG_SECRET,
      KC_BOOTSTRAP_ADMIN_USERNAME: DEV_KEYCLOAK_ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: DEV_KEYCLOAK_ADMIN.password,
    },
    log,
  });
  return { publicPort, publicUrl, keycloak, clientId: 'backstage', clientSecret: EXAMPLE_CLIENT_SECRET, stop: () => keycloak.dispose() };
}

/**
 * oauth2-proxy for proxy mode `mode` as the chart renders it, on the public port, in front of the
 * backend at `backstageOrigin`.
 */
export async function startModeProxy(sso: ByoSso, mode: Extract<SignInMode, 'oauth2Proxy' | 'verifiedToken'>, backstageOrigin: string, workDir: string, log: Log): Promise<Oauth2ProxyHandle> {
  const objects: K8sObject[] = await renderExample({ global: { signIn: { mode } } });
  const local = { proxyPort: sso.publicPort, metricsPort: await freePort(), publicOrigin: sso.publicUrl, keycloakOrigin: sso.keycloak.url, backstageOrigin };
  const launch = sidecarLaunch(objects, local);
  // verifiedToken: the mounted alpha config, addresses moved like the env's.
  const file = path.join(workDir, `alpha-config-${mode}.yaml`);
  const alpha = localAlphaConfig(objects, launch.args, local, file);
  if (alpha) {
    await writeFile(file, alpha.text);
    launch.args = alpha.args;
  }
  return startOauth2Proxy({ bin: await oauth2ProxyBinary(), args: launch.args, env: launch.env, log });
}
