import { TENANT_MSSQL_DRIVER_OPTIONS } from '@tenantry/tenant-schema';
import type * as pg from 'pg';
import { DataSource } from 'typeorm';
import type { ActiveTenant } from '../resolution/tenant-resolver';
import type { ResolvedTenancyOptions } from '../tenancy-options';

/**
 * The tenant's DataSource, opened as the tenant's own login on its own database. Nothing else is
 * shared between two tenants' DataSources: a connection of one can never serve the other. A
 * PostgreSQL tenant is reached through the pooler when one is configured (transaction pooling: the
 * login and database are still the tenant's own, PgBouncer keeps one pool per database and login).
 */
export function tenantDataSource(tenant: ActiveTenant, password: string, options: ResolvedTenancyOptions, budgetedDriver: typeof pg): DataSource {
  const { database } = tenant;
  const { poolSize, connectionIdleMs, acquireTimeoutMs } = options.connections;
  const common = {
    host: database.host,
    port: database.port,
    database: database.name,
    username: database.login,
    password,
    entities: options.entities,
    synchronize: false,
    logging: false,
  } as const;
  if (database.engine === 'azure-sql') {
    return new DataSource({
      type: 'mssql',
      ...common,
      options: {
        ...TENANT_MSSQL_DRIVER_OPTIONS,
        encrypt: true,
        trustServerCertificate: options.sqlServer.trustServerCertificate,
        appName: `tenantry:${tenant.code}`,
      },
      pool: { max: poolSize, min: 0, idleTimeoutMillis: connectionIdleMs, acquireTimeoutMillis: acquireTimeoutMs },
    });
  }
  return new DataSource({
    type: 'postgres',
    ...common,
    ...(options.pooler ?? {}),
    driver: budgetedDriver,
    extra: {
      max: poolSize,
      idleTimeoutMillis: connectionIdleMs,
      // Past the budget's own wait, so a full cap fails with its 503 rather than pg-pool's generic timeout.
      connectionTimeoutMillis: acquireTimeoutMs + 1_000,
      application_name: `tenantry:${tenant.code}`,
    },
  });
}
