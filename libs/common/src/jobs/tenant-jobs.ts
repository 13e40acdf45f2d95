/** The one place that names the queue, its job kinds and their payloads. */
export const TENANT_OPERATIONS_QUEUE = 'tenant-operations';

export type OperationKind = 'provision' | 'deprovision' | 'rotate_credentials' | 'suspend' | 'resume';

export interface TenantOperationJob {
  operationId: string;
  tenantId: string;
}

/** BullMQ ignores an add() whose jobId already exists, so deriving it from the operation makes re-enqueueing a no-op. */
export function jobIdFor(operationId: string): string {
  return `op-${operationId}`;
}
