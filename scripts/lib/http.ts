/**
 * A small HTTP client for scripted logins: no automatic redirects (each hop is checked), a cookie
 * jar that honours Domain-less host cookies and the Secure flag, and `*.localhost` resolved to the
 * loopback address as browsers do (glibc does not).
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import dns from 'node:dns';

export interface HttpResponse {
  url: URL;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Resolves `localhost` and `*.localhost` to 127.0.0.1, everything else through the system. */
export const localhostLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if ((options as dns.LookupOptions).all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback);
};

/** localhost, *.localhost and 127.0.0.0/8: "potentially trustworthy" origins in browsers. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  secure: boolean;
}

/** Cookies per host (exact host match; enough for one proxy and one Keycloak). */
export class CookieJar {
  private cookies: Cookie[] = [];

  store(url: URL, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      if (eq < 1) continue;
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const lower = attrs.map((a) => a.toLowerCase());
      const expired = lower.some((a) => a === 'max-age=0' || (a.startsWith('expires=') && Date.parse(a.slice(8)) < Date.now()));
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname));
      if (!expired && value !== '') this.cookies.push({ name, value, host: url.hostname, secure: lower.includes('secure') });
    }
  }

  header(url: URL): string | undefined {
    // Like browsers, loopback origins count as secure contexts: Secure cookies flow over http there.
    const secureContext = url.protocol === 'https:' || isLoopbackHost(url.hostname);
    const list = this.cookies.filter((c) => c.host === url.hostname && (!c.secure || secureContext));
    return list.length ? list.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  names(host: string): string[] {
    return this.cookies.filter((c) => c.host === host).map((c) => c.name);
  }

  /** All cookies including the Secure-only ones, for inspection in tests. */
  all(): readonly Cookie[] {
    return this.cookies;
  }

  clear(): void {
    this.cookies = [];
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  jar?: CookieJar;
  timeoutMs?: number;
}

/** One HTTP request, redirects NOT followed. */
export function request(target: string | URL, opts: RequestOptions = {}): Promise<HttpResponse> {
  const url = new URL(target);
  const headers: Record<string, string> = { 'user-agent': 'backstage-keycloak-verify', ...opts.headers };
  const cookie = opts.jar?.header(url);
  if (cookie) headers.cookie = cookie;
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: opts.method ?? 'GET', headers, lookup: localhostLookup, timeout: opts.timeoutMs ?? 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        opts.jar?.store(url, res.headers['set-cookie']);
        resolve({ url, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url.href}: no answer within ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Location of a redirect response, resolved against the request URL. */
export function location(res: HttpResponse): URL | undefined {
  const loc = res.headers.location;
  return loc ? new URL(loc, res.url) : undefined;
}
