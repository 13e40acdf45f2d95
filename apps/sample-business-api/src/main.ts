import 'reflect-metadata';
import { loadSettingsOrExit } from '@tenantry/common';
import type { AddressInfo } from 'node:net';
import { businessApiSettings } from './business-api-settings';
import { createBusinessApp } from './create-business-app';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit(businessApiSettings);
  const app = await createBusinessApp(settings);
  app.enableShutdownHooks();
  await app.listen(settings.http.port, '0.0.0.0');
  // The bound port, not the configured one: 0 asks for any free port (tests run several of these).
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`sample-business-api listening on http://127.0.0.1:${port}\n`);
}

void main();
