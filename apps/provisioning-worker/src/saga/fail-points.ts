import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';

/** Crash tests set TENANTRY_FAILPOINT=after:<step>; the process then dies for real, as a kill -9 would. */
@Injectable()
export class FailPoints {
  private readonly logger = new Logger(FailPoints.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  afterStep(step: string): void {
    if (this.config.worker.failAfterStep !== step) return;
    this.logger.warn(`fail-point after:${step} reached; killing this process`);
    process.kill(process.pid, 'SIGKILL');
  }
}
