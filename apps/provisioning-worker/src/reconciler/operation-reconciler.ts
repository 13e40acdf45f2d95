import { Inject, Injectable, Logger } from '@nestjs/common';
import { OperationQueue, RegistryUnitOfWork } from '@tenantry/registry';
import { RepeatingPass } from '../repeating-pass';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/**
 * The admin DB, not Redis, is the source of truth: an unfinished operation with no live job (the
 * enqueue failed after the commit, Redis was flushed, the job was removed) is enqueued again.
 * Job ids derive from the operation, so racing reconcilers add one job, not two.
 */
@Injectable()
export class OperationReconciler extends RepeatingPass {
  private readonly logger = new Logger(OperationReconciler.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly queue: OperationQueue,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {
    super();
  }

  protected interval(): number {
    return this.options.reconcileIntervalMs;
  }

  /** One pass; returns how many operations were enqueued again. */
  reconcileOnce(): Promise<number> {
    return this.once();
  }

  protected async pass(): Promise<number> {
    let requeued = 0;
    try {
      const stale = await this.registry.repositories.operations.findUnfinished(this.options.reconcileAfterMs);
      for (const operation of stale) {
        if (await this.queue.hasJob(operation.id)) continue;
        await this.queue.enqueue(operation);
        requeued += 1;
        this.logger.warn({ tenant_id: operation.tenantId, operation_id: operation.id }, 'operation had no live job; enqueued again');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'reconciliation pass failed');
    }
    return requeued;
  }
}
