import { Inject, Injectable, Logger } from '@nestjs/common';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/** Crash tests set TENANTRY_FAILPOINT=after:<step>; the process then dies for real, as a kill -9 would. */
@Injectable()
export class FailPoints {
  private readonly logger = new Logger(FailPoints.name);

  constructor(@Inject(WORKER_OPTIONS) private readonly options: WorkerOptions) {}

  afterStep(step: string): void {
    if (this.options.failAfterStep !== step) return;
    this.logger.warn(`fail-point after:${step} reached; killing this process`);
    process.kill(process.pid, 'SIGKILL');
  }
}
