import { createTestEnv, type TestEnv } from '@tenantry/testing';
import { DataSource } from 'typeorm';
import { Order } from './entities/order.entity';
import {
  CURRENT_TENANT_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  migrateTenantDatabase,
  pendingMigrations,
  TENANT_ENTITIES,
  TENANT_MIGRATIONS,
} from './tenant-schema';

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ tablename: string }> = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1 ORDER BY tablename`,
    [MIGRATIONS_TABLE],
  );
  return rows.map((row) => row.tablename);
}

describe('tenant schema migrations (real server)', () => {
  let env: TestEnv;
  let dataSource: DataSource;

  beforeAll(async () => {
    env = createTestEnv();
    const database = `tenant_schema_${env.label}`;
    await env.sql(`CREATE DATABASE "${database}"`);
    const url = new URL(env.config.tenantServer.adminUrl);
    url.pathname = `/${database}`;
    dataSource = await new DataSource({
      type: 'postgres',
      url: url.toString(),
      migrations: TENANT_MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
      entities: TENANT_ENTITIES,
      synchronize: false,
      logging: false,
    }).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env?.cleanup();
  });

  it('declares a phase on every migration, and the last one names the current version', () => {
    expect(TENANT_MIGRATIONS.map((migration) => new migration().phase)).toEqual(['expand', 'expand', 'expand']);
    expect(CURRENT_TENANT_SCHEMA_VERSION).toBe('CreateOrderLines1764000002000');
  });

  it('plans, applies, then has nothing left to apply', async () => {
    const names = TENANT_MIGRATIONS.map((migration) => migration.name);
    expect(await pendingMigrations(dataSource)).toEqual(names);
    // Planning reads only: the migrations table is not created by it.
    expect(await dataSource.query(`SELECT to_regclass($1) AS t`, [MIGRATIONS_TABLE])).toEqual([{ t: null }]);

    expect(await migrateTenantDatabase(dataSource)).toEqual({ applied: names, version: CURRENT_TENANT_SCHEMA_VERSION });
    expect(await tableNames(dataSource)).toEqual(['customers', 'order_lines', 'orders']);
    const indexes = await dataSource.query(
      `SELECT indexname FROM pg_indexes WHERE indexname IN ('orders_created_at', 'order_lines_order_id')`,
    );
    expect(indexes).toHaveLength(2);

    expect(await pendingMigrations(dataSource)).toEqual([]);
    expect(await migrateTenantDatabase(dataSource)).toEqual({ applied: [], version: CURRENT_TENANT_SCHEMA_VERSION });
  });

  it('maps the entities onto the migrated tables: an order saved with its lines reads back whole', async () => {
    const orders = dataSource.getRepository(Order);
    const line = { sku: 'pen', quantity: 3, unitPriceCents: '500' };
    const saved = await orders.save(orders.create({ totalCents: '1500', lines: [line] }));
    const loaded = await orders.findOneOrFail({ where: { id: saved.id }, relations: { lines: true } });
    expect(loaded).toMatchObject({ status: 'open', totalCents: '1500', customerId: null, lines: [line] });
    expect(Number(loaded.number)).toBeGreaterThan(0);
    const zeroQuantity = `INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES ($1, 'x', 0, 1)`;
    await expect(dataSource.query(zeroQuantity, [saved.id])).rejects.toThrow(/check constraint/);
  });

  it('reverts cleanly: every down undoes its up', async () => {
    for (let i = 0; i < TENANT_MIGRATIONS.length; i += 1) await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tableNames(dataSource)).toEqual([]);
    expect(await pendingMigrations(dataSource)).toHaveLength(TENANT_MIGRATIONS.length);
  });
});
