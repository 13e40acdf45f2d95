import { Logger } from '@nestjs/common';
import { withTimeout } from '@tenantry/common';
import type { OperationEntity, OperationQueue } from '@tenantry/registry';

const logger = new Logger('Dispatch');

/**
 * Enqueues a committed operation. A failure is not the caller's problem: the reconciler picks the
 * operation up. BullMQ's connection waits for Redis forever; an HTTP request must not.
 */
export async function dispatch(queue: OperationQueue, operation: OperationEntity): Promise<void> {
  try {
    await withTimeout(queue.enqueue(operation), 2000, 'enqueue');
  } catch (error) {
    logger.warn({ tenant_id: operation.tenantId, operation_id: operation.id, err: error }, 'enqueue failed; the reconciler will retry it');
  }
}
