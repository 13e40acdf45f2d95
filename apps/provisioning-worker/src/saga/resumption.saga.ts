import { Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork, TenantCacheInvalidator } from '@tenantry/registry';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import type { SagaContext, SagaStep } from './saga-step';
import { changeTenantStatus } from './tenant-status-change';
import { targetOf } from './tenant-target';
import { whileSuspended } from './while-suspended';

/**
 * enable the login -> mark the tenant active -> invalidate caches. The tenant stays suspended until
 * its login accepts connections again, so no business service opens a pool that the database refuses.
 */
@Injectable()
export class ResumptionSaga {
  readonly steps: SagaStep[] = [
    { name: 'enable_login', run: (c) => whileSuspended(c, () => this.setLoginEnabled(c, true)) },
    { name: 'activate', run: (c) => whileSuspended(c, () => changeTenantStatus(this.registry, c, 'active', 'tenant.resumed')) },
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly invalidator: TenantCacheInvalidator,
  ) {}

  /** A resumption that fails leaves the tenant suspended, and its login disabled again. */
  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: (context) => this.disableWhileSuspended(context) });
  }

  /** `activate` may have committed before the failure that ended the operation: only a tenant still suspended loses its login again. */
  private async disableWhileSuspended(context: SagaContext): Promise<void> {
    const tenant = await this.registry.repositories.tenants.findById(context.tenant.id);
    if (tenant?.status === 'suspended') await this.setLoginEnabled(context, false);
  }

  private async setLoginEnabled(context: SagaContext, enabled: boolean): Promise<void> {
    const target = targetOf(context);
    await (await this.engines.on(target.address)).setLoginEnabled(target, enabled);
  }
}
