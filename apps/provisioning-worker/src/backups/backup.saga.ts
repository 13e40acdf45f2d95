import { Injectable } from '@nestjs/common';
import { SagaRunner, type SagaOutcome } from '../saga/saga-runner';
import type { SagaStep } from '../saga/saga-step';
import { TenantBackups } from './tenant-backups';

/** back up (on demand or on schedule) -> let go what the retention no longer keeps. */
@Injectable()
export class BackupSaga {
  readonly steps: SagaStep[] = [
    { name: 'back_up', run: (c) => this.backups.take(c) },
    { name: 'apply_retention', run: async (c) => `${await this.backups.prune(c.tenant.id)} expired` },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly backups: TenantBackups,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: async () => undefined });
  }
}
