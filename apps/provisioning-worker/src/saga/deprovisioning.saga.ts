import { Inject, Injectable } from '@nestjs/common';
import { EngineNotConfigured, EngineRegistry, ExportBlocked, type StepCheckpoint, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork, TenantCacheInvalidator } from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { TenantBackups } from '../backups/tenant-backups';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import { forGood, type SagaContext, type SagaStep } from './saga-step';
import { changeTenantStatus } from './tenant-status-change';
import { targetOf } from './tenant-target';

/** invalidate caches (the tenant stops resolving) -> export if asked -> a last backup, to undelete from -> drop database -> drop login -> retire the secret -> tenant deleted, its audit trail kept. */
@Injectable()
export class DeprovisioningSaga {
  readonly steps: SagaStep[] = [
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
    // An export this process cannot make (no destination configured) or that Azure refuses for good (the blob
    // exists) fails the offboarding at once, saying so: retrying cannot fix either, and the database is not
    // dropped without the export that was asked for.
    { name: 'export', run: (c) => forGood(() => this.exportIfAsked(c), [EngineNotConfigured, ExportBlocked]) },
    // What undeleting the tenant restores (UNDELETE_WINDOW_HOURS); an engine with its own backups takes none.
    { name: 'final_backup', run: (c) => this.backups.take(c) },
    { name: 'drop_database', run: (c) => this.whenPlaced(c, (target) => this.dropDatabase(c, target)) },
    { name: 'drop_login', run: (c) => this.whenPlaced(c, async (target) => (await this.engines.on(target.address)).dropLogin(target)) },
    { name: 'retire_secret', run: (c) => this.retireSecret(c) },
    { name: 'mark_deleted', run: (c) => changeTenantStatus(this.registry, c, 'deleted', 'tenant.deleted') },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly invalidator: TenantCacheInvalidator,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
    private readonly backups: TenantBackups,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: async () => undefined });
  }

  /** A tenant whose provisioning failed before placement has nothing to drop. */
  private async whenPlaced(context: SagaContext, action: (target: ReturnType<typeof targetOf>) => Promise<void>): Promise<void> {
    if (context.database) await action(targetOf(context));
  }

  /** The record stays, marked dropped, so that the tenant's history never shows the database as if it existed. */
  private async dropDatabase(context: SagaContext, target: TenantDatabaseTarget): Promise<void> {
    await (await this.engines.on(target.address)).dropDatabase(target);
    await this.registry.repositories.databases.markDropped(context.tenant.id);
  }

  /**
   * Returns where the export went, kept on the operation as the step's detail. The engine keeps what it
   * needs to follow a long export again on the operation row, so a resumed offboarding starts no second one.
   */
  private async exportIfAsked(context: SagaContext): Promise<string | undefined> {
    if (context.operation.params.export !== true || !context.database) return undefined;
    const target = targetOf(context);
    const { id, checkpoints } = context.operation;
    const checkpoint: StepCheckpoint = {
      saved: checkpoints.export ?? null,
      save: (value) => this.registry.repositories.operations.saveCheckpoint(id, 'export', value),
    };
    return (await this.engines.on(target.address)).exportDatabase(target, `${target.databaseName}-${id}`, checkpoint);
  }

  private async retireSecret(context: SagaContext): Promise<void> {
    const secret = context.database?.secret;
    if (!secret) return;
    await this.protector.retire(secret, context.tenant.id);
    await this.registry.repositories.databases.setSecret(context.tenant.id, null);
  }
}
