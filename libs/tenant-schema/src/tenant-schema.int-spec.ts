import { createTestEnv, type TestEnv, TEST_MSSQL_URL } from '@tenantry/common/testing';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { Customer } from './entities/customer.entity';
import { Order } from './entities/order.entity';
import { createScratchSqlServerDatabase } from './sql-server-connection';
import { TENANT_DIALECTS, type TenantDialect } from './tenant-dialect';
import {
  CURRENT_TENANT_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  migrateTenantDatabase,
  pendingMigrations,
  schemaVersion,
  TENANT_ENTITIES,
  TENANT_MIGRATIONS,
} from './tenant-schema';

// SQL Server is opt-in: e.g. `docker compose --profile azure-sql up sqlserver` and
// MSSQL_URL=mssql://sa:<password>@127.0.0.1:1433
const MSSQL_URL = TEST_MSSQL_URL;
if (!MSSQL_URL) console.warn('tenant schema on SQL Server: skipped, MSSQL_URL is not set (no SQL Server to migrate a scratch database on)');

interface Server {
  /** An empty scratch database: how to connect to it, and how to remove it. */
  database(env: TestEnv): Promise<{ connection: DataSourceOptions; drop(): Promise<void> }>;
  migrationsTablePresent: string;
  /** The user tables but the migrations table, as rows of { name }, sorted. */
  tables: string;
  indexes: string;
  zeroQuantity: string;
}

const SERVERS: Record<TenantDialect, Server> = {
  postgres: {
    async database(env) {
      const name = `tenant_schema_${env.label}`;
      await env.sql(`CREATE DATABASE "${name}"`);
      const url = new URL(env.databaseUrl('postgres'));
      url.pathname = `/${name}`;
      // env.cleanup() drops every database carrying the label.
      return { connection: { type: 'postgres', url: url.toString() }, drop: async () => {} };
    },
    migrationsTablePresent: `SELECT to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS present`,
    tables: `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '${MIGRATIONS_TABLE}' ORDER BY tablename`,
    indexes: `SELECT indexname FROM pg_indexes WHERE indexname IN ('orders_created_at', 'order_lines_order_id')`,
    zeroQuantity: `INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES ($1, 'x', 0, 1)`,
  },
  mssql: {
    database: (env) => createScratchSqlServerDatabase(MSSQL_URL!, `tenant_schema_${env.label}`),
    migrationsTablePresent: `SELECT CAST(CASE WHEN OBJECT_ID(N'${MIGRATIONS_TABLE}', N'U') IS NULL THEN 0 ELSE 1 END AS bit) AS present`,
    tables: `SELECT name FROM sys.tables WHERE name <> N'${MIGRATIONS_TABLE}' ORDER BY name`,
    indexes: `SELECT name FROM sys.indexes WHERE name IN ('orders_created_at', 'order_lines_order_id')`,
    zeroQuantity: `INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES (@0, N'x', 0, 1)`,
  },
};

for (const dialect of TENANT_DIALECTS) {
  const suite = dialect === 'mssql' && !MSSQL_URL ? describe.skip : describe;
  suite(`tenant schema migrations (real ${dialect} server)`, () => {
    const server = SERVERS[dialect];
    let env: TestEnv;
    let drop: () => Promise<void>;
    let dataSource: DataSource;
    const tableNames = async () => ((await dataSource.query(server.tables)) as Array<{ name: string }>).map((row) => row.name);

    beforeAll(async () => {
      env = createTestEnv();
      const database = await server.database(env);
      drop = database.drop;
      dataSource = await new DataSource({
        ...database.connection,
        migrations: TENANT_MIGRATIONS,
        migrationsTableName: MIGRATIONS_TABLE,
        entities: TENANT_ENTITIES,
        synchronize: false,
        logging: false,
      } as DataSourceOptions).initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await drop?.();
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
      expect(await dataSource.query(server.migrationsTablePresent)).toEqual([{ present: false }]);
      expect(await schemaVersion((sql) => dataSource.query(sql), dialect)).toBeNull();

      expect(await migrateTenantDatabase(dataSource)).toEqual({ applied: names, version: CURRENT_TENANT_SCHEMA_VERSION });
      expect(await tableNames()).toEqual(['customers', 'order_lines', 'orders']);
      expect(await dataSource.query(server.indexes)).toHaveLength(2);

      expect(await pendingMigrations(dataSource)).toEqual([]);
      expect(await migrateTenantDatabase(dataSource)).toEqual({ applied: [], version: CURRENT_TENANT_SCHEMA_VERSION });
    });

    it('maps the entities onto the migrated tables: an order saved with its lines reads back whole', async () => {
      const orders = dataSource.getRepository(Order);
      const customers = dataSource.getRepository(Customer);
      const customer = await customers.save(customers.create({ name: 'Zoë Ünal', email: null }));
      // Past 2^53: bigint travels as a string both ways.
      const line = { sku: 'pen', quantity: 3, unitPriceCents: '9007199254740993' };
      const saved = await orders.save(orders.create({ totalCents: '1500', customerId: customer.id, lines: [line] }));
      expect(saved.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const loaded = await orders.findOneOrFail({ where: { id: saved.id, status: 'open' }, relations: { lines: true } });
      expect(loaded).toMatchObject({ status: 'open', totalCents: '1500', customerId: customer.id, lines: [line] });
      expect(Number(loaded.number)).toBeGreaterThan(0);
      expect(Math.abs(loaded.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(await customers.findOneByOrFail({ id: customer.id })).toMatchObject({ name: 'Zoë Ünal', email: null });
      await expect(dataSource.query(server.zeroQuantity, [saved.id])).rejects.toThrow(/check constraint/i);

      await customers.delete({ id: customer.id });
      expect(await orders.findOneByOrFail({ id: saved.id })).toMatchObject({ customerId: null });
      await orders.delete({ id: saved.id });
      expect(await orders.find({ relations: { lines: true } })).toEqual([]);
      expect(await dataSource.query(`SELECT order_id FROM order_lines`)).toEqual([]);
    });

    it('reverts cleanly: every down undoes its up', async () => {
      for (let i = 0; i < TENANT_MIGRATIONS.length; i += 1) await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await tableNames()).toEqual([]);
      expect(await pendingMigrations(dataSource)).toHaveLength(TENANT_MIGRATIONS.length);
    });
  });
}
