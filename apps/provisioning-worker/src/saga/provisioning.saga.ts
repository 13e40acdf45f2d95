import { Injectable } from '@nestjs/common';
import { PoolCapacityExhausted, PoolNotRegistered } from '@tenantry/common';
import { AzureCapacityRefused, EngineNotConfigured, EngineRegistry, TenantDatabaseConflict } from '@tenantry/engines';
import { RegistryUnitOfWork, TenantCacheInvalidator } from '@tenantry/registry';
import { DatabaseCreator } from '../fast-path/database-creator';
import { Credentials } from './credentials';
import { PlacementService } from './placement.service';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import { forGood, type SagaContext, type SagaStep } from './saga-step';
import { changeTenantStatus } from './tenant-status-change';
import { targetOf } from './tenant-target';

/** place -> create database -> create login -> apply schema -> credentials (pending, on the login, stored) -> activate -> invalidate caches. */
@Injectable()
export class ProvisioningSaga {
  readonly steps: SagaStep[] = [
    { name: 'place', run: (c) => this.place(c) },
    // Azure's pool or quota has no room: it stays so until someone acts, so the attempts are not spent on it.
    { name: 'create_database', run: (c) => forGood(() => this.databases.create(targetOf(c)), [TenantDatabaseConflict, AzureCapacityRefused]) },
    { name: 'create_login', run: (c) => forGood(async () => (await this.engineFor(c)).ensureLogin(targetOf(c)), [TenantDatabaseConflict]) },
    { name: 'apply_schema', run: (c) => this.applySchema(c) },
    ...this.credentials.steps,
    { name: 'activate', run: (c) => changeTenantStatus(this.registry, c, 'active', 'tenant.activated') },
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly placement: PlacementService,
    private readonly engines: EngineRegistry,
    private readonly invalidator: TenantCacheInvalidator,
    private readonly databases: DatabaseCreator,
    private readonly credentials: Credentials,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, {
      maxAttempts,
      onFailed: (context, error) => changeTenantStatus(this.registry, context, 'failed', 'tenant.provisioning_failed', { error: error.message }),
    });
  }

  private engineFor(context: SagaContext) {
    return this.engines.on(targetOf(context).address);
  }

  private place(context: SagaContext): Promise<void> {
    const requested = context.operation.params.pool;
    return forGood(
      () => this.placement.place(context.tenant, typeof requested === 'string' ? requested : undefined),
      [PoolCapacityExhausted, PoolNotRegistered, EngineNotConfigured],
    );
  }

  private async applySchema(context: SagaContext): Promise<void> {
    const { version } = await (await this.engineFor(context)).applySchema(targetOf(context));
    await this.registry.repositories.databases.setSchemaVersion(context.tenant.id, version);
  }
}
