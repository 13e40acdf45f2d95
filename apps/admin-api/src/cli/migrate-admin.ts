import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import { adminMigrationSettings, migrateRegistry } from '@tenantry/registry';

async function main(): Promise<void> {
  const { adminDb, waitMs } = loadSettingsOrExit(adminMigrationSettings);
  const applied = await migrateRegistry(adminDb, waitMs);
  process.stdout.write(applied.length > 0 ? `admin database ${adminDb.name}: applied ${applied.join(', ')}\n` : `admin database ${adminDb.name}: up to date\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`admin migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
