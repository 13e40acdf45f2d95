import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadSettingsOrExit, withTimeout } from '@tenantry/common';
import { userInfo } from 'node:os';
import { CliUsageError, HELP, parseCliOptions, settingsWithFlags, type CliOptions } from './cli-options';
import { ScheduledDriftScans } from './drift/scheduled-drift-scans';
import { EXIT } from './exit-codes';
import { ContractBlocked, FleetMigrator, UnknownTenant } from './fleet-migrator';
import { FleetRunCommand } from './fleet-run-command';
import { migrationRunnerSettings } from './migration-runner-settings';
import { MigrationRunnerModule } from './migration-runner.module';
import { ScheduledRuns } from './scheduled-runs';

// Closing waits for connections still lent out (a tenant abandoned in flight); the exit ends them anyway.
const CLOSE_TIMEOUT_MS = 2_000;

let command: FleetRunCommand | undefined;

/** Whatever fails outside a run's own flow ends the process as crashed (Node's own exit code, 1, means failed tenants here). */
function crashed(error: unknown): void {
  process.stderr.write(`migration runner crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = EXIT.crashed;
  if (command) command.crash(error);
  else process.exit(EXIT.crashed);
}

async function main(): Promise<number> {
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  const options = parseCliOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const settings = settingsWithFlags(loadSettingsOrExit(migrationRunnerSettings, EXIT.usage), options);
  // A one-shot run prints its report on stdout and nothing else; the scheduled service logs as a service does.
  const logger = new ConsoleLogger({ logLevels: options.schedule ? ['fatal', 'error', 'warn', 'log'] : ['fatal', 'error', 'warn'] });
  const app = await NestFactory.createApplicationContext(MigrationRunnerModule.forRoot(settings), { logger });
  try {
    if (options.schedule) return await runOnSchedule(app.get(ScheduledRuns), app.get(ScheduledDriftScans), options.schedule, options);
    command = new FleetRunCommand(app.get(FleetMigrator), options, `cli:${userInfo().username}`, settings.runner.shutdownTimeoutMs);
    return await command.execute();
  } finally {
    await withTimeout(app.close(), CLOSE_TIMEOUT_MS, 'closing').catch(() => undefined);
  }
}

/** Stays up, running the fleet on the cron pattern (and drift scans on their interval), until SIGTERM or SIGINT; a run in progress is interrupted. */
async function runOnSchedule(scheduled: ScheduledRuns, driftScans: ScheduledDriftScans, pattern: string, options: CliOptions): Promise<number> {
  await scheduled.start(pattern, options);
  process.stdout.write(`scheduled: fleet run on "${pattern}"; runs at GET /migrations/runs\n`);
  const scanning = await driftScans.start();
  process.stdout.write(
    scanning ? `scheduled: drift scan every DRIFT_SCAN_INTERVAL_MS; results at GET /drift\n` : 'scheduled: drift scans off (DRIFT_SCAN_INTERVAL_MS=0)\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.all([scheduled.stop(), driftScans.stop()]);
  return EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const refused = error instanceof CliUsageError || error instanceof UnknownTenant || error instanceof ContractBlocked;
    process.stderr.write(`${refused ? '' : 'migration runner crashed: '}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(refused ? EXIT.usage : EXIT.crashed);
  },
);
