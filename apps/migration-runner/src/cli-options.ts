import { parseArgs } from 'node:util';
import type { FleetRunOptions } from './fleet-migrator';

export interface CliOptions extends FleetRunOptions {
  report?: string;
  /** Cron pattern: stay up and run the fleet on this schedule (a BullMQ job scheduler, one run per tick across replicas). */
  schedule?: string;
}

export class CliUsageError extends Error {}

const USAGE =
  'usage: migrate:tenants [--tenant <code>] [--dry-run] [--concurrency N] [--canary N|P%] [--max-failures N] [--report <file.json>] [--schedule "<cron>"]';

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

/** The operator's flags, checked; a bad one is a usage error that names it. */
export function parseCliOptions(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '8' },
        canary: { type: 'string', default: '1' },
        'max-failures': { type: 'string', default: '10' },
        report: { type: 'string' },
        schedule: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  return {
    tenant: values.tenant,
    dryRun: values['dry-run'] ?? false,
    concurrency: positive('concurrency', values.concurrency ?? '8', 1),
    canary: canaryOption(values.canary ?? '1'),
    maxFailures: positive('max-failures', values['max-failures'] ?? '10', 0),
    report: values.report,
    schedule: values.schedule,
  };
}
