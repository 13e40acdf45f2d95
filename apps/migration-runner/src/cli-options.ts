import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { FleetRunOptions } from './fleet-migrator';
import type { MigrationRunnerSettings } from './migration-runner-settings';

export interface CliOptions extends FleetRunOptions {
  report?: string;
  /** Cron pattern: stay up and run the fleet on this schedule (a BullMQ job scheduler, one run per tick across replicas). */
  schedule?: string;
  /** Override TENANT_MIGRATION_LOCK_TIMEOUT_MS / TENANT_MIGRATION_STATEMENT_TIMEOUT_MS for this run. */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export class CliUsageError extends Error {}

/** node's parseArgs, strict, with what it refuses turned into a usage error that shows `usage`. */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (error) {
    throw new CliUsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

const USAGE =
  'usage: migrate:tenants [--tenant <code>] [--dry-run] [--concurrency N] [--canary N|P%] [--max-failures N] ' +
  '[--lock-timeout T] [--statement-timeout T] [--allow-drift] [--report <file.json>] [--schedule "<cron>"] [--help]';

export const HELP = `${USAGE}

Brings every active tenant database to the current tenant schema: a canary wave first, then the
rest, each tenant under its own lock, a failed tenant recorded and the others going on.

  --tenant <code>          one tenant only
  --dry-run                the plan: per tenant, the migrations that would run; changes nothing
  --concurrency N          tenants migrated at once (default 8)
  --canary N|P%            tenants migrated first; any failure among them halts the run (default 1)
  --max-failures N         failures tolerated after the canary wave before the run halts (default 10)
  --lock-timeout T         per tenant, how long a statement waits for a lock, e.g. 500ms, 5s, 2m
                           (default TENANT_MIGRATION_LOCK_TIMEOUT_MS, 5s)
  --statement-timeout T    per tenant, how long one statement may run; 0: no limit
                           (default TENANT_MIGRATION_STATEMENT_TIMEOUT_MS, 10m)
  --allow-drift            migrate tenants whose schema drifted from their recorded version too; by default
                           such a tenant is refused (failed, with the differences) before anything runs on it
  --report <file.json>     the JSON report (default .dev/migration-reports/<time>.json)
  --schedule "<cron>"      stay up and run the fleet on this schedule
  --help                   this text

SIGINT or SIGTERM: no tenant starts after it; tenants in flight get SHUTDOWN_TIMEOUT_MS to finish
(a second signal stops waiting); the run is recorded interrupted, the summary printed and the
report written. A runner killed outright stops renewing its run's lease
(MIGRATION_RUN_LEASE_MS): the run then shows abandoned.

exit codes:
  0    every tenant migrated, already current, or planned
  1    the run ended, and some tenants failed or were skipped
  2    nothing ran: a bad flag or setting, an unknown tenant, or a contract migration that must wait
  3    the runner crashed (e.g. the registry went away): what it had is printed and reported, the run recorded crashed
  130  interrupted by SIGINT (143: by SIGTERM), the run recorded interrupted
`;

function positive(name: string, value: string, min: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new CliUsageError(`--${name} must be a whole number >= ${min}\n${USAGE}`);
  return number;
}

function canaryOption(value: string): FleetRunOptions['canary'] {
  const percent = /^(\d{1,3})%$/.exec(value);
  if (!percent) return positive('canary', value, 0);
  if (Number(percent[1]) > 100) throw new CliUsageError(`--canary percent must be at most 100%\n${USAGE}`);
  return `${Number(percent[1])}%`;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;

/** A duration in milliseconds: `500ms`, `5s`, `2m`, or a bare number of seconds. */
function duration(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)(ms|s|m)?$/.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS] : NaN;
  if (!(ms >= min)) throw new CliUsageError(`--${name} must be a duration such as 500ms, 5s or 2m${min > 0 ? ' (more than 0)' : ''}\n${USAGE}`);
  return ms;
}

/** The operator's flags, checked, or 'help' when asked for; a bad flag is a usage error that names it. */
export function parseCliOptions(argv: string[]): CliOptions | 'help' {
  const values = parseFlags(
    argv,
    {
      tenant: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '8' },
      canary: { type: 'string', default: '1' },
      'max-failures': { type: 'string', default: '10' },
      'lock-timeout': { type: 'string' },
      'statement-timeout': { type: 'string' },
      'allow-drift': { type: 'boolean', default: false },
      report: { type: 'string' },
      schedule: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) return 'help';
  return {
    tenant: values.tenant,
    dryRun: values['dry-run'] ?? false,
    concurrency: positive('concurrency', values.concurrency ?? '8', 1),
    canary: canaryOption(values.canary ?? '1'),
    maxFailures: positive('max-failures', values['max-failures'] ?? '10', 0),
    lockTimeoutMs: duration('lock-timeout', values['lock-timeout'], 1),
    statementTimeoutMs: duration('statement-timeout', values['statement-timeout'], 0),
    allowDrift: values['allow-drift'] ?? false,
    report: values.report,
    schedule: values.schedule,
  };
}

/** The settings with this run's timeout flags in place of the engine's migration timeouts. */
export function settingsWithFlags(settings: MigrationRunnerSettings, options: CliOptions): MigrationRunnerSettings {
  const { postgres } = settings.engines;
  const timeouts = postgres.migrationTimeouts;
  return {
    ...settings,
    engines: {
      ...settings.engines,
      postgres: {
        ...postgres,
        migrationTimeouts: {
          ...timeouts,
          lockTimeoutMs: options.lockTimeoutMs ?? timeouts.lockTimeoutMs,
          statementTimeoutMs: options.statementTimeoutMs ?? timeouts.statementTimeoutMs,
        },
      },
    },
  };
}
