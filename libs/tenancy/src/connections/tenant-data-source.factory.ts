import { TENANT_MSSQL_DRIVER_OPTIONS } from '@tenantry/tenant-schema';
import type * as mssql from 'mssql';
import type * as pg from 'pg';
import { DataSource } from 'typeorm';
import type { ActiveTenant } from '../resolution/tenant-resolver';
import type { PoolerAddress, ResolvedTenancyOptions } from '../tenancy-options';

/** The drivers whose pools take their connections under the process-wide cap, one per engine. */
export interface BudgetedDrivers {
  postgres: typeof pg;
  mssql: typeof mssql;
}

/**
 * The tenant's DataSource, opened as the tenant's own login on its own database. Nothing else is
 * shared between two tenants' DataSources: a connection of one can never serve the other. A
 * PostgreSQL tenant is reached through the pooler when one is configured (transaction pooling: the
 * login and database are still the tenant's own, PgBouncer keeps one pool per database and login).
 */
export function tenantDataSource(tenant: ActiveTenant, password: string, options: ResolvedTenancyOptions, drivers: BudgetedDrivers): DataSource {
  const { database } = tenant;
  const { poolSize, connectionIdleMs, acquireTimeoutMs } = options.connections;
  // Past the budget's own wait, so a full cap fails with its 503 rather than the pool's generic timeout.
  const poolWaitMs = acquireTimeoutMs + 1_000;
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
      driver: drivers.mssql,
      // min 0: a tenant nobody asks for holds no connection; idle ones close and give their slot back.
      pool: { max: poolSize, min: 0, idleTimeoutMillis: connectionIdleMs, acquireTimeoutMillis: poolWaitMs },
    });
  }
  return new DataSource({
    type: 'postgres',
    ...common,
    ...(options.pooler && onPoolerServer(tenant, options.pooler) ? { host: options.pooler.host, port: options.pooler.port } : {}),
    driver: drivers.postgres,
    extra: {
      max: poolSize,
      idleTimeoutMillis: connectionIdleMs,
      connectionTimeoutMillis: poolWaitMs,
      application_name: `tenantry:${tenant.code}`,
    },
  });
}

/** The pooler forwards to one server (its wildcard entry): tenants on other registered servers are reached directly. */
function onPoolerServer(tenant: ActiveTenant, pooler: PoolerAddress): boolean {
  return tenant.database.host === pooler.serves.host && tenant.database.port === pooler.serves.port;
}
