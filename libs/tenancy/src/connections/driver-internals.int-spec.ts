import { createTestEnv, waitFor, type TestEnv } from '@tenantry/common/testing';
import { startTdsDouble, type TdsDouble } from '@tenantry/engines/testing';
import { Order, TENANT_ENTITIES } from '@tenantry/tenant-schema';
import type * as mssql from 'mssql';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as pg from 'pg';
import * as tarn from 'tarn';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { budgetedMssqlDriver, type BudgetedMssqlPool } from './budgeted-mssql-driver';
import { budgetedPgDriver, type BudgetedPool } from './budgeted-pg-driver';
import { ConnectionBudget } from './connection-budget';
import { PostgresServerFacts } from './postgres-server-facts';
import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

const ROOT = join(__dirname, '../../../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  overrides: Record<string, string>;
};

/** What package.json pins: pg, mssql, tarn and typeorm as dependencies, pg-pool (which pg brings) as an override. */
const PINS = {
  pg: manifest.dependencies.pg,
  'pg-pool': manifest.overrides['pg-pool'],
  mssql: manifest.dependencies.mssql,
  tarn: manifest.dependencies.tarn,
  typeorm: manifest.dependencies.typeorm,
};

/** Whose copy the code loads: pg-pool is the one pg requires, tarn the one mssql requires. */
const LOADED_BY: Partial<Record<keyof typeof PINS, string>> = { 'pg-pool': 'pg', tarn: 'mssql' };

