import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import { lintMigrations, lintSettings, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';

// npm run lint:migrations — the expand/contract check, on the SQL each migration really sends, in each dialect.
async function main(): Promise<number> {
  const { findings, runs } = await lintMigrations(loadSettingsOrExit(lintSettings), TENANT_MIGRATIONS);
  for (const run of runs) {
    const statements = Object.values(run.executed).reduce((sum, list) => sum + list.length, 0);
    process.stdout.write(`lint:migrations: ${run.dialect}: ${run.mode} on ${run.where}: ${TENANT_MIGRATIONS.length} migrations, ${statements} statements checked\n`);
  }
  for (const finding of findings) {
    process.stdout.write(`${finding.file}: [${finding.dialect}] expand migration ${finding.migration} ${finding.reason}:\n    ${finding.statement}\n`);
  }
  process.stdout.write(
    findings.length === 0
      ? `lint:migrations: none destructive in an expand migration (${runs.map((run) => run.dialect).join(', ')})\n`
      : `lint:migrations: ${findings.length} destructive statement(s) in expand migrations; make them contract migrations (with dependsOn) or make them additive\n`,
  );
  return findings.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lint:migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
