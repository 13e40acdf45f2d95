import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, queueConnectionOptions, withTimeout, type AppConfig } from '@tenantry/common';
import { Queue, Worker } from 'bullmq';
import { FleetMigrator, type FleetRunOptions } from './fleet-migrator';

const QUEUE = 'tenant-migrations';
const SCHEDULER = 'fleet-migrations';

/**
 * Scheduled mode: a BullMQ job scheduler fires a fleet run on a cron pattern. Several runner
 * replicas may run this; BullMQ hands each tick to one of them, and the per-tenant locks make an
 * overlap harmless anyway. Runs are recorded like CLI runs (GET /migrations/runs).
 */
@Injectable()
export class ScheduledRuns {
  private readonly logger = new Logger(ScheduledRuns.name);
  private queue?: Queue<FleetRunOptions>;
  private worker?: Worker<FleetRunOptions>;

  constructor(
    private readonly migrator: FleetMigrator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async start(pattern: string, options: FleetRunOptions): Promise<void> {
    const connection = queueConnectionOptions(this.config.redis.url);
    this.queue = new Queue<FleetRunOptions>(QUEUE, { connection, prefix: this.config.queue.prefix });
    await this.queue.upsertJobScheduler(SCHEDULER, { pattern }, { name: 'fleet-run', data: options, opts: { removeOnComplete: 100, removeOnFail: 100 } });
    this.worker = new Worker<FleetRunOptions>(
      QUEUE,
      async (job) => {
        const { runId, results } = await this.migrator.run(job.data, `schedule:${pattern}`, () => undefined);
        const failed = results.filter((result) => result.outcome === 'failed').length;
        this.logger.log({ run_id: runId, tenants: results.length, failed }, `scheduled fleet run ${runId} finished`);
        return runId;
      },
      { connection, prefix: this.config.queue.prefix, concurrency: 1 },
    );
    this.worker.on('failed', (_job, error) => this.logger.error({ err: error }, 'scheduled fleet run refused or failed'));
  }

  async stop(): Promise<void> {
    await withTimeout(this.worker?.close() ?? Promise.resolve(), this.config.worker.shutdownTimeoutMs, 'scheduled runs close').catch(() =>
      this.worker?.close(true),
    );
    await this.queue?.close();
  }
}
