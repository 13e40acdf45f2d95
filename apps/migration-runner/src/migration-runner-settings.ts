import { combineSettings, defineSettings, loggingSettings, redisSettings, redisVariables, sharedVariables, type SettingsOf } from '@tenantry/common';
import { enginesSettings } from '@tenantry/engines';
import { QUEUE_PREFIX, registrySettings } from '@tenantry/registry';
import { secretsSettings } from '@tenantry/secrets';
import { z } from 'zod';

/** The runner's own settings (the libs it imports have theirs). */
export interface MigrationRunnerOptions {
  /** TENANTRY_ENV: the provisioning template a successful fleet run brings up to date is this environment's. */
  environment: string;
  /** A run whose runner has not renewed its lease for this long is abandoned (the runner died). */
  runLeaseMs: number;
  /** At most this many tenants of one server migrate at once, whatever --concurrency allows across servers. */
  serverConcurrency: number;
  /** On SIGINT or SIGTERM, how long the tenants in flight may take to finish. */
  shutdownTimeoutMs: number;
  /** Scheduled mode's BullMQ queue: on the deployment's Redis, under its queue prefix. */
  scheduleQueue: { redisUrl: string; prefix: string };
  /** Scheduled mode's fleet drift scan: how often (0: never), and how many tenant databases it reads at once. */
  driftScan: { intervalMs: number; concurrency: number };
}

export const MIGRATION_RUNNER_OPTIONS = Symbol('MIGRATION_RUNNER_OPTIONS');

const runnerOwnSettings = defineSettings({
  variables: {
    TENANTRY_ENV: sharedVariables.TENANTRY_ENV,
    MIGRATION_RUN_LEASE_MS: z.coerce.number().int().min(1_000).default(60_000),
    MIGRATION_SERVER_CONCURRENCY: z.coerce.number().int().min(1).default(4),
    SHUTDOWN_TIMEOUT_MS: sharedVariables.SHUTDOWN_TIMEOUT_MS,
    REDIS_URL: redisVariables.REDIS_URL,
    QUEUE_PREFIX,
    // Six hours: a scan is one catalog query per tenant (a thousand tenants in seconds), and a hand-made
    // change is then seen the same working day, long before the next upgrade trips on it.
    DRIFT_SCAN_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(6 * 60 * 60_000),
    DRIFT_SCAN_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  },
  build: (e): MigrationRunnerOptions => ({
    environment: e.TENANTRY_ENV,
    runLeaseMs: e.MIGRATION_RUN_LEASE_MS,
    serverConcurrency: e.MIGRATION_SERVER_CONCURRENCY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    scheduleQueue: { redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX },
    driftScan: { intervalMs: e.DRIFT_SCAN_INTERVAL_MS, concurrency: e.DRIFT_SCAN_CONCURRENCY },
  }),
});

/** Everything the migration runner reads, each lib's slice under its name: main.ts loads it once. */
export const migrationRunnerSettings = combineSettings({
  logging: loggingSettings,
  redis: redisSettings,
  registry: registrySettings,
  engines: enginesSettings,
  secrets: secretsSettings,
  runner: runnerOwnSettings,
});

export type MigrationRunnerSettings = SettingsOf<typeof migrationRunnerSettings>;
