import 'reflect-metadata';
import { loadDatabaseUrlOrExit } from '@tenantry/common';
import { lintMigrations, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';

// npm run lint:migrations — the expand/contract check, on the SQL each migration really executes.
async function main(): Promise<number> {
  const { findings, executed } = await lintMigrations(loadDatabaseUrlOrExit(), TENANT_MIGRATIONS);
  for (const finding of findings) {
    process.stdout.write(`${finding.file}: expand migration ${finding.migration} ${finding.reason}:\n    ${finding.statement}\n`);
  }
  const statements = Object.values(executed).reduce((sum, list) => sum + list.length, 0);
  process.stdout.write(
    findings.length === 0
      ? `lint:migrations: ${TENANT_MIGRATIONS.length} migrations, ${statements} statements checked, none destructive in an expand migration\n`
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
