import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import { adminApiSettings } from './admin-api-settings';
import { createAdminApp } from './create-admin-app';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit(adminApiSettings);
  const app = await createAdminApp(settings);
  app.enableShutdownHooks();
  await app.listen(settings.http.port, '0.0.0.0');
  process.stdout.write(`admin-api listening on http://127.0.0.1:${settings.http.port} (docs at /docs)\n`);
}

void main();
