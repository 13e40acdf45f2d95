import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import { createWorker } from './create-worker';
import { workerSettings } from './worker-settings';

createWorker(loadSettingsOrExit(workerSettings))
  .then(() => process.stdout.write('provisioning-worker consuming tenant-operations\n'))
  .catch((error: unknown) => {
    process.stderr.write(`provisioning-worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
