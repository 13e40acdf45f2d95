import 'reflect-metadata';
import { loadConfigOrExit } from '@tenantry/common';
import type { AddressInfo } from 'node:net';
import { createAdminApp } from './create-admin-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit({ verifiesTokens: true });
  const app = await createAdminApp(config);
  app.enableShutdownHooks();
  await app.listen(config.http.adminPort, '0.0.0.0');
  // The bound port, not the configured one: 0 asks for any free port (tests and benches run several).
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`admin-api listening on http://127.0.0.1:${port} (docs at /docs)\n`);
}

void main();
