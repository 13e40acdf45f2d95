import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { queueConnectionOptions, TENANT_OPERATIONS_QUEUE, type AppConfig } from '@tenantry/common';
import { OperationQueue } from './operation-queue';

@Module({})
export class OperationQueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: OperationQueueModule,
      global: true,
      imports: [
        BullModule.forRoot({ connection: queueConnectionOptions(config.redis.url), prefix: config.queue.prefix }),
        BullModule.registerQueue({
          name: TENANT_OPERATIONS_QUEUE,
          defaultJobOptions: {
            attempts: config.queue.maxAttempts,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: 1000,
            removeOnFail: 5000,
          },
        }),
      ],
      providers: [OperationQueue],
      exports: [OperationQueue, BullModule],
    };
  }
}