/** The version the code loads, read beside its entry point: not every package exports its package.json. */
function installedVersion(name: keyof typeof PINS): string {
  const loader = LOADED_BY[name];
  const from = createRequire(loader ? require.resolve(loader) : join(ROOT, 'package.json'));
  let dir = dirname(from.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Fails naming the internal, the version that moved it and the file that relies on it. */
function relied(holds: boolean, name: keyof typeof PINS, internal: string, reliedOnBy: string): void {
  if (holds) return;
  throw new Error(
    `${name} ${installedVersion(name)}: ${internal} no longer holds; ${reliedOnBy} relies on it. ` +
      `Read that version's source and adapt the code before moving the pin in package.json.`,
  );
}

/**
 * The connection cap and /health read internals of pg-pool, mssql, tarn and TypeORM that no semver
 * range protects, so package.json pins them exactly; these tests say which internal moved when a
 * new version is tried.
 */
describe('the pg-pool, mssql, tarn and TypeORM internals the connection cap relies on', () => {
  let env: TestEnv;
  let tds: TdsDouble;

  beforeAll(async () => {
    env = createTestEnv();
    tds = await startTdsDouble();
  });

  afterAll(async () => {
    await tds?.close();
    await env.cleanup();
  });

  /** A DataSource on the test server's postgres database, its pool made by `driver`. */
  const serverDataSource = (driver: typeof pg, options: { extra?: object; installExtensions?: boolean; entities?: DataSourceOptions['entities'] }) => {
    const url = new URL(env.databaseUrl('postgres'));
    return new DataSource({
      type: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      username: decodeURIComponent(url.username),
      database: 'postgres',
      driver,
      ...options,
    });
  };

  /** A tenant's mssql pool config against the TDS double. */
  const sqlServerConfig = (pool: mssql.config['pool']): mssql.config => ({
    server: '127.0.0.1',
    port: tds.port,
    database: 'tenant_internals',
    user: 'tenant_internals_app',
    password: 'pw',
    options: { encrypt: true, trustServerCertificate: true },
    pool,
  });

  it('pg, pg-pool, mssql, tarn and typeorm are pinned exactly, and what is installed is what is pinned', () => {
    for (const [name, pin] of Object.entries(PINS) as Array<[keyof typeof PINS, string | undefined]>) {
      if (!/^\d+\.\d+\.\d+$/.test(pin ?? '')) throw new Error(`package.json allows ${name} "${pin}": pin it to one version`);
      const installed = installedVersion(name);
      if (installed !== pin) throw new Error(`${name} ${installed} is installed but package.json pins ${pin}: run npm ci`);
    }
  });

  it('pg-pool: _isFull, _remove and _idle, longest idle first', async () => {
    const PgPool = pg.Pool.prototype as unknown as Record<string, unknown>;
    relied(typeof PgPool._isFull === 'function', 'pg-pool', 'Pool#_isFull()', 'budgeted-pg-driver.ts (holding a pool at its size)');
    relied(typeof PgPool._remove === 'function', 'pg-pool', 'Pool#_remove(client)', 'budgeted-pg-driver.ts (closeLongestIdle)');
    const pool = new pg.Pool({ connectionString: env.databaseUrl('postgres'), max: 2 });
    pool.on('error', () => undefined);
    try {
      const [older, newer] = [await pool.connect(), await pool.connect()];
      older.release();
      newer.release();
      const idle = (pool as unknown as { _idle?: Array<{ client: unknown }> })._idle;
      relied(Array.isArray(idle), 'pg-pool', 'Pool#_idle (an array of { client })', 'budgeted-pg-driver.ts (closeLongestIdle)');
      relied(idle?.[0]?.client === older, 'pg-pool', 'Pool#_idle keeping the longest idle client first', 'budgeted-pg-driver.ts (closeLongestIdle)');
    } finally {
      await pool.end();
    }
  });

  it('pg-pool through the budgeted driver: one idle connection can be closed, and a pool can be held at its size', async () => {
    let reclaims = 0;
    const budget = new ConnectionBudget(1, 2_000, () => {
      reclaims += 1;
      return false;
    });
    const driver = budgetedPgDriver(budget);
    const pool = new driver.Pool({ connectionString: env.databaseUrl('postgres'), max: 3 }) as BudgetedPool;
    const first = await pool.connect();
    // The cap is reached and this pool holds a connection: a second checkout waits for it, it does not grow.
    const second = pool.connect();
    await sleep(50);
    relied(pool.totalCount === 1, 'pg-pool', 'a checkout asking _isFull() before it opens a connection', 'budgeted-pg-driver.ts (_isFull)');
    expect(reclaims).toBe(0);
    first.release();
    (await second).release();
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(1);
    expect(pool.closeLongestIdle()).toBe(true);
    await waitFor(() => budget.inUse === 0, 15_000);
    relied(pool.totalCount === 0, 'pg-pool', '_remove(client) closing the client and counting it out', 'budgeted-pg-driver.ts (closeLongestIdle)');
    expect(pool.closeLongestIdle()).toBe(false);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(budget.inUse).toBe(1);
    await pool.end();
    await waitFor(() => budget.inUse === 0, 15_000);
  });

  it("typeorm: a PostgreSQL DataSource's pool is its driver's `master`, built from the `driver` option's Pool with `extra`", async () => {
    const budget = new ConnectionBudget(5, 2_000, () => false);
    const driver = budgetedPgDriver(budget);
    const dataSource = serverDataSource(driver, { extra: { max: 3 } });
    await dataSource.initialize();
    try {
      const master = (dataSource.driver as unknown as { master?: unknown }).master;
      const users = 'tenant-connection-manager.ts (the cap) and registry-health.ts (/health registryPool)';
      relied(master instanceof driver.Pool, 'typeorm', 'PostgresDriver#master being the pool made from the `driver` option', users);
      relied((master as pg.Pool).options.max === 3, 'typeorm', 'PostgresDriver handing `extra` to the Pool', 'tenant-data-source.factory.ts');
      await dataSource.query('SELECT 1');
      relied(budget.inUse === 1, 'typeorm', 'PostgresDriver connecting through the `driver` option', 'budgeted-pg-driver.ts');
    } finally {
      await dataSource.destroy();
    }
  });

  it('typeorm: PostgresDriver#version and #searchSchema, once given, spare initialize() every query; the one connection it opens serves the first query', async () => {
    const budget = new ConnectionBudget(5, 2_000, () => false);
    const driver = budgetedPgDriver(budget);
    const open = () => serverDataSource(driver, { installExtensions: false, entities: TENANT_ENTITIES });
    const facts = new PostgresServerFacts();
    const [first, second] = [open(), open()];
    const queries = jest.spyOn(driver.Client.prototype, 'query');
    try {
      await first.initialize();
      relied(queries.mock.calls.length > 0, 'typeorm', 'PostgresDriver.connect() asking the server for its version and search schema', 'postgres-server-facts.ts');
      facts.learn('server', first);
      await first.destroy();
      await waitFor(() => budget.inUse === 0, 15_000);
      queries.mockClear();
      facts.seed('server', second);
      const connects = jest.spyOn(budget, 'acquire');
      await second.initialize();
      relied(queries.mock.calls.length === 0, 'typeorm', 'PostgresDriver.connect() querying only the version and search schema it lacks', 'postgres-server-facts.ts');
      // afterConnect() takes a connection even with nothing to install; it stays in the pool for the first query.
      expect(connects.mock.calls.length).toBeLessThanOrEqual(1);
      expect((await second.query<Array<{ one: number }>>('SELECT 1 AS one'))[0].one).toBe(1);
      expect(connects).toHaveBeenCalledTimes(1);
      expect(second.driver.version).toBe(first.driver.version);
      expect(second.getMetadata(Order).tablePath).toBe(first.getMetadata(Order).tablePath);
    } finally {
      queries.mockRestore();
      if (second.isInitialized) await second.destroy();
    }
  });

  it('tarn: free (resource, timestamp, settle), used, pendingCreates, _destroy and _shouldCreateMoreResources', async () => {
    const TarnPool = tarn.Pool.prototype as unknown as Record<string, unknown>;
    const users = 'budgeted-mssql-driver.ts';
    relied(typeof TarnPool._shouldCreateMoreResources === 'function', 'tarn', 'Pool#_shouldCreateMoreResources()', `${users} (holdAtSize)`);
    relied(typeof TarnPool._destroy === 'function', 'tarn', 'Pool#_destroy(resource)', `${users} (closeLongestIdle)`);
    let made = 0;
    const destroyed: number[] = [];
    const pool = new tarn.Pool<{ id: number }>({ create: async () => ({ id: (made += 1) }), destroy: (resource) => void destroyed.push(resource.id), min: 0, max: 3 });
    try {
      const [older, newer] = [await pool.acquire().promise, await pool.acquire().promise];
      const internals = pool as unknown as {
        used: unknown[];
        free: Array<{ resource: { id: number }; timestamp: number; settle?: unknown }>;
        pendingCreates: unknown[];
        _destroy(resource: unknown): Promise<unknown>;
      };
      relied(Array.isArray(internals.used) && internals.used.length === 2, 'tarn', 'Pool#used (the acquired resources)', `${users} (totalCount)`);
      relied(Array.isArray(internals.pendingCreates), 'tarn', 'Pool#pendingCreates', `${users} (totalCount)`);
      pool.release(older);
      await sleep(5);
      pool.release(newer);
      const free = internals.free;
      relied(Array.isArray(free) && free.length === 2, 'tarn', 'Pool#free (the idle resources)', `${users} (closeLongestIdle)`);
      relied(
        free[0].resource === older && typeof free[0].settle === 'function',
        'tarn',
        'Pool#free entries as { resource, timestamp, settle() }',
        `${users} (closeLongestIdle)`,
      );
      relied(free[0].timestamp < free[1].timestamp, 'tarn', 'a free entry stamped when its resource went idle', `${users} (closeLongestIdle)`);
      await internals._destroy(older);
      relied(destroyed.includes(older.id), 'tarn', '_destroy(resource) calling the destroy option', `${users} (closeLongestIdle)`);
    } finally {
      await pool.destroy();
    }
  });

  it('mssql through the budgeted driver: connections take permits (the probe too), one idle connection can be closed, a pool can be held at its size', async () => {
    let reclaims = 0;
    const budget = new ConnectionBudget(1, 2_000, () => {
      reclaims += 1;
      return false;
    });
    const driver = budgetedMssqlDriver(budget);
    // The pool's own wait is long enough for a sign-in on a loaded machine: only the held acquire below is meant to outlast it.
    const pool = new driver.ConnectionPool(sqlServerConfig({ max: 3, min: 0, acquireTimeoutMillis: 5_000 })) as BudgetedMssqlPool;
    // What TypeORM does for its pools: mssql reports a failed acquire as an `error` event too.
    pool.on('error', () => undefined);
    const users = 'budgeted-mssql-driver.ts';
    const signedIn = tds.logins.length;
    await pool.connect();
    relied(tds.logins.length === signedIn + 1, 'mssql', 'connect() signing in once through _poolCreate (its probe)', `${users} (_poolCreate)`);
    await waitFor(() => budget.inUse === 0, 15_000);
    relied(pool.totalCount === 0, 'mssql', 'the probe closed through _poolDestroy, and the tarn pool as `pool`', `${users} (_poolDestroy, tarn)`);
    await pool.request().query('SELECT 1');
    relied(budget.inUse === 1 && pool.totalCount === 1 && pool.idleCount === 1, 'mssql', "the tarn pool's connections made by _poolCreate", `${users} (_poolCreate)`);

    // The cap is reached and this pool holds its one connection: a second acquire waits for it, it does not grow.
    const internals = pool as unknown as { _acquire(): Promise<unknown>; release(connection: unknown): void };
    const first = await internals._acquire();
    const second = internals._acquire();
    await sleep(50);
    relied(pool.totalCount === 1, 'tarn', 'an acquire asking _shouldCreateMoreResources() before it creates', `${users} (holdAtSize)`);
    expect(reclaims).toBe(0);
    internals.release(first);
    internals.release(await second);
    // Held past the pool's own wait: tarn's TimeoutError, answered as the cap's 503.
    const held = await internals._acquire();
    await expect(internals._acquire()).rejects.toBeInstanceOf(TenantConnectionsExhausted);
    internals.release(held);

    expect(pool.closeLongestIdle()).toBe(true);
    await waitFor(() => budget.inUse === 0, 15_000);
    await waitFor(() => pool.totalCount === 0, 15_000);
    expect(pool.closeLongestIdle()).toBe(false);

    tds.refuseLogins(18456);
    await expect(pool.request().query('SELECT 1')).rejects.toMatchObject({ code: 'ELOGIN' });
    relied(budget.inUse === 0, 'mssql', "_poolCreate rejecting when tedious's sign-in fails", `${users} (_poolCreate)`);
    await pool.request().query('SELECT 1');
    expect(budget.inUse).toBe(1);
    await pool.close();
    await waitFor(() => budget.inUse === 0, 15_000);
  });

  it("typeorm: a SQL Server DataSource's pool is its driver's `master`, built from the `driver` option's ConnectionPool with `pool`", async () => {
    const budget = new ConnectionBudget(5, 2_000, () => false);
    const driver = budgetedMssqlDriver(budget);
    const config = sqlServerConfig(undefined);
    const dataSource = new DataSource({
      type: 'mssql',
      host: config.server,
      port: config.port,
      database: config.database,
      username: config.user,
      password: config.password,
      options: { encrypt: true, trustServerCertificate: true },
      driver,
      pool: { max: 3, min: 0 },
    });
    await dataSource.initialize();
    try {
      const master = (dataSource.driver as unknown as { master?: unknown }).master;
      const users = 'tenant-connection-manager.ts (the cap)';
      relied(master instanceof driver.ConnectionPool, 'typeorm', 'SqlServerDriver#master being the pool made from the `driver` option', users);
      relied(
        (master as { config: mssql.config }).config.pool?.max === 3,
        'typeorm',
        'SqlServerDriver handing `pool` to the ConnectionPool',
        'tenant-data-source.factory.ts',
      );
      await dataSource.query('SELECT 1');
      relied(budget.inUse === 1, 'typeorm', 'SqlServerDriver connecting through the `driver` option', 'budgeted-mssql-driver.ts');
    } finally {
      await dataSource.destroy();
    }
    await waitFor(() => budget.inUse === 0, 15_000);
  });
});
