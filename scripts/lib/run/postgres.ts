/**
 * A throwaway PostgreSQL (Debian's `postgresql` package) in a temp dir on a 127.0.0.1 port.
 *
 *   const pg = await startPostgres();
 *   pg.env       // { POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD } for Backstage
 *   await pg.psql(['-c', 'select 1']);
 *   await pg.stop();   // stops the server and deletes the data dir
 *
 * PostgreSQL refuses to run as root: when we are root the server runs as the `postgres` system
 * user (the Debian package creates it) via spawn's uid/gid; otherwise as the current user.
 * Authentication: TCP is scram-sha-256 only (the app user has a password); the unix socket, which
 * lives in the private data dir, is `trust` for the bootstrap superuser.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { ensureDebianPackage } from './apt.ts';
import { freePort, progress, startProcess, waitUntil, type Log } from './process.ts';

export interface PostgresOptions {
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** Application role and database; defaults backstage / backstage. */
  user?: string;
  database?: string;
  /** Default: random per run. */
  password?: string;
  log?: Log;
}

export interface PostgresEnv {
  POSTGRES_HOST: string;
  POSTGRES_PORT: string;
  POSTGRES_USER: string;
  POSTGRES_PASSWORD: string;
  [key: string]: string;
}

export interface PostgresHandle {
  env: PostgresEnv;
  database: string;
  /** postgresql://user:password@127.0.0.1:port/database */
  connectionString: string;
  dataDir: string;
  /** Runs psql over TCP as the application user (password auth); returns stdout. */
  psql(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Highest /usr/lib/postgresql/<v>/bin, or BK_PG_BIN. */
export function postgresBinDir(): string | undefined {
  if (process.env.BK_PG_BIN) return process.env.BK_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = await $({ quiet: true, nothrow: true })`id -u postgres`;
  const gid = await $({ quiet: true, nothrow: true })`id -g postgres`;
  if (!id.ok || !gid.ok) {
    throw new Error('postgres harness: running as root and there is no `postgres` system user (PostgreSQL refuses root). Install the Debian postgresql package or run as a normal user.');
  }
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresHandle> {
  const t0 = Date.now();
  const log = opts.log ?? progress('postgres', t0);
  await ensureDebianPackage('PostgreSQL (Debian package postgresql)', () => postgresBinDir() !== undefined, log);
  const bin = postgresBinDir()!;
  const user = opts.user ?? 'backstage';
  const database = opts.database ?? 'backstage';
  const password = opts.password ?? randomBytes(18).toString('base64url');
  const port = opts.port ?? (await freePort());
  const owner = await runAs();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bk-postgres-'));
  const pgdata = path.join(dataDir, 'data');
  if (owner) await chown(dataDir, owner.uid, owner.gid);
  const spawnAs = owner ?? {};
  const baseEnv = { PATH: process.env.PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

  log(`postgres: initdb (${bin}) in ${pgdata}`);
  const init = startProcess({
    name: 'initdb',
    cmd: path.join(bin, 'initdb'),
    args: ['-D', pgdata, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-instructions'],
    env: baseEnv,
    cwd: dataDir,
    ...spawnAs,
  });
  const initCode = await init.exited;
  if (initCode !== 0) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`postgres: initdb failed (${initCode}):\n${init.tail()}`);
  }

  const server = startProcess({
    name: 'postgres',
    cmd: path.join(bin, 'postgres'),
    args: ['-D', pgdata, '-h', '127.0.0.1', '-p', String(port), '-k', dataDir, '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'],
    env: baseEnv,
    cwd: dataDir,
    secrets: [password],
    ...spawnAs,
  });
  const stop = async () => {
    await server.stop(10_000); // SIGTERM = smart shutdown; SIGKILL after 10 s
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      'postgres',
      async () => (await $({ quiet: true, nothrow: true })`${path.join(bin, 'pg_isready')} -h 127.0.0.1 -p ${port}`).ok,
      { timeoutMs: 60_000, proc: server },
    );
    // Superuser over the private unix socket (trust), then everything else over TCP with a password.
    const sql = [
      `CREATE ROLE "${user}" LOGIN PASSWORD '${password.replace(/'/g, "''")}' CREATEDB;`,
      `CREATE DATABASE "${database}" OWNER "${user}";`,
    ].join('\n');
    const sqlFile = path.join(dataDir, 'bootstrap.sql');
    await writeFile(sqlFile, sql, { mode: 0o600 });
    const boot = await $({ quiet: true, nothrow: true })`${path.join(bin, 'psql')} -X -v ON_ERROR_STOP=1 -h ${dataDir} -p ${port} -U postgres -d postgres -f ${sqlFile}`;
    await rm(sqlFile, { force: true });
    if (!boot.ok) throw new Error(`postgres: creating role/database failed: ${boot.stderr.trim()}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const env: PostgresEnv = {
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(port),
    POSTGRES_USER: user,
    POSTGRES_PASSWORD: password,
  };
  log(`postgres: ready on 127.0.0.1:${port} (db ${database}, user ${user}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return {
    env,
    database,
    connectionString: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    dataDir,
    async psql(args) {
      const out = await $({ quiet: true, nothrow: true, env: { ...process.env, PGPASSWORD: password } })`${path.join(bin, 'psql')} -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${port} -U ${user} -d ${database} ${args}`;
      if (!out.ok) throw new Error(`psql ${args.join(' ')}: ${out.stderr.trim()}`);
      return out.stdout;
    },
    stop,
  };
}
