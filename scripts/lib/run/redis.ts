/**
 * A throwaway Redis (Debian's redis-server, installed by scripts/ci/apt.sh) on a free loopback port,
 * for oauth2-proxy's server-side session store: no persistence, a private directory, the password
 * (when given) in a config file of mode 0600, never on the command line.
 *
 *   const redis = await startRedis({ password });
 *   redis.url                     // redis://127.0.0.1:<port>
 *   await redis.command('KEYS', '*')   // redis-cli --raw output
 *   await redis.stop();
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { ensureDebianPackage } from './apt.ts';
import { freePort, progress, startProcess, waitUntil, type Log, type Managed } from './process.ts';

export const redisServerPath = process.env.BK_REDIS_SERVER ?? '/usr/bin/redis-server';
/** Debian's redis-tools, a dependency of redis-server. */
const redisCliPath = path.join(path.dirname(redisServerPath), 'redis-cli');

export interface RedisHandle {
  /** redis://127.0.0.1:<port> (no credentials: the password travels separately). */
  url: string;
  port: number;
  proc: Managed;
  /** One command through redis-cli (the password in its environment, never in args); the raw reply, one line per element. */
  command(...args: string[]): Promise<string>;
  /** Stops the server and starts it again on the same port and configuration (no persistence: its data is gone). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(opts: { password?: string; log?: Log } = {}): Promise<RedisHandle> {
  const log = opts.log ?? progress('redis');
  await ensureDebianPackage('redis-server', () => existsSync(redisServerPath), log);
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-redis-'));
  const conf = path.join(dir, 'redis.conf');
  await writeFile(
    conf,
    `${[`port ${port}`, 'bind 127.0.0.1', 'protected-mode yes', `dir ${dir}`, 'save ""', 'appendonly no', 'daemonize no', ...(opts.password ? [`requirepass "${opts.password.replace(/["\\]/g, '\\$&')}"`] : [])].join('\n')}\n`,
    { mode: 0o600 },
  );
  const t0 = Date.now();
  const spawn = (): Managed => startProcess({ name: 'redis', cmd: redisServerPath, args: [conf], env: { PATH: process.env.PATH }, secrets: [opts.password] });
  let proc = spawn();
  const command = async (...args: string[]): Promise<string> => {
    const r = await $({ quiet: true, env: { PATH: process.env.PATH, ...(opts.password ? { REDISCLI_AUTH: opts.password } : {}) } })`${redisCliPath} -h 127.0.0.1 -p ${port} --raw ${args}`;
    return r.stdout.replace(/\n$/, '');
  };
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
    get proc() {
      return proc;
    },
    command,
    async restart() {
      await proc.stop(5000);
      proc = spawn();
      await waitUntil('redis-server PING after the restart', async () => (await command('PING').catch(() => '')) === 'PONG', { timeoutMs: 15_000, intervalMs: 100, proc });
      log(`redis-server restarted on 127.0.0.1:${port}`);
    },
    async stop() {
      await proc.stop(5000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
