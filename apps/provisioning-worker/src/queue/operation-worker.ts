import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  enterTenant,
  queueConnectionOptions,
  TENANT_OPERATIONS_QUEUE,
  withTimeout,
  type OperationKind,
  type TenantOperationJob,
} from '@tenantry/common';
import { OPERATION_QUEUE_OPTIONS, type OperationQueueOptions } from '@tenantry/registry';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { CredentialRotationSaga } from '../saga/credential-rotation.saga';
import { DeprovisioningSaga } from '../saga/deprovisioning.saga';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import { ResumptionSaga } from '../saga/resumption.saga';
import { OperationFailed, type SagaOutcome } from '../saga/saga-runner';
import { SuspensionSaga } from '../saga/suspension.saga';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

type Saga = { run(operationId: string, maxAttempts: number): Promise<SagaOutcome> };

/**
 * The BullMQ consumer, built here rather than with @Processor so lock duration, stall detection,
 * concurrency and the shutdown bound come from configuration. Jobs only name an operation; the
 * sagas own its state, so a job lost or run twice changes nothing. A job ends as its operation
 * does: completed, or failed for good (Bull Board's Failed tab, the queue gauges), never retried
 * by BullMQ once the operation has failed; POST /operations/:id/retry replaces it.
 */
@Injectable()
export class OperationWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OperationWorker.name);
  private worker?: Worker<TenantOperationJob, SagaOutcome>;

  constructor(
    private readonly provisioning: ProvisioningSaga,
    private readonly deprovisioning: DeprovisioningSaga,
    private readonly rotation: CredentialRotationSaga,
    private readonly suspension: SuspensionSaga,
    private readonly resumption: ResumptionSaga,
    private readonly cls: ClsService,
    @Inject(OPERATION_QUEUE_OPTIONS) private readonly queue: OperationQueueOptions,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<TenantOperationJob, SagaOutcome>(TENANT_OPERATIONS_QUEUE, (job) => this.process(job), {
      connection: queueConnectionOptions(this.queue.redisUrl),
      prefix: this.queue.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'queue worker error'));
    this.worker.on('failed', (job, error) =>
      this.logger.warn({ tenant_id: job?.data.tenantId, operation_id: job?.data.operationId, err: error }, 'job attempt failed'),
    );
  }

  /** Finishes the jobs in hand within the bound; past it, closes anyway and their locks expire so another worker resumes them. */
  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    try {
      await withTimeout(worker.close(), this.options.shutdownTimeoutMs, 'worker close');
    } catch {
      this.logger.warn('jobs still running at the shutdown bound; releasing them to other workers');
      await worker.close(true);
    }
  }

  private sagaFor(kind: OperationKind): Saga {
    const sagas: Record<OperationKind, Saga> = {
      provision: this.provisioning,
      deprovision: this.deprovisioning,
      rotate_credentials: this.rotation,
      suspend: this.suspension,
      resume: this.resumption,
    };
    // Job names come from Redis: one this version does not know fails the job, it never runs another saga.
    const saga = Object.hasOwn(sagas, kind) ? sagas[kind] : undefined;
    if (!saga) throw new Error(`unknown operation kind "${kind}"`);
    return saga;
  }

  private process(job: Job<TenantOperationJob>): Promise<SagaOutcome> {
    return this.cls.run(async () => {
      enterTenant(this.cls, job.data.tenantId);
      const maxAttempts = this.queue.maxAttempts;
      try {
        const outcome = await this.sagaFor(job.name as OperationKind).run(job.data.operationId, maxAttempts);
        this.logger.log({ operation_id: job.data.operationId, kind: job.name, outcome }, `operation ${outcome}`);
        return outcome;
      } catch (error) {
        if (!(error instanceof OperationFailed)) throw error;
        this.logger.log({ operation_id: job.data.operationId, kind: job.name, outcome: 'failed' }, 'operation failed');
        throw new UnrecoverableError(error.message);
      }
    });
  }
}
