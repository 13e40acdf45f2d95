import type { SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { TokenCredential } from '@azure/identity';
import type { SchemaReading, SchemaSnapshot } from '@tenantry/tenant-schema';
import { randomBytes } from 'node:crypto';
import type { AzureSqlSettings } from '../engines-options';
import type { SchemaOutcome, StepCheckpoint, TenantDatabaseEngine, TenantDatabaseTarget } from '../tenant-database-engine';
import { ArmDatabases } from './arm-databases';
import { ArmPacer } from './arm-pacer';
import type { DatabaseLifecycle } from './database-lifecycle';
import { SqlServerConnections } from './sql-server-connections';
import { SqlServerDatabases } from './sql-server-databases';
import { SqlServerMigrations } from './sql-server-migrations';
import { SqlServerUsers } from './sql-server-users';
import type { TransientRetryOptions } from './transient-retry';

export interface AzureSqlEngineOptions extends AzureSqlSettings {
  /** TENANTRY_ENV, written on every database as its `environment` tag. */
  environment: string;
  /** DefaultAzureCredential in the apps (managed identity in Container Apps, the Azure CLI on a laptop). */
  credential: TokenCredential;
  /** Test seams: options for the ARM client (e.g. `tlsOptions` to trust a local double), its timings, and the retries of ARM and SQL. */
  armClientOptions?: SqlManagementClientOptionalParams;
  armReadyTimeoutMs?: number;
  armExportQueueTimeoutMs?: number;
  retry?: TransientRetryOptions;
}

/**
 * Tenant databases on SQL Server. A pool with an elastic pool id is Azure SQL: the database is
 * created, dropped and exported through ARM. A pool without one is a plain SQL Server (docker-compose's):
 * the same lifecycle in T-SQL on master. Inside the database it is the same either way: the
 * tenant's contained user with data roles, and migrations under an application lock.
 */
export class AzureSqlEngine implements TenantDatabaseEngine {
  readonly kind = 'azure-sql' as const;
  private readonly arm: ArmDatabases;
  private readonly server: SqlServerDatabases;
  private readonly users: SqlServerUsers;
  private readonly migrations: SqlServerMigrations;

  constructor(options: AzureSqlEngineOptions) {
    const connections = new SqlServerConnections({
      auth: options.sqlAuth,
      credential: options.credential,
      trustServerCertificate: options.trustServerCertificate,
      retry: options.retry,
    });
    this.arm = new ArmDatabases({
      credential: options.credential,
      endpoint: options.armEndpoint,
      environment: options.environment,
      export: options.export,
      databaseMaxSizeBytes: options.databaseMaxSizeBytes,
      clientOptions: options.armClientOptions,
      pacer: new ArmPacer(options.armRateLimits),
      pollIntervalMs: options.armPollIntervalMs,
      readyTimeoutMs: options.armReadyTimeoutMs,
      exportQueueTimeoutMs: options.armExportQueueTimeoutMs,
      retry: options.retry,
    });
    this.server = new SqlServerDatabases(connections);
    this.users = new SqlServerUsers(connections);
    this.migrations = new SqlServerMigrations(connections);
  }

  databaseExists(target: TenantDatabaseTarget): Promise<boolean> {
    return this.lifecycle(target).exists(target);
  }

  createDatabase(target: TenantDatabaseTarget): Promise<void> {
    return this.lifecycle(target).create(target);
  }

  ensureLogin(target: TenantDatabaseTarget): Promise<void> {
    return this.users.ensure(target);
  }

  /** Contained users sign in to their own database only: the server's master is out of their reach already. */
  async secureServer(): Promise<void> {}

  setLoginPassword(target: TenantDatabaseTarget, password: string): Promise<Date> {
    return this.users.setPassword(target, password);
  }

  setLoginEnabled(target: TenantDatabaseTarget, enabled: boolean): Promise<void> {
    return this.users.setEnabled(target, enabled);
  }

  countSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    return this.users.countSessions(target, openedBefore);
  }

  /** No pooler stands before Azure SQL: business services' mssql pools close with the invalidation. */
  async releasePooledSessions(): Promise<void> {}

  endSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    return this.users.endSessions(target, openedBefore);
  }

  pendingMigrations(target: TenantDatabaseTarget): Promise<string[]> {
    return this.migrations.pending(target);
  }

  applySchema(target: TenantDatabaseTarget): Promise<SchemaOutcome> {
    return this.migrations.apply(target);
  }

  readSchema(target: TenantDatabaseTarget): Promise<SchemaReading> {
    return this.migrations.readSchema(target);
  }

  /** In the same elastic pool as `beside` (or on its plain server): an Azure database of the pool's tier, created and dropped through ARM. */
  async expectedSchema(version: string, beside: TenantDatabaseTarget, env: string): Promise<SchemaSnapshot> {
    const scratch = { ...beside, databaseName: `tenantry_drift_${env}_${randomBytes(6).toString('hex')}`, tenantCode: 'drift_scratch' };
    await this.createDatabase(scratch);
    try {
      await this.migrations.migrateTo(scratch, version);
      return (await this.migrations.readSchema(scratch)).snapshot;
    } finally {
      await this.dropDatabase(scratch);
    }
  }

  exportDatabase(target: TenantDatabaseTarget, name: string, checkpoint?: StepCheckpoint): Promise<string> {
    return this.lifecycle(target).export(target, name, checkpoint);
  }

  dropDatabase(target: TenantDatabaseTarget): Promise<void> {
    return this.lifecycle(target).drop(target);
  }

  /** A contained user goes with its database; one still there (offboarding stopped in between) is dropped. */
  async dropLogin(target: TenantDatabaseTarget): Promise<void> {
    if (await this.databaseExists(target)) await this.users.drop(target);
  }

  /** Every connection is closed by the call that opened it. */
  async close(): Promise<void> {}

  private lifecycle(target: TenantDatabaseTarget): DatabaseLifecycle {
    return target.address.elasticPoolId ? this.arm : this.server;
  }
}
