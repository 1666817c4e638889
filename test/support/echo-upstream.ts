/**
 * TEST DOUBLE for Backstage: a tiny HTTP server on 127.0.0.1 that records every request and
 * answers with the X-Forwarded-* (and other) headers it received, as HTML and JSON. It stands in
 * for the real Backstage (built by another engineer) so the SSO tier can prove what oauth2-proxy
 * sends upstream. It is not Backstage and does no authentication of its own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface EchoUpstream {
  url: string;
  port: number;
  /** Every request received, oldest first. */
  requests: SeenRequest[];
  /** The last request whose X-Forwarded-* headers were present. */
  lastForwarded(): SeenRequest | undefined;
  stop(): Promise<void>;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export async function startEchoUpstream(port = 0): Promise<EchoUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const seen = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(seen);
    const forwarded = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-forwarded-') || k === 'gap-auth' || k === 'authorization'));
    if ((req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ testDouble: 'echo-upstream', method: seen.method, url: seen.url, forwarded }));
      return;
    }
    const rows = Object.entries(forwarded)
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td id="${escapeHtml(k)}">${escapeHtml(String(v))}</td></tr>`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>echo upstream (test double for Backstage)</title>
<h1>Echo upstream: test double standing in for Backstage</h1>
<p>${escapeHtml(seen.method)} ${escapeHtml(seen.url)}</p><table border="1">${rows}</table>`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    lastForwarded: () => [...requests].reverse().find((r) => r.headers['x-forwarded-preferred-username'] || r.headers['x-forwarded-user']),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
