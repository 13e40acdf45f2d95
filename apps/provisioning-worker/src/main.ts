import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import { createWorker } from './create-worker';
import { MetricsServer } from './metrics/metrics-server';
import { workerSettings } from './worker-settings';

createWorker(loadSettingsOrExit(workerSettings))
  .then((app) => {
    // The bound port, not the configured one: 0 asks for any free port (tests run several workers).
    process.stdout.write(`provisioning-worker consuming tenant-operations; metrics on http://127.0.0.1:${app.get(MetricsServer).port}/metrics\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`provisioning-worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
