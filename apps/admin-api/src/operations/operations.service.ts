import { Injectable } from '@nestjs/common';
import { OperationNotFound, OperationNotRetryable, type OperationKind } from '@tenantry/common';
import { OperationQueue, RegistryUnitOfWork, type OperationEntity, type TenantStatus } from '@tenantry/registry';
import type { Actor } from '../tenants/actor';
import { dispatch } from './dispatch';

/**
 * What a tenant is while its operation runs again; a rotation leaves the tenant as it is, a
 * suspension acts only on a tenant still suspended, and a resumption activates it at its end.
 */
const STATUS_WHILE_RUNNING: Record<OperationKind, TenantStatus | null> = {
  provision: 'provisioning',
  deprovision: 'deprovisioning',
  rotate_credentials: null,
  suspend: null,
  resume: null,
  backup: null,
  restore: null,
  swap_restore: null,
  undelete: 'provisioning',
};

@Injectable()
export class OperationsService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly queue: OperationQueue,
  ) {}

  async get(id: string): Promise<OperationEntity> {
    const operation = await this.registry.repositories.operations.findById(id);
    if (!operation) throw new OperationNotFound(id);
    return operation;
  }

  /** Resumes a failed operation from the step that failed; the steps before it are not run again. */
  async retry(id: string, actor: Actor): Promise<OperationEntity> {
    const operation = await this.registry.transaction(async (r) => {
      const found = await r.operations.findById(id);
      if (!found) throw new OperationNotFound(id);
      if (!(await r.operations.reopen(id))) {
        throw new OperationNotRetryable(id, found.status);
      }
      const status = STATUS_WHILE_RUNNING[found.kind];
      if (status) await r.tenants.setStatus(found.tenantId, status);
      await r.audit.record({
        actor,
        action: 'operation.retry',
        tenant: { id: found.tenantId },
        operation: found,
        details: { failedStep: found.step, lastError: found.lastError },
      });
      return (await r.operations.findById(id)) as OperationEntity;
    });
    await dispatch(this.queue, operation);
    return operation;
  }
}
