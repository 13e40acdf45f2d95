import { startThrowawayPgBouncer, type ThrowawayPgBouncer } from '@tenantry/common/testing';
import { enginesSettings, PostgresEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { provisionTenant, usePostgresEngine } from '@tenantry/engines/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as pg from 'pg';
import { budgetedPgDriver, isPasswordRejected, type BudgetedPool } from './budgeted-pg-driver';
import { ConnectionBudget } from './connection-budget';

/**
 * A tenant pool behind a real PgBouncer (SCRAM through its auth query) whose login gets a new
 * password while the pool holds the old one, as a credential rotation does before every process has
 * heard of it: a connection the login refuses asks once for the current password and connects with it.
 */
describe('a tenant pool whose login password changed under it (real server, real PgBouncer)', () => {
  const fixture = usePostgresEngine();
  let pooler: ThrowawayPgBouncer;
  let engine: PostgresEngine;
  const pools: pg.Pool[] = [];
  /** Released before the pools end, whatever a test left: pg-pool's end waits for every checked-out client. */
  const checkedOut: pg.PoolClient[] = [];

  beforeAll(async () => {
    const env = fixture.env();
    pooler = await startThrowawayPgBouncer(env.databaseUrl('postgres'));
    const { adminUrl, exportDir } = env.settings(enginesSettings).postgres;
    engine = new PostgresEngine({ adminUrl, exportDir, pooler: { authLookup: true, adminUrl: pooler.adminUrl } });
  });

  afterAll(async () => {
    for (const client of checkedOut) client.release();
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
    await engine?.close();
    await pooler?.cleanup();
  });

  function poolFor(t: TenantDatabaseTarget, password: string): BudgetedPool {
    const { Pool } = budgetedPgDriver(new ConnectionBudget(20, 30_000, () => false));
    const pool = new Pool({ host: '127.0.0.1', port: pooler.port, user: t.loginName, password, database: t.databaseName, max: 5 }) as BudgetedPool;
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  }

  const checkOut = async (pool: pg.Pool) => {
    const client = await pool.connect();
    checkedOut.push(client);
    return client;
  };

  const whoAmI = async (client: pg.PoolClient) => (await client.query<{ login: string }>('SELECT current_user AS login')).rows[0].login;

  it('connections refused together wait for one renewal and connect with the password it returns; no checkout fails', async () => {
    const t = fixture.target('renewed');
    await provisionTenant(engine, t, 'pw-renewed-1');
    const pool = poolFor(t, 'pw-renewed-1');
    const held = await checkOut(pool);
    expect(await whoAmI(held)).toBe(t.loginName);

    await engine.setLoginPassword(t, 'pw-renewed-2');
    const asked: string[] = [];
    // The registry stores the new password a moment after the login took it.
    pool.renewPasswordWith(async (rejected) => {
      asked.push(rejected);
      await sleep(300);
      return 'pw-renewed-2';
    });
    // The held connection keeps the pool from reusing it: each checkout opens a new one, with the old password first.
    const [a, b, c] = await Promise.all([checkOut(pool), checkOut(pool), checkOut(pool)]);
    for (const client of [a, b, c]) expect(await whoAmI(client)).toBe(t.loginName);
    expect(asked).toEqual(['pw-renewed-1']);
    // Later connections use the renewed password from the start.
    const d = await checkOut(pool);
    expect(await whoAmI(d)).toBe(t.loginName);
    expect(asked).toHaveLength(1);
  });

  it('without a renewed password the refusal stands, and a pool with no renewal fails as before', async () => {
    const t = fixture.target('refused');
    await provisionTenant(engine, t, 'pw-refused-1');
    const renewing = poolFor(t, 'pw-refused-1');
    const plain = poolFor(t, 'pw-refused-1');
    await engine.setLoginPassword(t, 'pw-refused-2');
    renewing.renewPasswordWith(() => Promise.resolve(undefined));

    const refusals = await Promise.all(
      [checkOut(renewing), checkOut(plain)].map((connecting) =>
        connecting.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    for (const refusal of refusals) expect(isPasswordRejected(refusal)).toBe(true);
    // The callback form (TypeORM's) gets the same refusal.
    const viaCallback = await new Promise<Error | undefined>((resolve) => renewing.connect((error) => resolve(error)));
    expect(isPasswordRejected(viaCallback)).toBe(true);
  });
});
