/**
 * Prometheus metrics of the backend, on a listener of their own, when BACKSTAGE_METRICS_PORT says so
 * (the backstage-keycloak chart sets it with global.metrics.enabled; unset or empty: nothing here runs).
 *
 * What it does, on import (index.ts imports this module first, before any Backstage package):
 *   - registers an OpenTelemetry MeterProvider globally, read by @opentelemetry/exporter-prometheus,
 *     so the metrics Backstage itself records through @opentelemetry/api (the scheduler's
 *     backend_tasks_*, the catalog's catalog_*, the scaffolder's ...) are exported;
 *   - enables @opentelemetry/instrumentation-http, which records http_server_request_duration (a
 *     histogram in seconds; its _count is the number of requests, by method and status code) for the
 *     requests Backstage serves, and http_client_request_duration for the requests it makes through
 *     node:http/https (Keycloak, Git hosts); requests to this listener are not counted;
 *   - listens on BACKSTAGE_METRICS_HOST (default 0.0.0.0, the pod address Prometheus scrapes) and
 *     BACKSTAGE_METRICS_PORT, and serves `GET|HEAD /metrics` (Prometheus text) and nothing else: every
 *     other request gets 404.
 *
 * Why a listener of its own: in the proxy modes every port of Backstage's is behind the oauth2-proxy
 * login (or on loopback), and Prometheus has no session. This listener answers without a login, so it
 * serves metrics only, and the chart's NetworkPolicy admits it only from networkPolicy.metricsFrom.
 */
import http from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

type Env = Record<string, string | undefined>;

export const METRICS_PATH = '/metrics';

export interface MetricsListen {
  host: string;
  port: number;
}

/** BACKSTAGE_METRICS_PORT / _HOST, or undefined when the port is unset or empty. */
export function readMetricsListen(env: Env = process.env): MetricsListen | undefined {
  const raw = env.BACKSTAGE_METRICS_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`BACKSTAGE_METRICS_PORT=${JSON.stringify(raw)} is not a TCP port: use a number from 1 to 65535 (the chart uses 9464), or leave it empty for no metrics`);
  }
  return { host: env.BACKSTAGE_METRICS_HOST || '0.0.0.0', port };
}

/** True for the one request the listener serves: GET or HEAD of /metrics, exactly (no query). */
export function isMetricsRequest(method: string | undefined, rawTarget: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && rawTarget === METRICS_PATH;
}

function startMetrics(listen: MetricsListen): void {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'backstage' }),
    readers: [exporter],
  });
  metrics.setGlobalMeterProvider(provider);
  registerInstrumentations({
    meterProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes of this listener would only count themselves.
        ignoreIncomingRequestHook: (req) => req.socket.localPort === listen.port,
      }),
    ],
  });

  const server = http.createServer((req, res) => {
    if (isMetricsRequest(req.method, req.url)) {
      exporter.getMetricsRequestHandler(req, res);
      return;
    }
    res.statusCode = 404;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`This listener serves only GET ${METRICS_PATH}\n`);
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.once('error', (e) => {
    console.error(JSON.stringify({ level: 'error', message: `metrics listener: cannot listen on ${listen.host}:${listen.port} (BACKSTAGE_METRICS_PORT): ${e.message}`, service: 'backstage-keycloak' }));
    process.exit(1);
  });
  server.listen(listen.port, listen.host, () => {
    console.log(JSON.stringify({ level: 'info', message: `metrics listener on ${listen.host}:${listen.port} (GET ${METRICS_PATH} only)`, service: 'backstage-keycloak' }));
  });
  // Backstage's shutdown ends the process; this listener never keeps it alive.
  server.unref();
}

const listen = readMetricsListen();
if (listen) startMetrics(listen);
