/** The one place that names the queues, their job kinds and their payloads. */

/** Tenant operations: the admin API (and the reconciler) adds one job per operation, named by its kind; the provisioning worker runs it. */
export const TENANT_OPERATIONS_QUEUE = 'tenant-operations';

export const OPERATION_KINDS = ['provision', 'deprovision', 'rotate_credentials', 'suspend', 'resume', 'move', 'backup', 'restore', 'swap_restore', 'undelete'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export interface TenantOperationJob {
  operationId: string;
  tenantId: string;
}

/** Job names come from Redis, so they are checked, not cast: one of another version may be in the queue. */
export function isOperationKind(name: string): name is OperationKind {
  return (OPERATION_KINDS as readonly string[]).includes(name);
}

/** BullMQ ignores an add() whose jobId already exists, so deriving it from the operation makes re-enqueueing a no-op. */
export function jobIdFor(operationId: string): string {
  return `op-${operationId}`;
}

/**
 * Scheduled fleet migrations: a job scheduler of the migration runner adds a FLEET_RUN_JOB on its
 * cron pattern and a runner replica takes it. Its payload is the runner's FleetRunOptions: nothing
 * but the runner adds or reads these jobs.
 */
export const FLEET_MIGRATIONS_QUEUE = 'tenant-migrations';
export const FLEET_RUN_JOB = 'fleet-run';

/**
 * Scheduled drift scans: a job scheduler of the migration runner (scheduled mode) adds a
 * DRIFT_SCAN_JOB every DRIFT_SCAN_INTERVAL_MS and one runner replica scans the fleet. No payload.
 */
export const DRIFT_SCANS_QUEUE = 'tenant-drift-scans';
export const DRIFT_SCAN_JOB = 'drift-scan';
