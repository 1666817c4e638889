/**
 * SSO tier, infrastructure proof: the throwaway PostgreSQL harness serves a password-protected db on
 * loopback; and the Backstage backend copes with a PostgreSQL that comes up after it (it waits, or
 * exits with status 1 once the wait is over: never an unready process that stays up).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { $ } from 'zx';
import { postgresBinDir, startPostgres, type PostgresHandle } from '../../scripts/lib/run/postgres.ts';
import { startBackstage } from '../../scripts/lib/run/backstage.ts';
import { freePort } from '../../scripts/lib/run/process.ts';

let pg: PostgresHandle;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});

describe('PostgreSQL harness', () => {
  it('returns the connection env Backstage reads', () => {
    expect(pg.env.POSTGRES_HOST).toBe('127.0.0.1');
    expect(Number(pg.env.POSTGRES_PORT)).toBeGreaterThan(0);
    expect(pg.env.POSTGRES_USER).toBe('backstage');
    expect(pg.env.POSTGRES_PASSWORD.length).toBeGreaterThanOrEqual(16);
  });

  it('accepts the app user over TCP with its password and lets it create tables', async () => {
    const out = await pg.psql(['-At', '-c', "create table t(x int); insert into t values (42); select current_user || ' ' || x || ' ' || split_part(version(), ' ', 2) from t"]);
    expect(out.trim().split("\n").at(-1)).toMatch(/^backstage 42 1[5-9]/);
  });

  it('can create databases (Backstage creates one per plugin)', async () => {
    await pg.psql(['-c', 'create database backstage_plugin_catalog']);
    const out = await pg.psql(['-At', '-c', "select count(*) from pg_database where datname = 'backstage_plugin_catalog'"]);
    expect(out.trim()).toBe('1');
  });

  it('rejects a wrong password', async () => {
    const r = await $({ quiet: true, nothrow: true, env: { ...process.env, PGPASSWORD: 'wrong-password' } })`${path.join(postgresBinDir()!, 'psql')} -X -h 127.0.0.1 -p ${pg.env.POSTGRES_PORT} -U backstage -d backstage -c ${'select 1'}`;
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/password authentication failed/);
  });
});

describe('Backstage and a late PostgreSQL', () => {
  const production = (port: number, password: string, extra: Record<string, string> = {}) => ({
    configs: ['app-config.production.yaml'],
    env: { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port), POSTGRES_USER: 'backstage', POSTGRES_PASSWORD: password, APP_CONFIG_auth_providers_oauth2Proxy: '{}', ...extra },
    secrets: [password],
  });

  it('waits for a PostgreSQL that starts (and creates its role) 20 s after Backstage, then serves', async () => {
    const port = await freePort();
    const password = `late-${Date.now()}-pw`;
    let late: PostgresHandle | undefined;
    const timer = setTimeout(() => void startPostgres({ port, password }).then((p) => (late = p)), 20_000);
    try {
      const backstage = await startBackstage({ port: await freePort(), ...production(port, password), startTimeoutMs: 240_000 });
      try {
        expect(backstage.startMs).toBeGreaterThan(20_000);
        expect(backstage.logs().join('\n')).toMatch(/waiting for PostgreSQL at 127\.0\.0\.1:\d+ \(\d+s of 240s\)/);
        const catalog = await fetch(`${backstage.url}/.backstage/health/v1/readiness`);
        expect(catalog.status).toBe(200);
      } finally {
        await backstage.stop();
      }
    } finally {
      clearTimeout(timer);
      await late?.stop();
    }
  }, 300_000);

  it('exits with status 1, naming the database and the setting, when PostgreSQL never answers', async () => {
    const port = await freePort();
    const failed = startBackstage({ port: await freePort(), ...production(port, 'never-used-password', { BACKSTAGE_DATABASE_WAIT_SECONDS: '3' }), startTimeoutMs: 120_000 });
    await expect(failed).rejects.toThrow(/exited \(1\)[\s\S]*PostgreSQL at 127\.0\.0\.1:\d+ did not answer within 3s \(BACKSTAGE_DATABASE_WAIT_SECONDS\): connect ECONNREFUSED/);
  }, 180_000);
});

describe('replicas started together on a fresh PostgreSQL (backstage/charts#300)', () => {
  it('three backends started at once on an empty database all become ready, one after the other, with no failed start', async () => {
    const fresh = await startPostgres();
    const started: Awaited<ReturnType<typeof startBackstage>>[] = [];
    try {
      const one = async (): Promise<void> => {
        const healthPort = await freePort();
        const b = await startBackstage({
          port: await freePort(),
          configs: ['app-config.production.yaml'],
          env: { ...fresh.env, APP_CONFIG_auth_providers_oauth2Proxy: '{}', APP_CONFIG_backstageKeycloak_health_listen_host: '127.0.0.1', APP_CONFIG_backstageKeycloak_health_listen_port: String(healthPort) },
          secrets: [fresh.env.POSTGRES_PASSWORD],
          startTimeoutMs: 280_000,
        });
        started.push(b);
      };
      // startBackstage rejects when its process exits before it is ready: all three must settle ready.
      const results = await Promise.allSettled([one(), one(), one()]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason).slice(-600) : 'ready'))).toEqual(['ready', 'ready', 'ready']);
      const logs = started.map((b) => b.logs().join('\n'));
      // What protected the migrations: the start lock; the later replicas waited for it.
      expect(logs.filter((l) => /waiting for another replica to finish starting/.test(l)).length).toBeGreaterThanOrEqual(1);
      for (const l of logs) expect(l).not.toMatch(/Migration table is already locked|backend start failed/);
      // The catalog's migrations ran once, to completion.
      const locks = await fresh.psql(['-At', '-d', 'backstage_plugin_catalog', '-c', 'select is_locked from knex_migrations_lock']);
      expect(locks.trim()).toBe('0');
    } finally {
      await Promise.all(started.map((b) => b.stop()));
      await fresh.stop();
    }
  }, 600_000);
});
