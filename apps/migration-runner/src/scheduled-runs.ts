import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLEET_MIGRATIONS_QUEUE, FLEET_RUN_JOB, queueConnectionOptions, withTimeout } from '@tenantry/common';
import { Queue, Worker } from 'bullmq';
import { FleetMigrator, type FleetRunOptions } from './fleet-migrator';
import { MIGRATION_RUNNER_OPTIONS, type MigrationRunnerOptions } from './migration-runner-settings';
import { RunStop } from './run-stop';

const SCHEDULER = 'fleet-migrations';
// Beyond the drain of a run in progress: time to record its end before the worker is closed by force.
const RECORD_MARGIN_MS = 2_000;

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
  private current?: RunStop;

  constructor(
    private readonly migrator: FleetMigrator,
    @Inject(MIGRATION_RUNNER_OPTIONS) private readonly options: MigrationRunnerOptions,
  ) {}

  async start(pattern: string, options: FleetRunOptions): Promise<void> {
    const { redisUrl, prefix } = this.options.scheduleQueue;
    const connection = queueConnectionOptions(redisUrl);
    this.queue = new Queue<FleetRunOptions>(FLEET_MIGRATIONS_QUEUE, { connection, prefix });
    await this.queue.upsertJobScheduler(SCHEDULER, { pattern }, { name: FLEET_RUN_JOB, data: options, opts: { removeOnComplete: 100, removeOnFail: 100 } });
    this.worker = new Worker<FleetRunOptions>(
      FLEET_MIGRATIONS_QUEUE,
      async (job) => {
        this.current = new RunStop();
        try {
          const { runId, status, results } = await this.migrator.run(job.data, `schedule:${pattern}`, { stop: this.current });
          const failed = results.filter((result) => result.outcome === 'failed').length;
          this.logger.log({ run_id: runId, status, tenants: results.length, failed }, `scheduled fleet run ${runId} ${status}`);
          return runId;
        } finally {
          this.current = undefined;
        }
      },
      { connection, prefix, concurrency: 1 },
    );
    this.worker.on('failed', (_job, error) => this.logger.error({ err: error }, 'scheduled fleet run refused or failed'));
  }

  /** A run in progress starts no more tenants, gets SHUTDOWN_TIMEOUT_MS for those in flight, and is recorded interrupted. */
  async stop(): Promise<void> {
    const drainMs = this.options.shutdownTimeoutMs;
    this.current?.request({ status: 'interrupted', reason: 'interrupted: the scheduled runner is stopping' }, drainMs);
    await withTimeout(this.worker?.close() ?? Promise.resolve(), drainMs + RECORD_MARGIN_MS, 'scheduled runs close').catch(() => this.worker?.close(true));
    await this.queue?.close();
  }
}
