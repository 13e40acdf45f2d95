import 'reflect-metadata';
import { loadConfigOrExit } from '@tenantry/common';
import { migrateRegistry } from '@tenantry/registry';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const applied = await migrateRegistry(config);
  process.stdout.write(
    applied.length > 0
      ? `admin database ${config.adminDb.name}: applied ${applied.join(', ')}\n`
      : `admin database ${config.adminDb.name}: up to date\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`admin migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
