import { booleanVariable, combineSettings, defineSettings, loggingSettings, portVariable, redisSettings, sharedVariables, type SettingsOf } from '@tenantry/common';
import { enginesSettings } from '@tenantry/engines';
import { configuredPoolSettings, operationQueueSettings, registrySettings, slotReservationSettings } from '@tenantry/registry';
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
  /** How long a database a switchover left behind is kept before the sweeper drops it. */
  retiredDatabaseRetentionMs: number;
  /** How often the sweeper looks for retired databases whose retention is over; 0: never (another worker sweeps). */
  retiredDatabaseSweepIntervalMs: number;
  /** Hang guard of a move's initial copy and catch-up, which a large tenant makes long. */
  moveCopyTimeoutMs: number;
  /** A move freezes writes once the copy is this close behind (bytes of WAL): the freeze then waits for that much only. */
  moveFreezeLagBytes: number;
  /** Longest a move keeps writes frozen waiting for the copy to agree; past it the move rolls back and the tenant writes again. */
  moveFreezeTimeoutMs: number;
  /** Test hook: the process kills itself (SIGKILL) right after the named saga step. */
  failAfterStep?: string;
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
    RETIRED_DATABASE_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3_600_000),
    RETIRED_DATABASE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
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
  build: (e): WorkerOptions => ({
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
    retiredDatabaseRetentionMs: e.RETIRED_DATABASE_RETENTION_MS,
    retiredDatabaseSweepIntervalMs: e.RETIRED_DATABASE_SWEEP_INTERVAL_MS,
    moveCopyTimeoutMs: e.MOVE_COPY_TIMEOUT_MS,
    moveFreezeLagBytes: e.MOVE_FREEZE_LAG_BYTES,
    moveFreezeTimeoutMs: e.MOVE_FREEZE_TIMEOUT_MS,
    failAfterStep: e.TENANTRY_FAILPOINT?.slice('after:'.length),
  }),
});

/** Everything the worker process reads, each lib's slice under its name: main.ts loads it once. */
export const workerSettings = combineSettings({
  logging: loggingSettings,
  redis: redisSettings,
  registry: registrySettings,
  configuredPool: configuredPoolSettings,
  slotReservation: slotReservationSettings,
  queue: operationQueueSettings,
  engines: enginesSettings,
  secrets: secretsSettings,
  worker: workerOwnSettings,
});

export type WorkerSettings = SettingsOf<typeof workerSettings>;
