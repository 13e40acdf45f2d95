import { Injectable } from '@nestjs/common';
import { InvalidMove, OperationNotCancellable, OperationNotFound, OperationNotRetryable, type OperationKind } from '@tenantry/common';
import { MOVE_POINT_OF_NO_RETURN, OperationQueue, RegistryUnitOfWork, type OperationEntity, type TenantStatus } from '@tenantry/registry';
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
  move: null,
};

const CANCELLABLE: OperationKind = 'move';

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

  /**
   * Asks a move to stop: the worker rolls it back and the tenant stays where it was. Refused once the
   * move has switched the tenant (or ended), and for operations of other kinds.
   */
  async cancel(id: string, actor: Actor): Promise<OperationEntity> {
    return this.registry.transaction(async (r) => {
      const found = await r.operations.findById(id);
      if (!found) throw new OperationNotFound(id);
      if (found.kind !== CANCELLABLE) throw new OperationNotCancellable(`operation "${id}" is a ${found.kind}; only a move can be cancelled`);
      if (!(await r.operations.requestCancel(id, MOVE_POINT_OF_NO_RETURN))) {
        throw new OperationNotCancellable(
          `operation "${id}" is ${found.status}${found.checkpoints[MOVE_POINT_OF_NO_RETURN] ? ' and has switched the tenant' : ''}: too late to cancel`,
        );
      }
      await r.audit.record({ actor, action: 'operation.cancel', tenant: { id: found.tenantId }, operation: found, details: { step: found.step } });
      return (await r.operations.findById(id)) as OperationEntity;
    });
  }

  /** Resumes a failed operation from the step that failed; the steps before it are not run again. */
  async retry(id: string, actor: Actor): Promise<OperationEntity> {
    const operation = await this.registry.transaction(async (r) => {
      const found = await r.operations.findById(id);
      if (!found) throw new OperationNotFound(id);
      // A failed move has rolled back and given its target slot back: a new move starts over.
      if (found.kind === 'move' && found.status === 'failed') throw new InvalidMove(`move "${id}" rolled back; ask for a new move (POST /tenants/:code/move)`);
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
