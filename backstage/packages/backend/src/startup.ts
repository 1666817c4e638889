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
 *
 * The PostgreSQL settings come from the same env the production config reads
 * (app-config.production.yaml); without POSTGRES_HOST (SQLite, local runs) there is nothing to wait for.
 * BACKSTAGE_DATABASE_WAIT_SECONDS bounds the wait (default 240, inside the chart's 300 s startup budget, so the log says why; 0 disables it).
 */
// pg ships no types; the little used here is typed by hand.
interface PgClient {
  on(event: 'error', listener: (error: Error) => void): void;
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
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

async function answers(env: Env): Promise<void> {
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

/** Starts the backend; any start-up failure ends the process with status 1. */
export function startOrExit(start: () => Promise<unknown>): void {
  const fail = (error: unknown) => {
    console.error(JSON.stringify({ level: 'error', message: `backend start failed, exiting: ${error instanceof Error ? error.message : String(error)}`, service: 'backstage-keycloak' }));
    process.exit(1);
  };
  waitForDatabase().then(start).catch(fail);
}
