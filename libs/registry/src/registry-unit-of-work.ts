import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isConnectionFailure, RegistryBusy } from '@tenantry/common';
import type { EventEmitter } from 'node:events';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditRepository } from './repositories/audit.repository';
import { FleetFillRepository } from './repositories/fleet-fill.repository';
import { MigrationRunRepository } from './repositories/migration-run.repository';
import { OperationRepository } from './repositories/operation.repository';
import { isPoolWaitTimeout } from './repositories/pg-errors';
import { PoolRepository } from './repositories/pool.repository';
import { RetiredDatabaseRepository } from './repositories/retired-database.repository';
import { ServerRepository } from './repositories/server.repository';
import { TenantBackupRepository } from './repositories/tenant-backup.repository';
import { TenantDatabaseRepository } from './repositories/tenant-database.repository';
import { TenantDriftRepository } from './repositories/tenant-drift.repository';
import { TenantRestoreRepository } from './repositories/tenant-restore.repository';
import { TenantRepository } from './repositories/tenant.repository';

export interface RegistryRepositories {
  tenants: TenantRepository;
  operations: OperationRepository;
  databases: TenantDatabaseRepository;
  pools: PoolRepository;
  servers: ServerRepository;
  audit: AuditRepository;
  migrationRuns: MigrationRunRepository;
  backups: TenantBackupRepository;
  restores: TenantRestoreRepository;
  fill: FleetFillRepository;
  retiredDatabases: RetiredDatabaseRepository;
  drift: TenantDriftRepository;
}

function repositoriesOn(em: EntityManager): RegistryRepositories {
  return {
    tenants: new TenantRepository(em),
    operations: new OperationRepository(em),
    databases: new TenantDatabaseRepository(em),
    pools: new PoolRepository(em),
    servers: new ServerRepository(em),
    audit: new AuditRepository(em),
    migrationRuns: new MigrationRunRepository(em),
    backups: new TenantBackupRepository(em),
    restores: new TenantRestoreRepository(em),
    fill: new FleetFillRepository(em),
    retiredDatabases: new RetiredDatabaseRepository(em),
    drift: new TenantDriftRepository(em),
  };
}

/** The connection that held a session lock ended (a restart, a failover, pg_terminate_backend): the lock ended with it. */
export class LockLost extends Error {}

/** The registry's repositories, either on the shared pool or all inside one admin-DB transaction. */
@Injectable()
export class RegistryUnitOfWork {
  readonly repositories: RegistryRepositories;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.repositories = repositoriesOn(dataSource.manager);
  }

  /** A burst that keeps every registry connection busy past the wait is answered RegistryBusy (a 503), not left to fail as unknown. */
  async transaction<T>(work: (repositories: RegistryRepositories) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction((em) => work(repositoriesOn(em)));
    } catch (error) {
      if (isPoolWaitTimeout(error)) throw new RegistryBusy('every registry connection is busy; try again shortly');
      throw error;
    }
  }

  /**
   * Runs `work` while holding a session advisory lock on a pinned admin-DB connection, so one
   * tenant is never worked on by two workers at once; `acquired: false` when another holds it.
   * The lock lasts as long as that connection: `lost` aborts (with LockLost) the moment it ends,
   * and work that must not run unlocked checks it before each thing it does.
   */
  async withLock<T>(key: string, work: (lost: AbortSignal) => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    const runner = this.dataSource.createQueryRunner();
    const connection = (await runner.connect()) as EventEmitter;
    const lost = new AbortController();
    const onEnd = () => lost.abort(new LockLost(`the admin-DB connection holding lock "${key}" ended, and the lock with it`));
    connection.on('error', onEnd);
    connection.on('end', onEnd);
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key])) as Array<{
        locked: boolean;
      }>;
      if (!locked) return { acquired: false };
      try {
        return { acquired: true, value: await work(lost.signal) };
      } finally {
        // A connection that ended took the lock with it: nothing left to unlock.
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: unknown) => {
          if (!lost.signal.aborted && !isConnectionFailure(error)) throw error;
        });
      }
    } finally {
      connection.removeListener('error', onEnd);
      connection.removeListener('end', onEnd);
      await runner.release();
    }
  }

  async pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }
}
