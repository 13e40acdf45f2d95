import { Inject, Injectable, Logger } from '@nestjs/common';
import { DRIFT_SCAN_JOB, DRIFT_SCANS_QUEUE, queueConnectionOptions } from '@tenantry/common';
import { Queue, Worker } from 'bullmq';
import { MIGRATION_RUNNER_OPTIONS, type MigrationRunnerOptions } from '../migration-runner-settings';
import { DriftScanner } from './drift-scanner';

const SCHEDULER = 'drift-scans';

/**
 * The scheduled runner's fleet drift scan, every DRIFT_SCAN_INTERVAL_MS (off at 0): a BullMQ job
 * scheduler, so with several runner replicas one of them scans each time. Results go to the registry
 * like `npm run drift`'s (the admin API's GET /drift and metrics).
 */
@Injectable()
export class ScheduledDriftScans {
  private readonly logger = new Logger(ScheduledDriftScans.name);
  private queue?: Queue;
  private worker?: Worker;
  private stopping = false;

  constructor(
    private readonly scanner: DriftScanner,
    @Inject(MIGRATION_RUNNER_OPTIONS) private readonly options: MigrationRunnerOptions,
  ) {}

  /** False when the interval is 0 (scans are off); a scheduler left by an earlier start with scans on is removed then. */
  async start(): Promise<boolean> {
    const { redisUrl, prefix } = this.options.scheduleQueue;
    const { intervalMs, concurrency } = this.options.driftScan;
    const connection = queueConnectionOptions(redisUrl);
    this.queue = new Queue(DRIFT_SCANS_QUEUE, { connection, prefix });
    if (intervalMs === 0) {
      await this.queue.removeJobScheduler(SCHEDULER);
      return false;
    }
    await this.queue.upsertJobScheduler(SCHEDULER, { every: intervalMs }, { name: DRIFT_SCAN_JOB, opts: { removeOnComplete: 100, removeOnFail: 100 } });
    this.worker = new Worker(
      DRIFT_SCANS_QUEUE,
      async () => {
        const members = (await this.scanner.members()) ?? [];
        const results = await this.scanner.scan(members, concurrency, undefined, () => this.stopping);
        const drifted = results.filter((result) => result.status === 'drifted').length;
        const unknown = results.filter((result) => result.status === 'unknown').length;
        this.logger.log({ tenants: results.length, drifted, unknown }, `scheduled drift scan: ${results.length} tenants, ${drifted} drifted, ${unknown} unknown`);
      },
      { connection, prefix, concurrency: 1 },
    );
    this.worker.on('failed', (_job, error) => this.logger.error({ err: error }, 'scheduled drift scan failed'));
    return true;
  }

  /** A scan in progress starts no more tenants; those in flight finish (one catalog query each). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker?.close();
    await this.queue?.close();
  }
}
