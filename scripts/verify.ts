/**
 * npm run verify -- [--context <ctx>] [--kubeconfig <file>] [--namespace backstage] [--release backstage]
 *                   [--url <public URL>] [--user alice] [--password <pw>] [--api-only] [--yes]
 *
 * Checks an installed release through the Kubernetes API, for its sign-in mode (proxy modes:
 * Deployment available, hardened oauth2-proxy sidecar with the pinned image, Service on the proxy
 * port, the three secret keys, no secret literal in the pod spec, the NetworkPolicy; native modes:
 * no sidecar, Service and NetworkPolicy on Backstage's port, client and session secrets from
 * Secrets), then over HTTP: the sign-in is sent to Keycloak with the right client id, redirect URI
 * and PKCE, and a login yields the Backstage identity.
 * Prints a table; exits 1 naming each failed check. --api-only skips HTTP (e.g. a kwok cluster,
 * whose pods serve nothing). The public URL, issuer and client id are read from the release.
 */
import { parseArgv } from 'zx';
import { guardContext, loadKubeConfig } from './lib/kube/client.ts';
import { DEV_USERS } from './lib/dev-credentials.ts';
import { formatChecks, verifyHttp, verifyObjects, type Check } from './lib/kube/verify.ts';

export interface VerifyArgs {
  context?: string;
  kubeconfig?: string;
  namespace: string;
  release: string;
  url?: string;
  user: string;
  password: string;
  apiOnly: boolean;
  yes: boolean;
}

export function parseVerifyArgs(args: string[]): VerifyArgs {
  const a = parseArgv(args, { string: ['context', 'kubeconfig', 'namespace', 'release', 'url', 'user', 'password'], boolean: ['api-only', 'yes'], camelCase: true });
  const user = String(a.user ?? 'alice');
  const known = Object.values(DEV_USERS).find((u) => u.username === user);
  return {
    context: a.context as string | undefined,
    kubeconfig: a.kubeconfig as string | undefined,
    namespace: String(a.namespace ?? 'backstage'),
    release: String(a.release ?? 'backstage'),
    url: a.url as string | undefined,
    user,
    password: String(a.password ?? process.env.BK_VERIFY_PASSWORD ?? known?.password ?? ''),
    apiOnly: Boolean(a.apiOnly),
    yes: Boolean(a.yes),
  };
}

/** Runs every check; returns them (the CLI prints and sets the exit code). */
export async function verify(v: VerifyArgs, log: (l: string) => void = console.error): Promise<Check[]> {
  const kc = loadKubeConfig({ kubeconfig: v.kubeconfig, context: v.context });
  guardContext(kc, v.yes, 'verify');
  log(`verify: release ${v.release} in namespace ${v.namespace} on ${kc.getCurrentContext()}`);
  const { checks, facts } = await verifyObjects(kc, { namespace: v.namespace, release: v.release });
  if (v.apiOnly) return checks;
  const publicUrl = v.url ?? facts.publicUrl;
  if (!publicUrl) return [...checks, { name: 'public URL known', ok: false, detail: 'not found in the release; pass --url' }];
  if (!v.password) return [...checks, { name: `password of ${v.user}`, ok: false, detail: 'pass --password or BK_VERIFY_PASSWORD' }];
  const authorizeUrl = facts.loginUrl ?? (facts.issuerUrl ? `${facts.issuerUrl}/protocol/openid-connect/auth` : undefined);
  return [...checks, ...(await verifyHttp({ mode: facts.mode, publicUrl, clientId: facts.clientId, authorizeUrl, user: v.user, password: v.password, log }))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  verify(parseVerifyArgs(process.argv.slice(2)))
    .then((checks) => {
      console.log(formatChecks(checks));
      const failed = checks.filter((c) => !c.ok);
      console.log(`\n${checks.length - failed.length}/${checks.length} checks passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      if (failed.length) {
        console.error(`verify: FAILED: ${failed.map((c) => c.name).join('; ')}`);
        process.exitCode = 1;
      }
    })
    .catch((e: unknown) => {
      console.error(`verify: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
