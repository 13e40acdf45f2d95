import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { jobIdFor, TENANT_OPERATIONS_QUEUE, type OperationKind, type TenantOperationJob } from '@tenantry/common';
import type { Queue } from 'bullmq';

/** Dispatches outbox rows to BullMQ. The operation row is already committed, so losing a job here only delays it. */
@Injectable()
export class OperationQueue {
  constructor(@InjectQueue(TENANT_OPERATIONS_QUEUE) private readonly queue: Queue<TenantOperationJob>) {}

  /** A live job for the operation is left alone; a finished one (an earlier attempt) is replaced. */
  async enqueue(operation: { id: string; tenantId: string; kind: OperationKind }): Promise<void> {
    const existing = await this.queue.getJob(jobIdFor(operation.id));
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return;
      await existing.remove();
    }
    await this.queue.add(operation.kind, { operationId: operation.id, tenantId: operation.tenantId }, { jobId: jobIdFor(operation.id) });
  }

  /** Jobs by state, for the queue-depth gauge. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  /** The BullMQ queue itself, for the Bull Board page. */
  get bullQueue(): Queue<TenantOperationJob> {
    return this.queue;
  }

  async hasJob(operationId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobIdFor(operationId));
    if (!job) return false;
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && state !== 'unknown';
  }
}
