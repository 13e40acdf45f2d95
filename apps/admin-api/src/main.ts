import 'reflect-metadata';
import { loadConfigOrExit } from '@tenantry/common';
import { createAdminApp } from './create-admin-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit({ verifiesTokens: true });
  const app = await createAdminApp(config);
  app.enableShutdownHooks();
  await app.listen(config.http.adminPort, '0.0.0.0');
  process.stdout.write(`admin-api listening on http://127.0.0.1:${config.http.adminPort} (docs at /docs)\n`);
}

void main();
