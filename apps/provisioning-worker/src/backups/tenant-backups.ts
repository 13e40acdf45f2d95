import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACKUP_STORE, type BackupStore, EngineRegistry, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork, type TenantBackupEntity } from '@tenantry/registry';
import { PermanentStepFailure, type SagaContext } from '../saga/saga-step';
import { targetOf } from '../saga/tenant-target';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/**
 * A tenant's backups: taken into the backup store and recorded in the registry, restored from, and
 * let go by their retention. An engine that keeps its own (Azure SQL's point-in-time backups) gets
 * none of ours.
 */
@Injectable()
export class TenantBackups {
  private readonly logger = new Logger(TenantBackups.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(BACKUP_STORE) private readonly store: BackupStore,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  /** Backs up the tenant's database for the saga's operation, once: a run after a crash finds the backup made, or makes it again. Returns what happened. */
  async take(context: SagaContext): Promise<string> {
    if (!context.database || context.database.droppedAt) return 'nothing to back up: the tenant has no database';
    const target = targetOf(context);
    const engine = await this.engines.on(target.address);
    if (engine.backupMode !== 'dump') return `nothing to do: ${target.address.engine} keeps its own point-in-time backups`;
    const r = this.registry.repositories;
    const backup = await r.backups.start({
      tenantId: context.tenant.id,
      operationId: context.operation.id,
      engine: target.address.engine,
      databaseName: target.databaseName,
      schemaVersion: context.database.schemaVersion,
    });
    if (backup.status === 'succeeded') return `backup ${backup.id} at ${backup.location}`;
    try {
      const stored = await this.store.save(`${target.databaseName}-${backup.id}.dump`, (file) => engine.dumpDatabase(target, file));
      await r.backups.succeed(backup.id, stored.location, stored.sizeBytes);
      this.logger.log({ tenant_id: context.tenant.id, backup_id: backup.id, size_bytes: stored.sizeBytes }, 'backup taken');
      return `backup ${backup.id} at ${stored.location} (${stored.sizeBytes} bytes)`;
    } catch (error) {
      await r.backups.fail(backup.id, (error as Error).message);
      throw error;
    }
  }

  /** Makes `target` a copy of one of the tenant's succeeded backups. */
  async restore(tenantId: string, backupId: string, target: TenantDatabaseTarget): Promise<void> {
    const backup = await this.registry.repositories.backups.findById(backupId);
    if (!backup || backup.tenantId !== tenantId || backup.status !== 'succeeded' || !backup.location) {
      throw new PermanentStepFailure(`backup ${backupId} is not a succeeded backup of this tenant (it is ${backup?.status ?? 'gone'})`);
    }
    const engine = await this.engines.on(target.address);
    const { restoreJobs: jobs, restoreMaxBytesPerSecond: maxBytesPerSecond } = this.options.backups;
    await this.store.open(backup.location, (file) => engine.restoreDatabase(target, { file, jobs, maxBytesPerSecond }));
  }

  /** Lets go the tenant's backups its retention no longer keeps; returns how many. */
  async prune(tenantId: string): Promise<number> {
    const { keepCount: count, keepMs: maxAgeMs } = this.options.backups;
    const expired = await this.registry.repositories.backups.beyondRetention(tenantId, { count, maxAgeMs });
    for (const backup of expired) await this.expire(backup);
    return expired.length;
  }

  /** The file first: a crash in between leaves a row still listed, never a file nothing names. */
  async expire(backup: TenantBackupEntity): Promise<void> {
    if (backup.location) await this.store.remove(backup.location);
    await this.registry.repositories.backups.markExpired(backup.id);
    this.logger.log({ tenant_id: backup.tenantId, backup_id: backup.id }, 'backup expired');
  }
}
