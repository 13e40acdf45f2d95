import { Injectable } from '@nestjs/common';
import { EngineRegistry, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { SagaRunner, type SagaOutcome } from '../saga/saga-runner';
import { PermanentStepFailure, type SagaContext, type SagaStep } from '../saga/saga-step';
import { targetOf } from '../saga/tenant-target';
import { TenantSwitchover } from '../switchover/tenant-switchover';
import { RestoredDatabase } from './restored-database';

const REPLACED = 'replaced_database';

/**
 * Swaps a restored database in with the tenant move's switchover: check -> freeze the current
 * database -> switch the registry's record to the restored one in one transaction (the current one
 * retired, kept RETIRED_DATABASE_RETENTION_MS) and invalidate. The switchover's verify is not used:
 * the restored data is meant to differ; the check is that it opens with the tenant's login at a
 * schema version the registry knows.
 */
@Injectable()
export class RestoreSwapSaga {
  readonly steps: SagaStep[] = [
    { name: 'check', run: (c) => this.check(c) },
    { name: 'freeze', run: (c) => this.freeze(c) },
    { name: 'switch', run: (c) => this.switchOver(c) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly switchover: TenantSwitchover,
    private readonly restored: RestoredDatabase,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: (context) => this.thaw(context) });
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
    const current = this.stillReplaced(context);
    if (!current) return 'nothing to do: switched already';
    const engine = await this.engines.on(current.address);
    if (engine.relocation) {
      await this.switchover.freeze(current);
      return `${current.databaseName} frozen`;
    }
    // Azure SQL has no relocation engine (nothing makes its database read-only here): its contained user is shut out of it instead.
    return `${current.databaseName} closed to the tenant's login, ${await engine.closeDatabase(current)} sessions ended`;
  }

  private async switchOver(context: SagaContext): Promise<string> {
    const replaced = context.operation.checkpoints[REPLACED];
    if (!replaced) throw new PermanentStepFailure(`operation ${context.operation.id} did not note the database it replaces`);
    const { restore, target } = await this.restored.of(context);
    const version = await this.restored.check(context, target);
    const { poolId } = context.database!;
    if (!poolId) throw new PermanentStepFailure(`tenant ${context.tenant.code}'s database names no pool`);
    await this.switchover.switchTo(context.tenant, context.operation, { poolId, address: target.address, databaseName: target.databaseName });
    await this.registry.transaction(async (r) => {
      await r.databases.setSchemaVersion(context.tenant.id, version);
      await r.restores.markSwapped(restore.id, replaced);
    });
    return `served from ${target.databaseName}; ${replaced} retired`;
  }

  /** A swap that fails for good before its switch leaves the tenant writing to its current database again. */
  private async thaw(context: SagaContext): Promise<void> {
    const current = this.stillReplaced(context);
    if (!current) return;
    const engine = await this.engines.on(current.address);
    if (engine.relocation) await this.switchover.thaw(current);
    else await engine.setLoginEnabled(current, true);
  }

  /** The database being replaced while the registry still serves the tenant from it; null once switched. */
  private stillReplaced(context: SagaContext): TenantDatabaseTarget | null {
    const replaced = context.operation.checkpoints[REPLACED];
    const current = targetOf(context);
    return replaced && current.databaseName === replaced ? current : null;
  }
}
