import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import type { AddressInfo } from 'node:net';
import { adminApiSettings } from './admin-api-settings';
import { createAdminApp } from './create-admin-app';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit(adminApiSettings);
  const app = await createAdminApp(settings);
  app.enableShutdownHooks();
  await app.listen(settings.http.port, '0.0.0.0');
  // The bound port, not the configured one: 0 asks for any free port (tests and benches run several).
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`admin-api listening on http://127.0.0.1:${port} (docs at /docs)\n`);
}

void main();
