import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { queueConnectionOptions, TENANT_OPERATIONS_QUEUE } from '@tenantry/common';
import { OperationQueue } from './operation-queue';
import { OPERATION_QUEUE_OPTIONS, type OperationQueueOptions } from './operation-queue-options';

@Module({})
export class OperationQueueModule {
  static forRoot(options: OperationQueueOptions): DynamicModule {
    return {
      module: OperationQueueModule,
      global: true,
      imports: [
        BullModule.forRoot({ connection: queueConnectionOptions(options.redisUrl), prefix: options.prefix }),
        BullModule.registerQueue({
          name: TENANT_OPERATIONS_QUEUE,
          defaultJobOptions: {
            attempts: options.maxAttempts,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: 1000,
            removeOnFail: 5000,
          },
        }),
      ],
      providers: [{ provide: OPERATION_QUEUE_OPTIONS, useValue: options }, OperationQueue],
      exports: [OPERATION_QUEUE_OPTIONS, OperationQueue, BullModule],
    };
  }
}
