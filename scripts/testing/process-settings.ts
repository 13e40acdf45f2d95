import type { Settings } from '@tenantry/common';
import { adminMigrationSettings } from '@tenantry/registry';
import { lintSettings } from '@tenantry/tenant-schema';
import { adminApiSettings } from '../../apps/admin-api/src/admin-api-settings';
import { migrationRunnerSettings } from '../../apps/migration-runner/src/migration-runner-settings';
import { workerSettings } from '../../apps/provisioning-worker/src/worker-settings';
import { businessApiSettings } from '../../apps/sample-business-api/src/business-api-settings';

/** What each entry point loads at start-up (its main.ts), by process. */
export const PROCESS_SETTINGS: Record<string, Settings<unknown>> = {
  'admin-api': adminApiSettings,
  'migrate:admin': adminMigrationSettings,
  'provisioning-worker': workerSettings,
  'migration-runner': migrationRunnerSettings,
  'lint:migrations': lintSettings,
  'sample-business-api': businessApiSettings,
};

/** Every environment variable some process reads. */
export function variablesRead(): Set<string> {
  return new Set(Object.values(PROCESS_SETTINGS).flatMap((settings) => Object.keys(settings.variables)));
}
