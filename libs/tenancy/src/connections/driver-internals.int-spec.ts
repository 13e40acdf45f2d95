import { createTestEnv, waitFor, type TestEnv } from '@tenantry/common/testing';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as pg from 'pg';
import { DataSource } from 'typeorm';
import { budgetedPgDriver, type BudgetedPool } from './budgeted-pg-driver';
import { ConnectionBudget } from './connection-budget';

const ROOT = join(__dirname, '../../../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  overrides: Record<string, string>;
};

/** What package.json pins: pg and typeorm as dependencies, pg-pool (which pg brings) as an override. */
const PINS = { pg: manifest.dependencies.pg, 'pg-pool': manifest.overrides['pg-pool'], typeorm: manifest.dependencies.typeorm };

/** The version the code loads (pg-pool: the one pg itself requires), read beside its entry point: not every package exports its package.json. */
function installedVersion(name: keyof typeof PINS): string {
  const from = createRequire(name === 'pg-pool' ? require.resolve('pg') : join(ROOT, 'package.json'));
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
 * The connection cap and /health read internals of pg-pool and TypeORM that no semver range
 * protects, so package.json pins both exactly; these tests say which internal moved when a new
 * version is tried.
 */
describe('the pg-pool and TypeORM internals the connection cap relies on', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('pg, pg-pool and typeorm are pinned exactly, and what is installed is what is pinned', () => {
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
    const url = new URL(env.databaseUrl('postgres'));
    const dataSource = new DataSource({
      type: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      username: decodeURIComponent(url.username),
      database: 'postgres',
      driver,
      extra: { max: 3 },
    });
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
});
