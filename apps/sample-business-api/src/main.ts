import 'reflect-metadata';
import { loadConfigOrExit } from '@tenantry/common';
import { createBusinessApp } from './create-business-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createBusinessApp(config);
  app.enableShutdownHooks();
  await app.listen(config.http.businessPort, '0.0.0.0');
  process.stdout.write(`sample-business-api listening on http://127.0.0.1:${config.http.businessPort}\n`);
}

void main();
