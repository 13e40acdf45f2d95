import type { TenantMigrationResult, TenantOutcome } from './fleet-migrator';

const OUTCOMES: TenantOutcome[] = ['migrated', 'current', 'planned', 'failed', 'skipped', 'interrupted'];

/** One plain line per tenant, for logs and pipes. */
export function resultLine(result: TenantMigrationResult): string {
  const detail =
    result.error !== undefined
      ? `error: ${result.error}`
      : result.outcome === 'planned'
        ? `would apply: ${result.pending?.join(', ') || 'nothing'}`
        : `version ${result.version}`;
  return `${result.outcome.padEnd(11)} ${result.code.padEnd(36)} ${String(result.durationMs).padStart(6)} ms  ${detail}\n`;
}

export function countByOutcome(results: TenantMigrationResult[]): Record<TenantOutcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<TenantOutcome, number>;
  for (const result of results) counts[result.outcome] += 1;
  return counts;
}

/** The table printed at the end: counts by outcome, then every tenant that did not make it (failed, skipped, interrupted) with its reason. */
export function summaryTable(results: TenantMigrationResult[], wallMs: number): string {
  const counts = countByOutcome(results);
  const lines = [
    '',
    `${results.length} tenants in ${(wallMs / 1000).toFixed(1)} s: ${counts.migrated} migrated, ${counts.current} already current, ` +
      `${counts.failed} failed, ${counts.skipped} skipped${counts.interrupted ? `, ${counts.interrupted} interrupted` : ''}` +
      `${counts.planned ? `, ${counts.planned} planned (dry run)` : ''}`,
    '',
    'outcome      tenants',
    ...OUTCOMES.map((outcome) => `${outcome.padEnd(12)} ${String(counts[outcome]).padStart(7)}`),
  ];
  const problems = results.filter((result) => result.error !== undefined);
  if (problems.length > 0) lines.push('', 'needs attention:', ...problems.map((result) => `  ${result.code}: ${result.outcome}: ${result.error}`));
  return `${lines.join('\n')}\n`;
}
