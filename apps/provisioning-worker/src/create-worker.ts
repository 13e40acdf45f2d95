import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { assertNoEviction } from './startup/redis-eviction-policy';
import type { WorkerSettings } from './worker-settings';
import { WorkerModule } from './worker.module';

/** Starts the worker exactly as production runs it; tests boot the same function. */
export async function createWorker(settings: WorkerSettings): Promise<INestApplicationContext> {
  await assertNoEviction(settings.redis.url);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(settings), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  return app;
}
