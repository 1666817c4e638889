/**
 * Start-up guards of the backend.
 *
 * Backstage's `backend.start()` rejects when a plugin cannot reach its database, but the process
 * stays up: liveness answers 200 and readiness 503 "Backend has not started yet" forever, and
 * kubelet keeps a pod that will never serve. That happens whenever PostgreSQL comes up after
 * Backstage (a fresh install, a database restart during a rollout). So:
 *
 *   - waitForDatabase(): before starting, wait (bounded) until the PostgreSQL of POSTGRES_HOST /
 *     POSTGRES_PORT accepts the configured user and answers `select 1`; prints progress.
 *   - startOrExit(): a failed start ends the process with status 1, so kubelet restarts it.
 *   - one start at a time: replicas started together on one database (a fresh install with two or
 *     three replicas) would run each plugin's knex migrations concurrently, and the loser fails
 *     with "Migration table is already locked" (backstage/charts#300) and restarts. So the start
 *     runs under a PostgreSQL advisory lock (session-level, in the maintenance database): the
 *     next replica starts once the previous one has migrated and started, and a replica that dies
 *     releases the lock with its connection. Progress is printed while waiting.
 *
 * The PostgreSQL settings come from the same env the production config reads
 * (app-config.production.yaml); without POSTGRES_HOST (SQLite, local runs) there is nothing to wait for.
 * BACKSTAGE_DATABASE_WAIT_SECONDS bounds the wait (default 240, inside the chart's 300 s startup budget, so the log says why; 0 disables it).
 */
// pg ships no types; the little used here is typed by hand.
interface PgClient {
  on(event: 'error', listener: (error: Error) => void): void;
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as { Client: new (options: object) => PgClient };

type Env = Record<string, string | undefined>;

function say(message: string) {
  // The root logger does not exist yet: one JSON line like Backstage's own.
  console.log(JSON.stringify({ level: 'info', message, service: 'backstage-keycloak' }));
}

function waitSeconds(env: Env): number {
  const raw = env.BACKSTAGE_DATABASE_WAIT_SECONDS ?? '240';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`BACKSTAGE_DATABASE_WAIT_SECONDS=${JSON.stringify(raw)} is not a whole number of seconds (0 disables the wait)`);
  }
  return seconds;
}

function maintenanceClient(env: Env): PgClient {
  const client = new Client({
    host: env.POSTGRES_HOST,
    port: Number(env.POSTGRES_PORT || 5432),
    user: env.POSTGRES_USER,
    password: env.POSTGRES_PASSWORD,
    // Backstage creates one database per plugin; the maintenance database always exists.
    database: 'postgres',
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => {});
  return client;
}

async function answers(env: Env): Promise<void> {
  const client = maintenanceClient(env);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}

export async function waitForDatabase(env: Env = process.env): Promise<void> {
  if (!env.POSTGRES_HOST) return;
  const limit = waitSeconds(env);
  if (limit === 0) return;
  const where = `${env.POSTGRES_HOST}:${env.POSTGRES_PORT || 5432}`;
  const started = Date.now();
  let lastReport = 0;
  for (;;) {
    try {
      await answers(env);
      if (lastReport) say(`PostgreSQL at ${where} answers after ${Math.round((Date.now() - started) / 1000)}s`);
      return;
    } catch (error) {
      const elapsed = (Date.now() - started) / 1000;
      const reason = (error as Error).message;
      // Refused credentials are retried too: a database that is still being initialised (an
      // entrypoint creating the role) refuses them for a few seconds. The final error names them.
      const hint = /password authentication failed|role .* does not exist/.test(reason) ? ' (check POSTGRES_USER / POSTGRES_PASSWORD)' : '';
      if (elapsed >= limit) {
        throw new Error(`PostgreSQL at ${where} did not answer within ${limit}s (BACKSTAGE_DATABASE_WAIT_SECONDS): ${reason}${hint}`);
      }
      if (elapsed - lastReport >= 10 || lastReport === 0) {
        say(`waiting for PostgreSQL at ${where} (${Math.round(elapsed)}s of ${limit}s): ${reason}`);
        lastReport = Math.max(elapsed, 0.001);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The advisory lock key of the start: fixed, this app's own ("bkst" in ASCII, 0x626b7374). */
export const START_LOCK = 1651209076;

/**
 * Runs `start` while holding the start lock of the database (see the top of this file); without
 * POSTGRES_HOST (SQLite, local runs) it just runs it. The lock is released once `start` settles.
 */
export async function withStartLock<T>(start: () => Promise<T>, env: Env = process.env): Promise<T> {
  if (!env.POSTGRES_HOST) return start();
  const client = maintenanceClient(env);
  await client.connect();
  try {
    const began = Date.now();
    let lastReport = 0;
    for (;;) {
      const { rows } = await client.query('select pg_try_advisory_lock($1) as locked', [START_LOCK]);
      if (rows[0]?.locked === true) break;
      const elapsed = (Date.now() - began) / 1000;
      if (lastReport === 0 || elapsed - lastReport >= 10) {
        say(`waiting for another replica to finish starting (its database migrations) before starting: ${Math.round(elapsed)}s`);
        lastReport = Math.max(elapsed, 0.001);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (lastReport) say(`start lock taken after ${Math.round((Date.now() - began) / 1000)}s`);
    return await start();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [START_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Starts the backend; any start-up failure ends the process with status 1. */
export function startOrExit(start: () => Promise<unknown>): void {
  const fail = (error: unknown) => {
    console.error(JSON.stringify({ level: 'error', message: `backend start failed, exiting: ${error instanceof Error ? error.message : String(error)}`, service: 'backstage-keycloak' }));
    process.exit(1);
  };
  waitForDatabase()
    .then(() => withStartLock(start))
    .catch(fail);
}
