import { Injectable, Logger } from '@nestjs/common';
import { RegistryUnitOfWork, type OperationEntity } from '@tenantry/registry';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { FailPoints } from './fail-points';
import { PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';

export class TenantBusy extends Error {}

export type SagaOutcome = 'succeeded' | 'failed' | 'already-finished';

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

    const locked = await this.registry.withLock(`tenant:${existing.tenantId}`, async () => {
      const operation = await r.operations.claim(operationId);
      if (!operation) return 'already-finished' as const;
      return this.runSteps(operation, steps, options);
    });
    if (!locked.acquired) throw new TenantBusy(`tenant ${existing.tenantId} is being worked on by another worker`);
    return locked.value;
  }

  private async runSteps(
    operation: OperationEntity,
    steps: SagaStep[],
    options: { maxAttempts: number; onFailed: (context: SagaContext, error: Error) => Promise<void> },
  ): Promise<SagaOutcome> {
    const r = this.registry.repositories;
    const done = new Set(operation.completedSteps.map((timing) => timing.step));
    const tenant = await r.tenants.findById(operation.tenantId);
    if (!tenant) throw new PermanentStepFailure(`tenant ${operation.tenantId} of operation ${operation.id} is gone`);
    const context: SagaContext = { operation, tenant, database: await r.databases.findByTenant(tenant.id) };
    for (const step of steps) {
      if (done.has(step.name)) continue;
      // Placement is the one step that changes where the tenant lives; later steps need to see it.
      if (!context.database) context.database = await r.databases.findByTenant(tenant.id);
      const startedAt = new Date();
      await r.operations.startStep(operation.id, step.name);
      let detail: unknown;
      try {
        detail = await step.run(context);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        await r.operations.recordError(operation.id, step.name, failure.message);
        const permanent = failure instanceof PermanentStepFailure || operation.attempts >= options.maxAttempts;
        this.metrics.stepFailures.inc({ kind: operation.kind, step: step.name });
        this.logger.error(
          { tenant_id: tenant.id, operation_id: operation.id, step: step.name, attempt: operation.attempts, permanent, err: failure },
          `step ${step.name} failed`,
        );
        if (!permanent) throw failure;
        await r.operations.finish(operation.id, 'failed');
        await options.onFailed(context, failure);
        this.metrics.operations.inc({ kind: operation.kind, outcome: 'failed' });
        return 'failed';
      }
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
    await r.operations.finish(operation.id, 'succeeded');
    this.metrics.operations.inc({ kind: operation.kind, outcome: 'succeeded' });
    return 'succeeded';
  }
}
