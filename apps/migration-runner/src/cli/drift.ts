import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadSettingsOrExit, withTimeout } from '@tenantry/common';
import { CliUsageError } from '../cli-options';
import { DRIFT_HELP, parseDriftOptions } from '../drift/drift-cli-options';
import { DriftCommand, UnknownDriftTenant } from '../drift/drift-command';
import { DriftScanner } from '../drift/drift-scanner';
import { EXIT } from '../exit-codes';
import { migrationRunnerSettings } from '../migration-runner-settings';
import { MigrationRunnerModule } from '../migration-runner.module';

// npm run drift: the runner's settings and modules, its exit codes; the scan instead of a run.
async function main(): Promise<number> {
  const options = parseDriftOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(DRIFT_HELP);
    return EXIT.ok;
  }
  const settings = loadSettingsOrExit(migrationRunnerSettings, EXIT.usage);
  const app = await NestFactory.createApplicationContext(MigrationRunnerModule.forRoot(settings), { logger: new ConsoleLogger({ logLevels: ['fatal', 'error'] }) });
  try {
    return await new DriftCommand(app.get(DriftScanner), options).execute();
  } finally {
    await withTimeout(app.close(), 2_000, 'closing').catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const refused = error instanceof CliUsageError || error instanceof UnknownDriftTenant;
    process.stderr.write(`${refused ? '' : 'drift scan crashed: '}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(refused ? EXIT.usage : EXIT.crashed);
  },
);
