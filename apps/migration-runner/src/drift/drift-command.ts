import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT } from '../exit-codes';
import { RunProgress } from '../run-progress';
import type { DriftScanner, TenantDriftResult } from './drift-scanner';

export interface DriftCliOptions {
  tenant?: string;
  concurrency: number;
  report?: string;
}

export class UnknownDriftTenant extends Error {}

/** One plain line per tenant scanned, for logs and pipes: its status, then what differs or why it could not be read. */
export function driftLine(result: TenantDriftResult): string {
  const detail = result.status === 'drifted' ? result.differences.map((d) => d.description).join('; ') : (result.error ?? `version ${result.schemaVersion}`);
  return `${result.status.padEnd(8)} ${result.code.padEnd(36)} ${String(result.durationMs).padStart(6)} ms  ${detail}\n`;
}

/** The end of a scan: counts by status, then each tenant that needs attention with every difference on a line of its own. */
export function driftSummary(results: TenantDriftResult[], wallMs: number): string {
  const count = (status: TenantDriftResult['status']) => results.filter((result) => result.status === status).length;
  const lines = [
    '',
    `${results.length} tenants scanned in ${(wallMs / 1000).toFixed(1)} s: ${count('in_sync')} in sync, ${count('drifted')} drifted, ${count('unknown')} unknown`,
  ];
  const attention = results.filter((result) => result.status !== 'in_sync').sort((a, b) => (a.code < b.code ? -1 : 1));
  if (attention.length > 0) {
    lines.push('', 'needs attention:');
    for (const result of attention) {
      lines.push(`  ${result.code} (${result.status}, version ${result.schemaVersion ?? 'none'}):`);
      lines.push(...(result.status === 'drifted' ? result.differences.map((d) => `    ${d.description}`) : [`    ${result.error}`]));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `npm run drift`: scans one tenant or the fleet, a line per tenant (a progress bar on a terminal),
 * the summary, a JSON report; exit 0 when every tenant is in sync, 1 when any drifted or could not be
 * read, 2 for an unknown tenant or a bad flag (exit-codes.ts).
 */
export class DriftCommand {
  private progress?: RunProgress;

  constructor(
    private readonly scanner: DriftScanner,
    private readonly options: DriftCliOptions,
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stdout,
  ) {}

  async execute(): Promise<number> {
    const started = Date.now();
    const members = await this.scanner.members(this.options.tenant);
    if (members === null) throw new UnknownDriftTenant(`tenant "${this.options.tenant}" is not an active tenant`);
    this.out.write(`drift scan of ${members.length} tenants, concurrency ${this.options.concurrency}\n`);
    if (this.out.isTTY === true) this.progress = new RunProgress(this.out, members.length, 'not in sync');
    let done = 0;
    let attention = 0;
    const results = await this.scanner.scan(members, this.options.concurrency, (result) => {
      done += 1;
      if (result.status !== 'in_sync') attention += 1;
      if (!this.progress) this.out.write(driftLine(result));
      else {
        if (result.status !== 'in_sync') this.progress.log(driftLine(result));
        this.progress.update(done, attention);
      }
    });
    this.progress?.stop();
    const wallMs = Date.now() - started;
    this.out.write(driftSummary(results, wallMs));
    const reportFile = resolve(this.options.report ?? `.dev/drift-reports/${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, `${JSON.stringify({ startedAt: new Date(started).toISOString(), wallMs, options: this.options, results }, null, 2)}\n`);
    this.out.write(`report: ${reportFile} (latest per tenant also at GET /tenants/<code>/drift and GET /drift)\n`);
    return attention === 0 ? EXIT.ok : EXIT.tenantsFailed;
  }
}
