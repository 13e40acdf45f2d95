import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { enterTenant, queueConnectionOptions, TENANT_OPERATIONS_QUEUE, withTimeout, type TenantOperationJob } from '@tenantry/common';
import { OPERATION_QUEUE_OPTIONS, type OperationQueueOptions } from '@tenantry/registry';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { CredentialRotationSaga } from '../saga/credential-rotation.saga';
import { DeprovisioningSaga } from '../saga/deprovisioning.saga';
import { MoveSaga } from '../saga/move.saga';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import { ResumptionSaga } from '../saga/resumption.saga';
import { OperationFailed, type SagaOutcome } from '../saga/saga-runner';
import { SuspensionSaga } from '../saga/suspension.saga';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';
import { assertEveryKindHasSaga, sagaForJob, type OperationSagas } from './operation-sagas';

/**
 * The BullMQ consumer, built here rather than with @Processor so lock duration, stall detection,
 * concurrency and the shutdown bound come from configuration. Jobs only name an operation; the
 * sagas own its state, so a job lost or run twice changes nothing. A job ends as its operation
 * does: completed, or failed for good (Bull Board's Failed tab, the queue gauges), never retried
 * by BullMQ once the operation has failed; POST /operations/:id/retry replaces it.
 *
 * Who owns retries: the operation row. Each run of a saga claims the row and counts an attempt
 * (operations.attempts, crashes included); the saga fails the operation for good on a
 * PermanentStepFailure or when a step fails on attempt OPERATION_MAX_ATTEMPTS, and the job then
 * fails with UnrecoverableError. BullMQ only paces the tries: its backoff decides when the next one
 * runs, and its own attempt count (the same setting) ends only a job whose tries never reached the
 * saga, such as a tenant busy with another worker (TenantBusy claims nothing). The reconciler counts
 * nothing: it enqueues again an operation still open with no live job, however BullMQ lost or ended
 * it, so the row's count, not Redis, decides when an operation stops being tried.
 */
@Injectable()
export class OperationWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OperationWorker.name);
  private worker?: Worker<TenantOperationJob, SagaOutcome>;
  private readonly sagas: OperationSagas;

  constructor(
    provisioning: ProvisioningSaga,
    deprovisioning: DeprovisioningSaga,
    rotation: CredentialRotationSaga,
    suspension: SuspensionSaga,
    resumption: ResumptionSaga,
    move: MoveSaga,
    private readonly cls: ClsService,
    @Inject(OPERATION_QUEUE_OPTIONS) private readonly queue: OperationQueueOptions,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {
    this.sagas = { provision: provisioning, deprovision: deprovisioning, rotate_credentials: rotation, suspend: suspension, resume: resumption, move };
  }

  onApplicationBootstrap(): void {
    assertEveryKindHasSaga(this.sagas);
    this.worker = new Worker<TenantOperationJob, SagaOutcome>(TENANT_OPERATIONS_QUEUE, (job) => this.process(job), {
      connection: queueConnectionOptions(this.queue.redisUrl),
      prefix: this.queue.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'queue worker error'));
    this.worker.on('failed', (job, error) => this.logger.warn({ tenant_id: job?.data.tenantId, operation_id: job?.data.operationId, err: error }, 'job attempt failed'));
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

  private process(job: Job<TenantOperationJob>): Promise<SagaOutcome> {
    return this.cls.run(async () => {
      enterTenant(this.cls, job.data.tenantId);
      const maxAttempts = this.queue.maxAttempts;
      try {
        const outcome = await sagaForJob(this.sagas, job.name).run(job.data.operationId, maxAttempts);
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
