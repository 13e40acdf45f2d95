import { Injectable, Logger } from '@nestjs/common';
import { EngineRegistry, RestoreUnsupported, TenantDatabaseConflict, type TenantDatabaseEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { SagaRunner, type SagaOutcome } from '../saga/saga-runner';
import { forGood, type SagaContext, type SagaStep } from '../saga/saga-step';
import { targetOf } from '../saga/tenant-target';
import { RestoredDatabase } from './restored-database';
import { TenantBackups } from './tenant-backups';

/**
 * restore side by side (from a backup, or Azure SQL to a point in time) -> the tenant's login on it
 * -> its schema current -> check -> ready for an operator to inspect and swap in. A worker killed
 * mid-restore leaves a partial database that the next attempt drops and makes again; a restore that
 * fails for good drops it, so none is left behind either way.
 */
@Injectable()
export class RestoreSaga {
  private readonly logger = new Logger(RestoreSaga.name);

  readonly steps: SagaStep[] = [
    { name: 'restore_database', run: (c) => forGood(() => this.restoreDatabase(c), [RestoreUnsupported, TenantDatabaseConflict]) },
    { name: 'grant_login', run: (c) => this.onRestored(c, (engine, target) => engine.ensureLogin(target)) },
    { name: 'set_login_password', run: (c) => this.setLoginPassword(c) },
    { name: 'apply_schema', run: (c) => this.onRestored(c, async (engine, target) => (await engine.applySchema(target)).version) },
    { name: 'check', run: async (c) => `schema version ${await this.restored.check(c, (await this.restored.of(c)).target)}, opened with the tenant's login` },
    { name: 'mark_ready', run: (c) => this.markReady(c) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly backups: TenantBackups,
    private readonly restored: RestoredDatabase,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: (context) => this.discard(context) });
  }

  private async restoreDatabase(context: SagaContext): Promise<string> {
    const { restore, target } = await this.restored.of(context);
    if (restore.backupId) await this.backups.restore(context.tenant.id, restore.backupId, target);
    else await (await this.engines.on(target.address)).restoreDatabase(target, { pointInTime: restore.pointInTime!, from: targetOf(context) });
    return `database ${target.databaseName} on ${target.address.host}:${target.address.port}`;
  }

  /**
   * Azure's copy holds the contained user as it was at that moment: it gets the current password. A
   * PostgreSQL login is the server's, already current; setting it again would change its verifier
   * under the pooler, which keeps the old one for the tenant's live database.
   */
  private async setLoginPassword(context: SagaContext): Promise<string | undefined> {
    if (targetOf(context).address.engine === 'postgres') return 'nothing to do: a PostgreSQL login is the server’s, and its password is current';
    const password = await this.restored.password(context);
    await this.onRestored(context, (engine, target) => engine.setLoginPassword(target, password));
    return undefined;
  }

  private async onRestored<T>(context: SagaContext, work: (engine: TenantDatabaseEngine, target: TenantDatabaseTarget) => Promise<T>): Promise<T> {
    const { target } = await this.restored.of(context);
    return work(await this.engines.on(target.address), target);
  }

  private async markReady(context: SagaContext): Promise<string> {
    const { restore, target } = await this.restored.of(context);
    await this.registry.repositories.restores.setStatus(restore.id, 'ready');
    return `ready to inspect: database ${target.databaseName} on ${target.address.host}:${target.address.port}; swap it in with POST /tenants/${context.tenant.code}/restore/${restore.id}/swap`;
  }

  /** A failed restore leaves no database behind. */
  private async discard(context: SagaContext): Promise<void> {
    const { restore, target } = await this.restored.of(context);
    await (await this.engines.on(target.address)).dropDatabase(target);
    await this.registry.repositories.restores.setStatus(restore.id, 'failed');
    this.logger.warn({ tenant_id: context.tenant.id, restore_id: restore.id }, `restore failed; database ${target.databaseName} dropped`);
  }
}
