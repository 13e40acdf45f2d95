import { type DataSource, MigrationExecutor } from 'typeorm';
import type { DialectMigration } from './dialect-migration';
import { Customer } from './entities/customer.entity';
import { OrderLine } from './entities/order-line.entity';
import { Order } from './entities/order.entity';
import { CreateCustomers1764000000000 } from './migrations/1764000000000-CreateCustomers';
import { CreateOrders1764000001000 } from './migrations/1764000001000-CreateOrders';
import { CreateOrderLines1764000002000 } from './migrations/1764000002000-CreateOrderLines';
import { dialectOf, type TenantDialect } from './tenant-dialect';

/**
 * In order; a new migration is appended here and its phase declared on the class. Each one is a
 * DialectMigration, so it runs on a TypeORM DataSource of type 'postgres' or 'mssql' alike.
 */
export const TENANT_MIGRATIONS: Array<new () => DialectMigration> = [CreateCustomers1764000000000, CreateOrders1764000001000, CreateOrderLines1764000002000];

export const TENANT_ENTITIES = [Customer, Order, OrderLine];

export const CURRENT_TENANT_SCHEMA_VERSION = TENANT_MIGRATIONS[TENANT_MIGRATIONS.length - 1].name;

export const MIGRATIONS_TABLE = 'tenant_migrations';

/**
 * The `options` of an mssql DataSource on a tenant database (spread beside encrypt and the like):
 * date parameters in UTC, as the datetimeoffset columns compare them (TypeORM's default sends local
 * time), and uniqueidentifiers read in lower case, as PostgreSQL returns uuids.
 */
export const TENANT_MSSQL_DRIVER_OPTIONS = { useUTC: true, lowerCaseGuids: true } as const;

export interface TenantMigrationOutcome {
  applied: string[];
  version: string;
}

/** Runs SQL and returns rows: a DataSource's query, or a pg client's / mssql request's wrapped to return rows. */
export type RowQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Applies pending tenant migrations, each in its own transaction; the data source must use TENANT_MIGRATIONS and MIGRATIONS_TABLE. */
export async function migrateTenantDatabase(dataSource: DataSource): Promise<TenantMigrationOutcome> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  const version = await schemaVersion((sql, params) => dataSource.query(sql, params), dialectOf(dataSource));
  if (!version) throw new Error(`tenant database has no schema version after migrating: is the data source using ${MIGRATIONS_TABLE}?`);
  return { applied: applied.map((migration) => migration.name), version };
}

/** Names of the migrations `migrateTenantDatabase` would apply, in order; reads only. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((migration) => migration.name);
}

// Without parameters, so any query function runs them whatever its placeholder style ($1, @0, @name).
// TypeORM creates the table in the connection's default schema, which unqualified names resolve to.
const VERSION_QUERIES: Record<TenantDialect, { present: string; latest: string }> = {
  postgres: {
    present: `SELECT to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS present`,
    latest: `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY timestamp DESC, id DESC LIMIT 1`,
  },
  mssql: {
    present: `SELECT CAST(CASE WHEN OBJECT_ID(N'${MIGRATIONS_TABLE}', N'U') IS NULL THEN 0 ELSE 1 END AS bit) AS present`,
    latest: `SELECT TOP (1) name FROM ${MIGRATIONS_TABLE} ORDER BY [timestamp] DESC, id DESC`,
  },
};

/** The newest migration recorded in the tenant database, or null for an empty one. */
export async function schemaVersion(query: RowQuery, dialect: TenantDialect = 'postgres'): Promise<string | null> {
  const sql = VERSION_QUERIES[dialect];
  const [table] = await query(sql.present);
  if (!table?.present) return null;
  const [latest] = await query(sql.latest);
  return (latest?.name as string | undefined) ?? null;
}
