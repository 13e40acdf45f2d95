import 'reflect-metadata';
import { loadConfigOrExit } from '@tenantry/common';
import type { AddressInfo } from 'node:net';
import { createBusinessApp } from './create-business-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit({ verifiesTokens: true });
  const app = await createBusinessApp(config);
  app.enableShutdownHooks();
  await app.listen(config.http.businessPort, '0.0.0.0');
  // The bound port, not the configured one: 0 asks for any free port (tests run several of these).
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`sample-business-api listening on http://127.0.0.1:${port}\n`);
}

void main();
