import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork, RETENTION_OPTIONS, TenantCacheInvalidator, type RetentionOptions } from '@tenantry/registry';
import { SagaRunner, type SagaOutcome } from '../saga/saga-runner';
import { PermanentStepFailure, type SagaContext, type SagaStep } from '../saga/saga-step';
import { SYSTEM_ACTOR } from '../saga/tenant-status-change';
import { targetOf } from '../saga/tenant-target';
import { RestoredDatabase } from './restored-database';

const REPLACED = 'replaced_database';

/**
 * Swaps a restored database in: check -> freeze the database it replaces (the tenant's login may no
 * longer connect to it, its sessions there end) -> switch the registry's record in one transaction
 * -> invalidate the caches, so every business service opens the restored one. The replaced database
 * is kept for RESTORE_REPLACED_KEEP_HOURS (BackupSchedule drops it then).
 *
 * The freeze, switch and invalidation are the tenant move's too: the move's switchover service
 * (issue 16) was not there to reuse when this was written, so this is the minimal form, kept to
 * these three steps for that service to replace.
 */
@Injectable()
export class RestoreSwapSaga {
  readonly steps: SagaStep[] = [
    { name: 'check', run: (c) => this.check(c) },
    { name: 'freeze', run: (c) => this.freeze(c) },
    { name: 'switch', run: (c) => this.switchOver(c) },
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly invalidator: TenantCacheInvalidator,
    private readonly restored: RestoredDatabase,
    @Inject(RETENTION_OPTIONS) private readonly retention: RetentionOptions,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: async () => undefined });
  }

  /** Also notes which database is replaced, before anything changes, so that a run after a crash knows it. */
  private async check(context: SagaContext): Promise<string> {
    const { restore, target } = await this.restored.of(context);
    if (restore.status === 'swapped') return 'nothing to do: swapped already';
    if (restore.status !== 'ready') throw new PermanentStepFailure(`restore ${restore.id} is ${restore.status}; only a ready restore can be swapped in`);
    const version = await this.restored.check(context, target);
    const current = targetOf(context).databaseName;
    if (!context.operation.checkpoints[REPLACED] && current !== target.databaseName) {
      await this.registry.repositories.operations.saveCheckpoint(context.operation.id, REPLACED, current);
      context.operation.checkpoints[REPLACED] = current;
    }
    return `schema version ${version}, opened with the tenant's login`;
  }

  private async freeze(context: SagaContext): Promise<string> {
    const replaced = context.operation.checkpoints[REPLACED];
    if (!replaced || targetOf(context).databaseName !== replaced) return 'nothing to do: switched already';
    const target = { ...targetOf(context), databaseName: replaced };
    const ended = await (await this.engines.on(target.address)).closeDatabase(target);
    return `${replaced} closed to the tenant's login, ${ended} sessions ended`;
  }

  private async switchOver(context: SagaContext): Promise<string> {
    const replaced = context.operation.checkpoints[REPLACED];
    if (!replaced) throw new PermanentStepFailure(`operation ${context.operation.id} did not note the database it replaces`);
    const { restore, target } = await this.restored.of(context);
    const version = await this.restored.check(context, target);
    return this.registry.transaction(async (r) => {
      const locked = await r.restores.findById(restore.id, true);
      if (!locked || locked.status === 'swapped') return 'nothing to do: switched already';
      await r.databases.switchDatabase(context.tenant.id, target.databaseName, version);
      await r.restores.markSwapped(restore.id, replaced, this.retention.replacedDatabaseKeepMs);
      await r.audit.record({
        actor: SYSTEM_ACTOR,
        action: 'tenant.restore_swapped',
        tenant: context.tenant,
        operation: context.operation,
        details: { restoreId: restore.id, database: target.databaseName, replaced },
      });
      return `served from ${target.databaseName}; ${replaced} kept until it expires`;
    });
  }
}
