/**
 * Helpers of the backstage tier: raw requests (the path sent byte for byte, nothing normalised),
 * Backstage tokens through the oauth2Proxy provider, and catalog calls.
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A request whose request target is `rawPath` exactly (fetch would normalise dot segments). */
export function rawRequest(base: string, rawPath: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A Backstage token for `username`, signed in through the oauth2Proxy provider (headers). */
export async function proxyToken(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/oauth2Proxy/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest', 'x-forwarded-preferred-username': username } });
  const body = (await res.json()) as { backstageIdentity?: { token: string } };
  if (!body.backstageIdentity) throw new Error(`no Backstage token for ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.backstageIdentity.token;
}

/** A catalog call with a Backstage token; returns the status and the parsed body (or text). */
export async function catalog(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/catalog${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Status of GET/POST /api/auth/<provider>/<path> from loopback (refresh by default). */
export async function providerStatus(base: string, provider: string, path = 'refresh', headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${base}/api/auth/${provider}/${path}`, { headers: { 'x-requested-with': 'XMLHttpRequest', ...headers }, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

/** Every provider id the app knows, with the path that would answer if it were registered. */
export const ALL_PROVIDERS: [string, string][] = [
  ['oauth2Proxy', 'refresh'],
  ['oidcProxy', 'refresh'],
  ['oidc', 'start?env=production'],
  ['oauth2', 'start?env=production'],
  ['guest', 'refresh'],
];
