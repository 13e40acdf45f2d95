import { CliUsageError, parseFlags } from '../cli-options';
import type { DriftCliOptions } from './drift-command';

const USAGE = 'usage: drift [--tenant <code>] [--concurrency N] [--report <file.json>] [--help]';

export const DRIFT_HELP = `${USAGE}

Compares each active tenant database's real schema (tables, columns, types, nullability, defaults,
indexes, constraints, sequences) with the schema of the version the registry records for it, and
records each tenant's result (GET /tenants/<code>/drift, GET /drift, the admin API's metrics).

  --tenant <code>          one tenant only
  --concurrency N          tenant databases read at once (default 8)
  --report <file.json>     the JSON report (default .dev/drift-reports/<time>.json)
  --help                   this text

exit codes:
  0    every tenant in sync
  1    some tenants drifted, or could not be read (unknown)
  2    nothing ran: a bad flag or setting, or an unknown tenant
  3    the scan crashed (e.g. the registry went away)
`;

/** The operator's flags, checked as the migration runner's are, or 'help'. */
export function parseDriftOptions(argv: string[]): DriftCliOptions | 'help' {
  const values = parseFlags(
    argv,
    {
      tenant: { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) return 'help';
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliUsageError(`--concurrency must be a whole number >= 1\n${USAGE}`);
  return { tenant: values.tenant, concurrency, report: values.report };
}
