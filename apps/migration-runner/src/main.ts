import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@tenantry/common';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { CliUsageError, parseCliOptions } from './cli-options';
import { ContractBlocked, FleetMigrator, UnknownTenant, type FleetRunOptions, type TenantMigrationResult } from './fleet-migrator';
import { MigrationRunnerModule } from './migration-runner.module';
import { progressBar, resultLine, summaryTable } from './run-report';
import { ScheduledRuns } from './scheduled-runs';

async function main(): Promise<number> {
  const options = parseCliOptions(process.argv.slice(2));
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(MigrationRunnerModule.forRoot(config), { logger: ['error', 'warn', 'log'] });
  if (options.schedule) return runOnSchedule(app.get(ScheduledRuns), options.schedule, options, () => app.close());
  const started = Date.now();
  const terminal = process.stdout.isTTY === true;
  const seen: TenantMigrationResult[] = [];
  let total = 0;
  try {
    process.stdout.write(
      `target version ${CURRENT_TENANT_SCHEMA_VERSION}${options.dryRun ? ' (dry run: nothing changes)' : ''}, ` +
        `concurrency ${options.concurrency}, canary ${options.canary}, halt after ${options.maxFailures} failures\n`,
    );
    const { runId, results } = await app.get(FleetMigrator).run(
      options,
      `cli:${userInfo().username}`,
      (result) => {
        seen.push(result);
        if (!terminal) {
          process.stdout.write(resultLine(result));
          return;
        }
        if (result.outcome === 'failed') process.stdout.write(`\r${resultLine(result)}`);
        process.stdout.write(progressBar(seen.length, total, seen.filter((r) => r.outcome === 'failed').length));
      },
      (tenants) => (total = tenants),
    );
    if (terminal) process.stdout.write('\n');
    const wallMs = Date.now() - started;
    process.stdout.write(summaryTable(results, wallMs));
    const reportFile = resolve(options.report ?? `.dev/migration-reports/${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(
      reportFile,
      `${JSON.stringify({ targetVersion: CURRENT_TENANT_SCHEMA_VERSION, options, startedAt: new Date(started).toISOString(), wallMs, results }, null, 2)}\n`,
    );
    process.stdout.write(`report: ${reportFile} (run ${runId}, also at GET /migrations/runs/${runId})\n`);
    return results.some((result) => result.outcome === 'failed' || result.outcome === 'skipped') ? 1 : 0;
  } finally {
    await app.close();
  }
}

/** Stays up, running the fleet on the cron pattern, until SIGTERM or SIGINT. */
async function runOnSchedule(scheduled: ScheduledRuns, pattern: string, options: FleetRunOptions, close: () => Promise<void>): Promise<number> {
  await scheduled.start(pattern, options);
  process.stdout.write(`scheduled: fleet run on "${pattern}"; runs at GET /migrations/runs\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await scheduled.stop();
  await close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected = error instanceof CliUsageError || error instanceof UnknownTenant || error instanceof ContractBlocked;
    process.stderr.write(`${expected ? '' : 'migration run failed: '}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
