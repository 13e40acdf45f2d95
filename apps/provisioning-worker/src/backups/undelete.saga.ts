import { Injectable } from '@nestjs/common';
import { AzureCapacityRefused, DroppedDatabaseGone, EngineRegistry, RestoreUnsupported, TenantDatabaseConflict, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import { SagaRunner, type SagaOutcome } from '../saga/saga-runner';
import { forGood, PermanentStepFailure, type SagaContext, type SagaStep } from '../saga/saga-step';
import { changeTenantStatus } from '../saga/tenant-status-change';
import { targetOf } from '../saga/tenant-target';
import { TenantBackups } from './tenant-backups';

/**
 * Brings back an offboarded tenant (the admin API checked that its code was not reused and that the
 * undelete window has not passed): provisioning's steps, with its database restored from the backup
 * offboarding took instead of created; on Azure SQL, which keeps its own backups, from the dropped
 * database as Azure kept it (the admin API placed the tenant back in that database's pool). Placement puts the record of its dropped database where a new
 * tenant of its code would be; the login, credentials and schema are made as for a new tenant.
 */
@Injectable()
export class UndeleteSaga {
  readonly steps: SagaStep[];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly backups: TenantBackups,
    private readonly engines: EngineRegistry,
    provisioning: ProvisioningSaga,
  ) {
    const restore: SagaStep = {
      name: 'restore_database',
      run: (c) => forGood(() => this.restoreDatabase(c), [RestoreUnsupported, TenantDatabaseConflict, DroppedDatabaseGone, AzureCapacityRefused]),
    };
    this.steps = provisioning.steps.map((step) => (step.name === 'create_database' ? restore : step));
  }

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, {
      maxAttempts,
      onFailed: (context, error) => changeTenantStatus(this.registry, context, 'failed', 'tenant.undelete_failed', { error: error.message }),
    });
  }

  private async restoreDatabase(context: SagaContext): Promise<string> {
    const dropped = context.operation.params.dropped as Pick<TenantDatabaseTarget, 'address' | 'databaseName'> | undefined;
    if (dropped) {
      const target = targetOf(context);
      await (await this.engines.on(target.address)).restoreDatabase(target, { dropped: { ...target, ...dropped } });
      return `the dropped database ${dropped.databaseName} as ${dropped.address.engine} kept it`;
    }
    const backupId = context.operation.params.backupId;
    if (typeof backupId !== 'string') throw new PermanentStepFailure(`operation ${context.operation.id} names no backup`);
    await this.backups.restore(context.tenant.id, backupId, targetOf(context));
    return `from backup ${backupId}`;
  }
}
