/**
 * Debian's nginx as an ingress stand-in: a reverse proxy on 127.0.0.1 in front of an address the
 * test owns (the kind port mapping), configured the way ingress controllers are by default. It
 * sets the X-Forwarded-* / X-Real-IP headers of the connection it received, and passes every
 * other request header of the client through untouched (X-Forwarded-Uri, X-Original-URI, ...
 * included), which is what makes a header-trusting proxy behind it attackable.
 *
 * Test-only: the cluster tier's attacks on the login go through it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startProcess, waitUntil } from '../../scripts/lib/run/process.ts';

export interface NginxHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  /** nginx's access log so far (one line per request: method, target, status, upstream status). */
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

const NGINX = '/usr/sbin/nginx';

/**
 * Starts nginx on a free loopback port, proxying to `upstream` (an http://127.0.0.1:<port> address)
 * with `Host: <host>`. Fails with the fix when Debian's nginx is not installed.
 */
export async function startNginx(opts: { upstream: string; host: string }): Promise<NginxHandle> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: install Debian's nginx (scripts/ci/apt.sh installs it; apt-get install nginx)`);
  const upstream = new URL(opts.upstream);
  if (upstream.hostname !== '127.0.0.1') throw new Error(`startNginx: upstream ${opts.upstream} is not on 127.0.0.1 (tests reach only loopback)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-nginx-'));
  const port = await freePort();
  const conf = `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  log_format bk '$request_method $request_uri $status $upstream_status';
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    access_log ${dir}/access.log bk;
    location / {
      # What an ingress controller sets by default; every other client header passes through.
      proxy_set_header Host ${opts.host};
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host ${opts.host};
      proxy_set_header X-Forwarded-Port ${port};
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Scheme $scheme;
      proxy_http_version 1.1;
      proxy_redirect off;
      proxy_pass http://127.0.0.1:${upstream.port};
    }
  }
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  const proc = startProcess({ name: 'nginx', cmd: NGINX, args: ['-p', dir, '-c', confFile], env: { PATH: process.env.PATH } });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await proc.stop(5000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(`nginx on ${url}`, () => fetch(`${url}/nginx-probe-${Date.now()}`, { redirect: 'manual' }).then(() => true, () => false), { timeoutMs: 10_000, intervalMs: 100, proc });
  } catch (e) {
    const err = await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`${(e as Error).message}\n${err}`);
  }
  return { url, stop, accessLog: () => readFile(path.join(dir, 'access.log'), 'utf8').catch(() => '') };
}
