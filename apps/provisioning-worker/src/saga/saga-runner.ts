import { Injectable, Logger } from '@nestjs/common';
import { RegistryUnitOfWork, type OperationEntity } from '@tenantry/registry';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { FailPoints } from './fail-points';
import { PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';

export class TenantBusy extends Error {}

/** The operation failed for good (a permanent failure, or its last attempt), as its row now says: running it again cannot help. */
export class OperationFailed extends Error {}

export type SagaOutcome = 'succeeded' | 'already-finished';

/**
 * Runs a saga's steps in order, skipping the ones the operation row records as done, and
 * checkpointing each step as it completes. A crash between two steps resumes at the next one.
 */
@Injectable()
export class SagaRunner {
  private readonly logger = new Logger(SagaRunner.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly failPoints: FailPoints,
    private readonly metrics: WorkerMetrics,
  ) {}

  async run(
    operationId: string,
    steps: SagaStep[],
    options: { maxAttempts: number; onFailed: (context: SagaContext, error: Error) => Promise<void> },
  ): Promise<SagaOutcome> {
    const r = this.registry.repositories;
    const existing = await r.operations.findById(operationId);
    if (!existing || existing.status === 'succeeded' || existing.status === 'failed') return 'already-finished';

    const locked = await this.registry.withLock(`tenant:${existing.tenantId}`, async (lost) => {
      const operation = await r.operations.claim(operationId);
      if (!operation) return 'already-finished' as const;
      return this.runSteps(operation, steps, options, lost);
    });
    if (!locked.acquired) throw new TenantBusy(`tenant ${existing.tenantId} is being worked on by another worker`);
    return locked.value;
  }

  /**
   * Without the tenant lock another worker may have taken the operation over: `lost` is checked
   * before each step and before anything is written, and a lost lock ends the attempt (LockLost,
   * retried later) with the step it interrupted neither checkpointed nor recorded as failed.
   */
  private async runSteps(
    operation: OperationEntity,
    steps: SagaStep[],
    options: { maxAttempts: number; onFailed: (context: SagaContext, error: Error) => Promise<void> },
    lost: AbortSignal,
  ): Promise<SagaOutcome> {
    const r = this.registry.repositories;
    const done = new Set(operation.completedSteps.map((timing) => timing.step));
    const tenant = await r.tenants.findById(operation.tenantId);
    if (!tenant) throw new PermanentStepFailure(`tenant ${operation.tenantId} of operation ${operation.id} is gone`);
    const context: SagaContext = { operation, tenant, database: await r.databases.findByTenant(tenant.id) };
    for (const step of steps) {
      if (done.has(step.name)) continue;
      // Placement is the one step that changes where the tenant lives (an undeleted tenant's dropped database is placed again); later steps need to see it.
      if (!context.database || context.database.droppedAt) context.database = await r.databases.findByTenant(tenant.id);
      lost.throwIfAborted();
      const startedAt = new Date();
      await r.operations.startStep(operation.id, step.name);
      let detail: unknown;
      try {
        detail = await step.run(context);
      } catch (error) {
        lost.throwIfAborted();
        const failure = error instanceof Error ? error : new Error(String(error));
        await r.operations.recordError(operation.id, step.name, failure.message);
        // The operation's own count is the retry budget; BullMQ only paces the tries (see OperationWorker).
        const permanent = failure instanceof PermanentStepFailure || operation.attempts >= options.maxAttempts;
        this.metrics.stepFailures.inc({ kind: operation.kind, step: step.name });
        this.logger.error(
          { tenant_id: tenant.id, operation_id: operation.id, step: step.name, attempt: operation.attempts, permanent, err: failure },
          `step ${step.name} failed`,
        );
        if (!permanent) throw failure;
        // The tenant and what the saga undoes first: whoever sees the operation failed finds the tenant failed
        // too, and if the undoing fails the operation stays open and is run again, never left failed and half-done.
        await options.onFailed(context, failure);
        await r.operations.finish(operation.id, 'failed');
        this.metrics.operations.inc({ kind: operation.kind, outcome: 'failed' });
        throw new OperationFailed(`operation ${operation.id} failed at ${step.name}: ${failure.message}`);
      }
      lost.throwIfAborted();
      const durationMs = Date.now() - startedAt.getTime();
      this.metrics.stepDuration.observe({ kind: operation.kind, step: step.name }, durationMs / 1000);
      await r.operations.completeStep(operation.id, {
        step: step.name,
        startedAt: startedAt.toISOString(),
        durationMs,
        ...(typeof detail === 'string' ? { detail } : {}),
      });
      this.logger.log({ tenant_id: tenant.id, operation_id: operation.id, step: step.name, durationMs }, `step ${step.name} done`);
      this.failPoints.afterStep(step.name);
    }
    lost.throwIfAborted();
    await r.operations.finish(operation.id, 'succeeded');
    this.metrics.operations.inc({ kind: operation.kind, outcome: 'succeeded' });
    return 'succeeded';
  }
}
