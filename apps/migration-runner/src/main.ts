import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@tenantry/common';
import { FleetMigrator, type TenantMigrationResult } from './fleet-migrator';
import { MigrationRunnerModule } from './migration-runner.module';

function line(result: TenantMigrationResult): string {
  const detail = result.outcome === 'failed' ? `error: ${result.error}` : `version ${result.version}`;
  return `${result.outcome.padEnd(8)} ${result.code.padEnd(36)} ${String(result.durationMs).padStart(6)} ms  ${detail}\n`;
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(MigrationRunnerModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    const results = await app.get(FleetMigrator).migrateAll((result) => process.stdout.write(line(result)));
    const failed = results.filter((result) => result.outcome === 'failed').length;
    const migrated = results.filter((result) => result.outcome === 'migrated').length;
    process.stdout.write(
      `${results.length} tenants: ${migrated} migrated, ${results.length - migrated - failed} already current, ${failed} failed\n`,
    );
    return failed > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migration run failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
