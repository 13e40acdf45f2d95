import type { SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { TokenCredential } from '@azure/identity';
import type { PoolAddress } from '@tenantry/common';
import { schemaVersion, type SchemaReading, type SchemaSnapshot } from '@tenantry/tenant-schema';
import { randomBytes } from 'node:crypto';
import { RestoreUnsupported, UnsupportedMove } from '../engine-errors';
import type { AzureSqlSettings } from '../engines-options';
import { onSameServer } from '../same-server';
import {
  BACKUP_MODES,
  type RestoreSource,
  type SchemaOutcome,
  type StepCheckpoint,
  type TenantDatabaseEngine,
  type TenantDatabaseTarget,
} from '../tenant-database-engine';
import { ArmDatabaseMoves } from './arm-database-moves';
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
  /** Azure SQL's move to another logical server: an active geo-replica, promoted by a planned failover. */
  readonly replication: ArmDatabaseMoves;
  private readonly server: SqlServerDatabases;
  private readonly users: SqlServerUsers;
  private readonly migrations: SqlServerMigrations;
  private readonly connections: SqlServerConnections;

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
    this.connections = connections;
    this.replication = new ArmDatabaseMoves(this.arm);
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

  /** No pooler stands before Azure SQL: the elastic pool's session limit is the server-side cap. */
  async holdPoolerBudget(): Promise<string[]> {
    return [];
  }

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

  /** Between elastic pools of one logical server Azure moves the database online; a plain SQL Server's pools share the one instance, so the database stays. */
  async moveToPool(target: TenantDatabaseTarget, to: PoolAddress): Promise<void> {
    if (target.address.elasticPoolId || to.elasticPoolId) return this.replication.moveToPool(target, to);
    if (!onSameServer(target.address, to)) {
      throw new UnsupportedMove(`database ${target.databaseName} cannot move in place to another SQL Server (${to.host}:${to.port}): it has to be copied there`, {
        databaseName: target.databaseName,
      });
    }
  }

  dropDatabase(target: TenantDatabaseTarget): Promise<void> {
    return this.lifecycle(target).drop(target);
  }

  /** A contained user goes with its database; one still there (offboarding stopped in between) is dropped. */
  async dropLogin(target: TenantDatabaseTarget): Promise<void> {
    if (await this.databaseExists(target)) await this.users.drop(target);
  }

  /** Azure SQL keeps every database's backups itself, restorable to any moment of its retention: there is nothing of ours to keep. */
  readonly backupMode = BACKUP_MODES['azure-sql'];

  async dumpDatabase(): Promise<void> {
    throw new RestoreUnsupported('Azure SQL keeps its own point-in-time backups: restore the tenant to a moment instead of from a backup');
  }

  async restoreDatabase(target: TenantDatabaseTarget, source: RestoreSource): Promise<void> {
    if ('file' in source) throw new RestoreUnsupported('Azure SQL restores from its own backups (to a point in time, or a dropped database), not from a backup file');
    if (!target.address.elasticPoolId)
      throw new RestoreUnsupported('a plain SQL Server keeps no backups of its own: only Azure SQL restores to a moment or a dropped database');
    if ('dropped' in source) return this.arm.restoreDropped(target, source.dropped);
    await this.arm.restoreToPointInTime(target, source.from, source.pointInTime);
  }

  schemaVersionAsTenant(target: TenantDatabaseTarget, password: string): Promise<string | null> {
    return this.connections.withConnectionAs(target.address, target.databaseName, { login: target.loginName, password }, (connection) =>
      schemaVersion(async (sql) => (await connection.request().query<Record<string, unknown>>(sql)).recordset, 'mssql'),
    );
  }

  /** A contained user is the database's own: denying it CONNECT there closes this database only. */
  async closeDatabase(target: TenantDatabaseTarget): Promise<number> {
    await this.users.setEnabled(target, false);
    return this.users.endSessions(target);
  }

  /** Every connection is closed by the call that opened it. */
  async close(): Promise<void> {}

  private lifecycle(target: TenantDatabaseTarget): DatabaseLifecycle {
    return target.address.elasticPoolId ? this.arm : this.server;
  }
}
