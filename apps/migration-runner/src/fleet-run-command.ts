import type { MigrationRunRow, MigrationRunStatus } from '@tenantry/registry';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CliOptions } from './cli-options';
import { EXIT, interruptedExitCode } from './exit-codes';
import { ContractBlocked, UnknownTenant, type FleetMigrator, type TenantMigrationResult } from './fleet-migrator';
import { messageOf } from './message-of';
import { RunProgress } from './run-progress';
import { resultLine, summaryTable } from './run-report';
import { RunStop } from './run-stop';

type StopSignal = 'SIGINT' | 'SIGTERM';

// After a crash elsewhere in the process, how long recording the run may take before the runner exits anyway.
const CRASH_EXIT_MS = 5_000;

/**
 * One fleet run from the command line: a line per tenant (a progress bar on a terminal), the
 * summary, the JSON report and an exit code that says how it ended (see exit-codes.ts). A signal
 * stops it gracefully and an unexpected failure ends it as crashed; either way what it did is
 * printed, reported and recorded.
 */
export class FleetRunCommand {
  private readonly seen: TenantMigrationResult[] = [];
  private readonly stop = new RunStop();
  private readonly started = Date.now();
  private readonly terminal: boolean;
  private progress?: RunProgress;
  private runId?: string;
  private signal?: StopSignal;
  private ended?: Promise<number>;
  private crashExit?: NodeJS.Timeout;

  constructor(
    private readonly migrator: FleetMigrator,
    private readonly options: CliOptions,
    private readonly triggeredBy: string,
    private readonly drainMs: number,
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stdout,
  ) {
    this.terminal = out.isTTY === true;
  }

  async execute(): Promise<number> {
    const onSignal = (signal: StopSignal) => this.interrupt(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      this.write(
        `target version ${CURRENT_TENANT_SCHEMA_VERSION}${this.options.dryRun ? ' (dry run: nothing changes)' : ''}, ` +
          `concurrency ${this.options.concurrency}, canary ${this.options.canary}, halt after ${this.options.maxFailures} failures\n`,
      );
      const run = await this.migrator
        .run(this.options, this.triggeredBy, {
          onResult: (result) => this.show(result),
          onTotal: (tenants) => {
            if (this.terminal) this.progress = new RunProgress(this.out, tenants);
          },
          onStart: (runId, abandoned) => this.recorded(runId, abandoned),
          stop: this.stop,
        })
        .catch((error: unknown) => {
          if (error instanceof UnknownTenant || error instanceof ContractBlocked) throw error;
          return { runId: this.runId, status: 'crashed' as const, results: this.seen, error: `the runner failed: ${messageOf(error)}` };
        });
      return this.end(run.status, run.results, run.runId, run.error);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private interrupt(signal: StopSignal): void {
    const again = this.signal !== undefined;
    this.signal ??= signal;
    this.stop.request({ status: 'interrupted', reason: `interrupted by ${signal}` }, again ? 0 : this.drainMs);
    this.say(
      again
        ? `\n${signal}: no longer waiting for the tenants in flight\n`
        : `\n${signal}: starting no more tenants; waiting up to ${this.drainMs / 1000} s for those in flight (${signal} again: stop waiting)\n`,
    );
  }

  /** A failure outside the run's own flow (an unhandled error event, say): end the run as crashed, and exit even if that hangs. */
  crash(error: unknown): void {
    this.stop.request({ status: 'crashed', reason: `the runner crashed: ${messageOf(error)}` }, 0);
    this.crashExit ??= setTimeout(() => {
      void this.end('crashed', this.seen, this.runId, `the runner crashed: ${messageOf(error)}`).then((code) => process.exit(code));
    }, CRASH_EXIT_MS);
  }

  private recorded(runId: string, abandoned: MigrationRunRow[]): void {
    this.runId = runId;
    for (const run of abandoned) {
      this.write(
        `run ${run.id} (${run.triggeredBy}, started ${run.startedAt.toISOString()}) was abandoned: its runner stopped ` +
          `renewing its lease at ${run.heartbeatAt.toISOString()}; recorded as abandoned\n`,
      );
    }
  }

  private show(result: TenantMigrationResult): void {
    this.seen.push(result);
    if (!this.progress) {
      this.write(resultLine(result));
      return;
    }
    if (result.error !== undefined) this.progress.log(resultLine(result));
    this.progress.update(this.seen.length, this.seen.filter((r) => r.outcome === 'failed').length);
  }

  /** Prints the summary and writes the report, once; returns the exit code. */
  private end(status: MigrationRunStatus, results: TenantMigrationResult[], runId: string | undefined, error: string | undefined): Promise<number> {
    this.ended ??= Promise.resolve().then(() => {
      clearTimeout(this.crashExit);
      this.progress?.stop();
      this.progress = undefined;
      const wallMs = Date.now() - this.started;
      this.write(summaryTable(results, wallMs));
      const reportFile = resolve(this.options.report ?? `.dev/migration-reports/${new Date(this.started).toISOString().replace(/[:.]/g, '-')}.json`);
      mkdirSync(dirname(reportFile), { recursive: true });
      const report = {
        runId,
        status,
        error,
        targetVersion: CURRENT_TENANT_SCHEMA_VERSION,
        options: this.options,
        startedAt: new Date(this.started).toISOString(),
        wallMs,
        results,
      };
      writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      this.write(`run ${runId ?? '(not recorded)'}: ${status}${error ? ` (${error})` : ''}\n`);
      this.write(`report: ${reportFile}${runId ? ` (also at GET /migrations/runs/${runId})` : ''}\n`);
      return this.exitCode(status, results);
    });
    return this.ended;
  }

  private exitCode(status: MigrationRunStatus, results: TenantMigrationResult[]): number {
    if (status === 'crashed') return EXIT.crashed;
    if (status === 'interrupted') return interruptedExitCode(this.signal ?? 'SIGTERM');
    return results.some((result) => result.outcome !== 'migrated' && result.outcome !== 'current' && result.outcome !== 'planned') ? EXIT.tenantsFailed : EXIT.ok;
  }

  private write(text: string): void {
    this.out.write(text);
  }

  /** A message during the run: above the progress bar while there is one. */
  private say(text: string): void {
    if (this.progress) this.progress.log(text);
    else this.write(text);
  }
}
