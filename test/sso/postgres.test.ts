/** SSO tier, infrastructure proof: the throwaway PostgreSQL harness serves a password-protected db on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { $ } from 'zx';
import { postgresBinDir, startPostgres, type PostgresHandle } from '../../scripts/lib/run/postgres.ts';

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
