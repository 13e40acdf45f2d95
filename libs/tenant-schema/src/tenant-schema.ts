import { type DataSource, MigrationExecutor } from 'typeorm';
import { Customer } from './entities/customer.entity';
import { OrderLine } from './entities/order-line.entity';
import { Order } from './entities/order.entity';
import type { TenantMigration } from './migration-phase';
import { CreateCustomers1764000000000 } from './migrations/1764000000000-CreateCustomers';
import { CreateOrders1764000001000 } from './migrations/1764000001000-CreateOrders';
import { CreateOrderLines1764000002000 } from './migrations/1764000002000-CreateOrderLines';

/** In order; a new migration is appended here and its phase declared on the class. */
export const TENANT_MIGRATIONS: Array<new () => TenantMigration> = [
  CreateCustomers1764000000000,
  CreateOrders1764000001000,
  CreateOrderLines1764000002000,
];

export const TENANT_ENTITIES = [Customer, Order, OrderLine];

export const CURRENT_TENANT_SCHEMA_VERSION = TENANT_MIGRATIONS[TENANT_MIGRATIONS.length - 1].name;

export const MIGRATIONS_TABLE = 'tenant_migrations';

export interface TenantMigrationOutcome {
  applied: string[];
  version: string;
}

/** Runs SQL and returns rows: a DataSource's query, or a pg client's wrapped to return rows. */
export type RowQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Applies pending tenant migrations, each in its own transaction; the data source must use TENANT_MIGRATIONS and MIGRATIONS_TABLE. */
export async function migrateTenantDatabase(dataSource: DataSource): Promise<TenantMigrationOutcome> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  const version = await schemaVersion((sql, params) => dataSource.query(sql, params));
  if (!version) throw new Error(`tenant database has no schema version after migrating: is the data source using ${MIGRATIONS_TABLE}?`);
  return { applied: applied.map((migration) => migration.name), version };
}

/** Names of the migrations `migrateTenantDatabase` would apply, in order; reads only. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((migration) => migration.name);
}

/** The newest migration recorded in the tenant database, or null for an empty one. */
export async function schemaVersion(query: RowQuery): Promise<string | null> {
  const [table] = await query(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  if (!table?.present) return null;
  const [latest] = await query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY timestamp DESC, id DESC LIMIT 1`);
  return (latest?.name as string | undefined) ?? null;
}
