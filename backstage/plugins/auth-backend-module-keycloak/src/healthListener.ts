/**
 * A second listener that serves Backstage's health endpoints and nothing else, for the kubelet's
 * probes: `GET|HEAD /.backstage/health/v1/readiness` and `/liveness`, byte-exact (no query, no other
 * spelling); every other request gets 404 without reaching a route.
 *
 * Why: in the proxy modes Backstage listens on 127.0.0.1 and trusts what oauth2-proxy forwards, so
 * the probes used to pass through the proxy on a login-free route. oauth2-proxy decides whether a
 * request matches such a route from the request path, or, with --reverse-proxy, from the
 * client-supplied X-Forwarded-Uri header: `GET /` with `X-Forwarded-Uri: /.backstage/health/...`
 * reached Backstage without a session. With this listener the proxy has no login-free route at all,
 * and what is reachable without a login is health and only health, whatever the headers say.
 *
 * Config (the backstage-keycloak chart sets it in every sign-in mode):
 *   backstageKeycloak.health.listen.port  port of the listener (absent: no listener)
 *   backstageKeycloak.health.listen.host  address (default 0.0.0.0: the kubelet probes the pod IP)
 */
import http from 'node:http';
import express from 'express';
import type { RequestHandler } from 'express';
import type { Config } from '@backstage/config';

export const HEALTH_PATHS: readonly string[] = ['/.backstage/health/v1/readiness', '/.backstage/health/v1/liveness'];

export interface HealthListenOptions {
  host: string;
  port: number;
}

/** backstageKeycloak.health.listen, or undefined when no port is configured. */
export function readHealthListen(config: Config): HealthListenOptions | undefined {
  const c = config.getOptionalConfig('backstageKeycloak.health.listen');
  const port = c?.getOptionalNumber('port');
  if (port === undefined) return undefined;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`backstageKeycloak.health.listen.port=${port} is not a TCP port: use a number from 1 to 65535 (the chart uses 7008)`);
  }
  return { host: c?.getOptionalString('host') ?? '0.0.0.0', port };
}

/**
 * True when the request is one the health listener serves: GET or HEAD of a health path, with the
 * request target exactly that path (raw, before any decoding).
 */
export function isHealthRequest(method: string | undefined, rawTarget: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && HEALTH_PATHS.includes(rawTarget ?? '');
}

/** An express app that serves `healthRouter` for the exact health requests and 404 for the rest. */
export function healthApp(healthRouter: RequestHandler): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (isHealthRequest(req.method, req.originalUrl)) {
      next();
      return;
    }
    res.status(404).json({ error: { name: 'NotFoundError', message: 'This listener serves only GET /.backstage/health/v1/readiness and /liveness' } });
  });
  app.use(healthRouter);
  app.use((_req, res) => {
    res.status(404).end();
  });
  return app;
}

/**
 * Starts the health listener; resolves once it listens, rejects (naming the address) when it cannot.
 * Returns a function that closes it.
 */
export async function startHealthListener(
  healthRouter: RequestHandler,
  listen: HealthListenOptions,
  logger?: { info(message: string): void },
): Promise<() => Promise<void>> {
  const server = http.createServer(healthApp(healthRouter));
  // Probes are short: nothing may keep a connection or a request open for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`health listener: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}`)));
    server.listen(listen.port, listen.host, () => resolve());
  });
  logger?.info(`health listener on ${listen.host}:${listen.port} (GET ${HEALTH_PATHS.join(', ')} only)`);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}
