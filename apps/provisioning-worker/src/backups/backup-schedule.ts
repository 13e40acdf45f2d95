import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OperationInProgress, OperationQueue, RegistryUnitOfWork, RETENTION_OPTIONS, type RetentionOptions } from '@tenantry/registry';
import { SYSTEM_ACTOR } from '../saga/tenant-status-change';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';
import { TenantBackups } from './tenant-backups';

const DUE_PER_PASS = 100;

/**
 * Scheduled backups (BACKUP_INTERVAL_MINUTES): each active tenant whose newest backup is older than
 * the interval gets a backup operation, which the queue runs as any other; a tenant busy with another
 * operation is left for the next pass. And the sweep of the backups of tenants deleted longer ago
 * than the undelete window (a database a restore replaced is the switchover's to retire and drop).
 * Every replica runs both: the registry's one-open-operation-per-tenant index and idempotent
 * expiries make a second one harmless.
 */
@Injectable()
export class BackupSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BackupSchedule.name);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly passes = new Set<Promise<unknown>>();

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly queue: OperationQueue,
    private readonly backups: TenantBackups,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(RETENTION_OPTIONS) private readonly retention: RetentionOptions,
  ) {}

  onApplicationBootstrap(): void {
    const { intervalMs, sweepIntervalMs } = this.options.backups;
    if (intervalMs > 0) this.every(Math.min(intervalMs, 60_000), () => this.scheduleDue());
    this.every(sweepIntervalMs, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.passes);
  }

  /** A pass still running when the next is due is not doubled: that tick is skipped. */
  private every(ms: number, pass: () => Promise<unknown>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const running = pass()
        .catch((error: unknown) => this.logger.error({ err: error }, 'backup schedule pass failed'))
        .finally(() => {
          busy = false;
          this.passes.delete(running);
        });
      this.passes.add(running);
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Returns how many backup operations it queued. */
  async scheduleDue(): Promise<number> {
    const since = new Date(Date.now() - this.options.backups.intervalMs);
    const due = await this.registry.repositories.backups.activeTenantsDue(since, DUE_PER_PASS);
    let queued = 0;
    for (const tenantId of due) {
      try {
        const operation = await this.registry.transaction(async (r) => {
          const op = await r.operations.insert({ tenantId, kind: 'backup', requestedBy: SYSTEM_ACTOR.name, params: { scheduled: true } });
          await r.audit.record({ actor: SYSTEM_ACTOR, action: 'tenant.backup', tenant: { id: tenantId }, operation: op, details: { scheduled: true } });
          return op;
        });
        await this.queue.enqueue(operation);
        queued += 1;
      } catch (error) {
        if (!(error instanceof OperationInProgress)) throw error;
      }
    }
    return queued;
  }

  /** Expires the backups of tenants past undeleting; returns how many. */
  async sweep(): Promise<number> {
    const expired = await this.registry.repositories.backups.ofTenantsDeletedBefore(this.retention.undeleteWindowMs);
    for (const backup of expired) await this.backups.expire(backup);
    return expired.length;
  }
}
