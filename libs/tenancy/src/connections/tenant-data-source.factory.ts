import { TENANT_MSSQL_DRIVER_OPTIONS } from '@tenantry/tenant-schema';
import type * as mssql from 'mssql';
import type * as pg from 'pg';
import { DataSource } from 'typeorm';
import type { ActiveTenant } from '../resolution/tenant-resolver';
import type { PoolerAddress, ResolvedTenancyOptions } from '../tenancy-options';

/**
 * The drivers whose pools take their connections under a process-wide cap: connections to a
 * server (PostgreSQL direct, SQL Server) under one, client connections to the pooler under another.
 */
export interface BudgetedDrivers {
  postgres: typeof pg;
  postgresPooler: typeof pg;
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
  const pooler = poolerFor(tenant, options);
  return new DataSource({
    type: 'postgres',
    ...common,
    ...(pooler ? { host: pooler.host, port: pooler.port } : {}),
    driver: pooler ? drivers.postgresPooler : drivers.postgres,
    // The tenant schema's migrations create what it needs; opening a DataSource runs no DDL.
    installExtensions: false,
    extra: {
      max: poolSize,
      // A client connection to the pooler holds no backend: kept as long as the pool, it spares the
      // tenant's next request a SCRAM handshake. A direct connection is a backend: given back soon.
      idleTimeoutMillis: pooler ? options.connections.poolIdleMs : connectionIdleMs,
      connectionTimeoutMillis: poolWaitMs,
      application_name: `tenantry:${tenant.code}`,
    },
  });
}

/**
 * The pooler a PostgreSQL tenant is reached through when routed through poolers (TENANCY_PG_ROUTE):
 * the one registered in front of its server, else TENANCY_PG_POOLER_URL for the configured server
 * (a pooler forwards to one server, its wildcard entry); a server without one is reached directly.
 */
export function poolerFor(tenant: ActiveTenant, options: ResolvedTenancyOptions): Pick<PoolerAddress, 'host' | 'port'> | undefined {
  const { pooler } = options;
  const { database } = tenant;
  if (!pooler || database.engine === 'azure-sql') return undefined;
  if (database.pooler) return database.pooler;
  return database.host === pooler.serves.host && database.port === pooler.serves.port ? pooler : undefined;
}
