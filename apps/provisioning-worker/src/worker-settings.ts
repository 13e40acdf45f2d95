import { booleanVariable, combineSettings, defineSettings, loggingSettings, portVariable, redisSettings, sharedVariables, type SettingsOf } from '@tenantry/common';
import { enginesSettings } from '@tenantry/engines';
import { configuredPoolSettings, operationQueueSettings, registrySettings, retentionSettings, slotReservationSettings } from '@tenantry/registry';
import { secretsSettings } from '@tenantry/secrets';
import { z } from 'zod';

/** The worker's own settings (the libs it imports have theirs). */
export interface WorkerOptions {
  /** TENANTRY_ENV: the suffix of the names of the databases it places and the spares it keeps. */
  environment: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  reconcileIntervalMs: number;
  reconcileAfterMs: number;
  shutdownTimeoutMs: number;
  templateEnabled: boolean;
  warmPoolSize: number;
  /** After a rotation or a suspension, how long the login's old sessions may finish their work before they are ended. */
  sessionGraceMs: number;
  metricsPort: number;
  backups: BackupOptions;
  /** How long a database a switchover left behind is kept before the sweeper drops it. */
  retiredDatabaseRetentionMs: number;
  /** How often the sweeper looks for retired databases whose retention is over; 0: never (another worker sweeps). */
  retiredDatabaseSweepIntervalMs: number;
  /** Server connections each pooler may hold (0: no cap but its idle timeout), and how often it is looked at (pooler-budget-keeper.ts). */
  poolerBudget: { serverConnections: number; intervalMs: number };
  /** Hang guard of a move's initial copy and catch-up, which a large tenant makes long. */
  moveCopyTimeoutMs: number;
  /** A move freezes writes once the copy is this close behind (bytes of WAL): the freeze then waits for that much only. */
  moveFreezeLagBytes: number;
  /** Longest a move keeps writes frozen waiting for the copy to agree; past it the move rolls back and the tenant writes again. */
  moveFreezeTimeoutMs: number;
  /** Test hook: the process kills itself (SIGKILL) right after the named saga step. */
  failAfterStep?: string;
}

/** Tenant backups (issue 17): where the PostgreSQL dumps go, how many are kept, how often they are taken, and how a restore runs. */
export interface BackupOptions {
  directory: string;
  /** The newest `keepCount` of a tenant's backups are kept, none older than `keepMs`; its newest one always stays. */
  keepCount: number;
  keepMs: number;
  /** Each active tenant is backed up when its newest backup is this old; 0: no scheduled backups (on demand only). */
  intervalMs: number;
  /** How often the backups of tenants past the undelete window are looked for. */
  sweepIntervalMs: number;
  /** pg_restore's --jobs. */
  restoreJobs: number;
  /** The most bytes of SQL a restore sends the server per second; absent: as fast as the server takes them. */
  restoreMaxBytesPerSecond?: number;
}

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

