import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@tenantry/common';
import { Logger } from 'nestjs-pino';
import { assertNoEviction } from './startup/redis-eviction-policy';
import { WorkerModule } from './worker.module';

/** Starts the worker exactly as production runs it; tests boot the same function. */
export async function createWorker(config: AppConfig): Promise<INestApplicationContext> {
  await assertNoEviction(config.redis.url);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  return app;
}
