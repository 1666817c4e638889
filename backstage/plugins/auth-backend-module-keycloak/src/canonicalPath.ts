/**
 * A root-level guard: every request whose raw path is not in canonical form is answered 400 before
 * any route sees it. Refused in the path (the query string is not checked):
 *   - a percent-encoded unreserved character (%2e for '.', %41 for 'A', ...): RFC 3986 says these
 *     never need encoding, so only a request built to look different does it;
 *   - an encoded '/', '\' or NUL (%2f, %5c, %00), which could smuggle path separators;
 *   - a malformed escape ('%' not followed by two hex digits);
 *   - a dot segment ('.' or '..', raw or encoded) and a backslash.
 *
 * Why: a proxy that matches routes against the DECODED path but forwards the raw one can be walked
 * around: oauth2-proxy's former login-free health route let `/%2ebackstage/health/v1/readiness`
 * through without a session, and Backstage answered with index.html (and its frontend config).
 * The chart no longer gives oauth2-proxy any login-free route (the probes use the health listener,
 * healthListener.ts); the guard stays as defence in depth, in every sign-in mode.
 */
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { readHealthListen, startHealthListener } from './healthListener';

/** The parts of an Express request and response the guard uses (no dependency on express's types). */
export interface GuardRequest {
  method: string;
  url: string;
  originalUrl?: string;
}
export interface GuardResponse {
  status(code: number): { json(body: unknown): unknown };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Why `rawPath` is not canonical, or undefined when it is. */
export function nonCanonicalReason(rawPath: string): string | undefined {
  for (let i = 0; i < rawPath.length; i++) {
    if (rawPath[i] !== '%') continue;
    const hex = rawPath.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return 'malformed percent-encoding';
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (UNRESERVED.test(ch)) return `percent-encoded unreserved character %${hex}`;
    if (ch === '/' || ch === '\\' || ch === '\0') return `percent-encoded separator %${hex}`;
  }
  if (rawPath.includes('\\')) return 'backslash';
  if (rawPath.split('/').some((s) => s === '.' || s === '..')) return 'dot segment';
  return undefined;
}

/** Express middleware: 400 for non-canonical request paths (see the file comment), logged. */
export function canonicalPathGuard(logger?: { warn(message: string): void }) {
  return (req: GuardRequest, res: GuardResponse, next: () => void): void => {
    // req.originalUrl is the request target exactly as received (nothing decoded).
    const raw = req.originalUrl ?? req.url;
    const q = raw.search(/[?#]/);
    const rawPath = q === -1 ? raw : raw.slice(0, q);
    const reason = nonCanonicalReason(rawPath);
    if (!reason) {
      next();
      return;
    }
    // Before Backstage's request log (which comes with the routes): say here what was refused.
    logger?.warn(`refused ${req.method} ${JSON.stringify(rawPath)}: request path not in canonical form (${reason})`);
    res.status(400).json({ error: { name: 'InputError', message: `Request path is not in canonical form (${reason}); use the plain path` } });
  };
}

/**
 * Backstage's root HTTP router with the guard in front of every route (health included), then the
 * defaults: `backend.add(canonicalPathRootHttpRouter())` replaces the default root router. When
 * `backstageKeycloak.health.listen.port` is set it also starts the health listener
 * (healthListener.ts) with the backend, and stops it on shutdown; a port it cannot bind fails the
 * start.
 */
export function canonicalPathRootHttpRouter() {
  return rootHttpRouterServiceFactory({
    configure({ app, applyDefaults, logger, config, lifecycle, healthRouter }) {
      app.use(canonicalPathGuard(logger));
      applyDefaults();
      const listen = readHealthListen(config);
      if (listen) {
        let close: (() => Promise<void>) | undefined;
        lifecycle.addStartupHook(async () => {
          close = await startHealthListener(healthRouter, listen, logger);
        });
        lifecycle.addShutdownHook(async () => {
          await close?.();
        });
      }
    },
  });
}
