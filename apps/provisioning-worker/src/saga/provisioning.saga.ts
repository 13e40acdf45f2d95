import { Inject, Injectable } from '@nestjs/common';
import { PoolCapacityExhausted, PoolNotRegistered } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork, TenantCacheInvalidator } from '@tenantry/registry';
import { generatePassword, SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { DatabaseCreator } from '../fast-path/database-creator';
import { PlacementService } from './placement.service';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import { PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';
import { changeTenantStatus } from './tenant-status-change';
import { targetOf } from './tenant-target';

/** place -> create database -> create login -> apply schema -> store credentials -> activate -> invalidate caches. */
@Injectable()
export class ProvisioningSaga {
  readonly steps: SagaStep[] = [
    { name: 'place', run: (c) => this.place(c) },
    { name: 'create_database', run: (c) => this.databases.create(targetOf(c)) },
    { name: 'create_login', run: (c) => this.engineFor(c).ensureLogin(targetOf(c)) },
    { name: 'apply_schema', run: (c) => this.applySchema(c) },
    { name: 'store_credentials', run: (c) => this.storeCredentials(c) },
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
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, {
      maxAttempts,
      onFailed: (context, error) =>
        changeTenantStatus(this.registry, context, 'failed', 'tenant.provisioning_failed', { error: error.message }),
    });
  }

  private engineFor(context: SagaContext) {
    return this.engines.get(targetOf(context).pool.engine);
  }

  private async place(context: SagaContext): Promise<void> {
    try {
      const requested = context.operation.params.pool;
      await this.placement.place(context.tenant, typeof requested === 'string' ? requested : undefined);
    } catch (error) {
      if (error instanceof PoolCapacityExhausted || error instanceof PoolNotRegistered) throw new PermanentStepFailure(error.message);
      throw error;
    }
  }

  private async applySchema(context: SagaContext): Promise<void> {
    const { version } = await this.engineFor(context).applySchema(targetOf(context));
    await this.registry.repositories.databases.setSchemaVersion(context.tenant.id, version);
  }

  /**
   * The protected secret is stored before the login gets the password: a crash in between leaves
   * a stored secret the login does not accept yet, and the rerun replaces both.
   */
  private async storeCredentials(context: SagaContext): Promise<void> {
    const password = generatePassword();
    const secret = await this.protector.protect(password, context.tenant.id);
    await this.registry.repositories.databases.setSecret(context.tenant.id, secret);
    await this.engineFor(context).setLoginPassword(targetOf(context), password);
  }

}
