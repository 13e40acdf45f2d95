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
