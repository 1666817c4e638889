/**
 * A throwaway Redis (Debian's redis-server, installed by scripts/ci/apt.sh) on a free loopback port,
 * for oauth2-proxy's server-side session store: no persistence, a private directory, the password
 * (when given) in a config file of mode 0600, never on the command line.
 *
 *   const redis = await startRedis({ password });
 *   redis.url                     // redis://127.0.0.1:<port>
 *   await redis.command('KEYS', '*')
 *   await redis.stop();
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureDebianPackage } from './apt.ts';
import { freePort, progress, startProcess, waitUntil, type Log, type Managed } from './process.ts';

export const redisServerPath = process.env.BK_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisHandle {
  /** redis://127.0.0.1:<port> (no credentials: the password travels separately). */
  url: string;
  port: number;
  proc: Managed;
  /** One command over RESP (AUTH first when there is a password); the reply as a string, array or number. */
  command(...args: string[]): Promise<RespValue>;
  stop(): Promise<void>;
}

export type RespValue = string | number | null | RespValue[];

/** Parses one RESP reply from `buf` at `at`; undefined when incomplete. */
function parse(buf: Buffer, at = 0): { value: RespValue; end: number } | undefined {
  const nl = buf.indexOf('\r\n', at);
  if (nl < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, nl);
  if (type === '+') return { value: line, end: nl + 2 };
  if (type === '-') throw new Error(`redis: ${line}`);
  if (type === ':') return { value: Number(line), end: nl + 2 };
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    if (buf.length < nl + 2 + n + 2) return undefined;
    return { value: buf.toString('utf8', nl + 2, nl + 2 + n), end: nl + 2 + n + 2 };
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    const out: RespValue[] = [];
    let end = nl + 2;
    for (let i = 0; i < n; i++) {
      const r = parse(buf, end);
      if (!r) return undefined;
      out.push(r.value);
      end = r.end;
    }
    return { value: out, end };
  }
  throw new Error(`redis: unexpected reply ${JSON.stringify(buf.toString('utf8', at, nl))}`);
}

/** Sends `commands` on one connection and resolves with the last reply. */
function resp(port: number, commands: string[][]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const replies: RespValue[] = [];
    sock.setTimeout(5000, () => sock.destroy(new Error('redis: no answer in 5s')));
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      try {
        for (;;) {
          const r = parse(buf);
          if (!r) break;
          replies.push(r.value);
          buf = buf.subarray(r.end);
        }
      } catch (e) {
        sock.destroy();
        reject(e);
        return;
      }
      if (replies.length === commands.length) {
        sock.end();
        resolve(replies[replies.length - 1]!);
      }
    });
    sock.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''));
  });
}

export async function startRedis(opts: { password?: string; log?: Log } = {}): Promise<RedisHandle> {
  const log = opts.log ?? progress('redis');
  await ensureDebianPackage('redis-server', () => existsSync(redisServerPath), log);
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-redis-'));
  const conf = path.join(dir, 'redis.conf');
  await writeFile(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', 'protected-mode yes', `dir ${dir}`, 'save ""', 'appendonly no', 'daemonize no', ...(opts.password ? [`requirepass "${opts.password.replace(/["\\]/g, '\\$&')}"`] : [])].join('\n') + '\n',
    { mode: 0o600 },
  );
  const t0 = Date.now();
  const proc = startProcess({ name: 'redis', cmd: redisServerPath, args: [conf], env: { PATH: process.env.PATH }, secrets: [opts.password] });
  const auth = opts.password ? [['AUTH', opts.password]] : [];
  const command = (...args: string[]) => resp(port, [...auth, args]);
  try {
    await waitUntil('redis-server PING', async () => (await command('PING').catch(() => '')) === 'PONG', { timeoutMs: 15_000, intervalMs: 100, proc });
  } catch (e) {
    await proc.stop(2000);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  log(`redis-server ready on 127.0.0.1:${port} in ${((Date.now() - t0) / 1000).toFixed(1)}s${opts.password ? ' (AUTH required)' : ''}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    proc,
    command,
    async stop() {
      await proc.stop(5000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
