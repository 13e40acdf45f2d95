import type { DataSource } from 'typeorm';
import { Customer } from './entities/customer.entity';
import { OrderLine } from './entities/order-line.entity';
import { Order } from './entities/order.entity';
import { CreateCustomers1764000000000 } from './migrations/1764000000000-CreateCustomers';
import { CreateOrders1764000001000 } from './migrations/1764000001000-CreateOrders';
import { CreateOrderLines1764000002000 } from './migrations/1764000002000-CreateOrderLines';

/** In order; a new migration is appended here and its phase declared on the class. */
export const TENANT_MIGRATIONS = [CreateCustomers1764000000000, CreateOrders1764000001000, CreateOrderLines1764000002000];

export const TENANT_ENTITIES = [Customer, Order, OrderLine];

export const CURRENT_TENANT_SCHEMA_VERSION = TENANT_MIGRATIONS[TENANT_MIGRATIONS.length - 1].name;

export const MIGRATIONS_TABLE = 'tenant_migrations';

export interface TenantMigrationOutcome {
  applied: string[];
  version: string | null;
}

/** Applies pending tenant migrations, each in its own transaction; the data source must use TENANT_MIGRATIONS. */
export async function migrateTenantDatabase(dataSource: DataSource): Promise<TenantMigrationOutcome> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return { applied: applied.map((migration) => migration.name), version: await schemaVersion(dataSource) };
}

/** The newest migration recorded in the tenant database, or null for an empty one. */
export async function schemaVersion(dataSource: DataSource): Promise<string | null> {
  const exists: Array<{ present: boolean }> = await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  if (!exists[0]?.present) return null;
  const rows: Array<{ name: string }> = await dataSource.query(
    `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY timestamp DESC, id DESC LIMIT 1`,
  );
  return rows[0]?.name ?? null;
}
