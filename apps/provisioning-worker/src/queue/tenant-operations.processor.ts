import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, TENANT_ID_KEY, TENANT_OPERATIONS_QUEUE, type AppConfig, type TenantOperationJob } from '@tenantry/common';
import type { Job } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { DeprovisioningSaga } from '../saga/deprovisioning.saga';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import type { SagaOutcome } from '../saga/saga-runner';

/** Thin consumer: each job names an operation; the sagas do the work and own its state. */
@Processor(TENANT_OPERATIONS_QUEUE)
export class TenantOperationsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(TenantOperationsProcessor.name);

  constructor(
    private readonly provisioning: ProvisioningSaga,
    private readonly deprovisioning: DeprovisioningSaga,
    private readonly cls: ClsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.queue.concurrency;
  }

  process(job: Job<TenantOperationJob>): Promise<SagaOutcome> {
    return this.cls.run(async () => {
      this.cls.set(TENANT_ID_KEY, job.data.tenantId);
      const maxAttempts = this.config.queue.maxAttempts;
      const outcome =
        job.name === 'deprovision'
          ? await this.deprovisioning.run(job.data.operationId, maxAttempts)
          : await this.provisioning.run(job.data.operationId, maxAttempts);
      this.logger.log({ operation_id: job.data.operationId, kind: job.name, outcome }, `operation ${outcome}`);
      return outcome;
    });
  }
}