const workerOwnSettings = defineSettings({
  variables: {
    TENANTRY_ENV: sharedVariables.TENANTRY_ENV,
    WORKER_CONCURRENCY: z.coerce.number().int().positive().max(64).default(4),
    // A dead worker's job is taken over within lock + stall interval (11 s), well inside the 15 s promised;
    // a live worker renews its locks every half lock, whatever a step's length.
    QUEUE_LOCK_DURATION_MS: z.coerce.number().int().min(500).default(8_000),
    QUEUE_STALLED_INTERVAL_MS: z.coerce.number().int().min(200).default(3_000),
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
    RECONCILE_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
    SHUTDOWN_TIMEOUT_MS: sharedVariables.SHUTDOWN_TIMEOUT_MS,
    TEMPLATE_ENABLED: booleanVariable(true),
    WARM_POOL_SIZE: z.coerce.number().int().min(0).max(1000).default(0),
    SESSION_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    WORKER_METRICS_PORT: portVariable(9464),
    BACKUP_DIR: z.string().min(1).default('.dev/backups'),
    BACKUP_KEEP_COUNT: z.coerce.number().int().min(1).default(7),
    BACKUP_KEEP_DAYS: z.coerce.number().min(0).default(14),
    BACKUP_INTERVAL_MINUTES: z.coerce.number().min(0).default(0),
    BACKUP_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
    // One: a restore's pg_restore shares the server's cores with every neighbour of the tenant (bench:restore in docs/benchmarks.md).
    RESTORE_JOBS: z.coerce.number().int().min(1).max(16).default(1),
    // The rows of a restore reach the server at no more than this (0: unpaced), so its COPY takes part
    // of a core while the neighbours are served. 12: a 1 GB tenant is 793 MB of SQL, 66 s at this
    // pace, and its indexes and keys took 63 s more on a loaded 2-core server (bench:restore): 3 min with 50 s to spare.
    RESTORE_MAX_MB_PER_SECOND: z.coerce.number().min(0).max(10_000).default(12),
    RETIRED_DATABASE_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3_600_000),
    RETIRED_DATABASE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
    // The server-wide cap PgBouncer does not have: its server's max_connections less what the control
    // plane and superusers hold (README, "Connection budget"). 0: none, idle connections close only
    // after server_idle_timeout, and a burst of cold tenants can pass max_connections.
    TENANT_PG_POOLER_SERVER_BUDGET: z.coerce.number().int().min(0).default(0),
    TENANT_PG_POOLER_BUDGET_INTERVAL_MS: z.coerce.number().int().min(50).default(250),
    MOVE_COPY_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(6 * 3_600_000),
    MOVE_FREEZE_LAG_BYTES: z.coerce.number().int().min(0).default(1_048_576),
    MOVE_FREEZE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    TENANTRY_FAILPOINT: z
      .string()
      .regex(/^after:[a-z_]+$/, 'must be after:<step name>')
      .optional(),
  },
  build: (e, problems): WorkerOptions => {
    if (e.RESTORE_MAX_MB_PER_SECOND > 0 && e.RESTORE_JOBS > 1) {
      problems.push('RESTORE_JOBS: a paced restore runs one job; set RESTORE_MAX_MB_PER_SECOND=0 to restore with several');
    }
    return {
      environment: e.TENANTRY_ENV,
      concurrency: e.WORKER_CONCURRENCY,
      lockDurationMs: e.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      reconcileAfterMs: e.RECONCILE_AFTER_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      templateEnabled: e.TEMPLATE_ENABLED,
      warmPoolSize: e.WARM_POOL_SIZE,
      sessionGraceMs: e.SESSION_GRACE_MS,
      metricsPort: e.WORKER_METRICS_PORT,
      backups: {
        directory: e.BACKUP_DIR,
        keepCount: e.BACKUP_KEEP_COUNT,
        keepMs: Math.round(e.BACKUP_KEEP_DAYS * 86_400_000),
        intervalMs: Math.round(e.BACKUP_INTERVAL_MINUTES * 60_000),
        sweepIntervalMs: e.BACKUP_SWEEP_INTERVAL_MS,
        restoreJobs: e.RESTORE_JOBS,
        restoreMaxBytesPerSecond: e.RESTORE_MAX_MB_PER_SECOND > 0 ? Math.round(e.RESTORE_MAX_MB_PER_SECOND * 1_048_576) : undefined,
      },
      retiredDatabaseRetentionMs: e.RETIRED_DATABASE_RETENTION_MS,
      retiredDatabaseSweepIntervalMs: e.RETIRED_DATABASE_SWEEP_INTERVAL_MS,
      poolerBudget: { serverConnections: e.TENANT_PG_POOLER_SERVER_BUDGET, intervalMs: e.TENANT_PG_POOLER_BUDGET_INTERVAL_MS },
      moveCopyTimeoutMs: e.MOVE_COPY_TIMEOUT_MS,
      moveFreezeLagBytes: e.MOVE_FREEZE_LAG_BYTES,
      moveFreezeTimeoutMs: e.MOVE_FREEZE_TIMEOUT_MS,
      failAfterStep: e.TENANTRY_FAILPOINT?.slice('after:'.length),
    };
  },
});

/** Everything the worker process reads, each lib's slice under its name: main.ts loads it once. */
export const workerSettings = combineSettings({
  logging: loggingSettings,
  redis: redisSettings,
  registry: registrySettings,
  configuredPool: configuredPoolSettings,
  slotReservation: slotReservationSettings,
  retention: retentionSettings,
  queue: operationQueueSettings,
  engines: enginesSettings,
  secrets: secretsSettings,
  worker: workerOwnSettings,
});

export type WorkerSettings = SettingsOf<typeof workerSettings>;
