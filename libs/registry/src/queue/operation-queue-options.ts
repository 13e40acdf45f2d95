import { defineSettings, redisVariables } from '@tenantry/common';
import { z } from 'zod';

export interface OperationQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix. */
  prefix: string;
  /** Attempts (exponential backoff) before an operation's job fails. */
  maxAttempts: number;
}

export const OPERATION_QUEUE_OPTIONS = Symbol('OPERATION_QUEUE_OPTIONS');

/** Also the prefix of the migration runner's scheduling queue. */
export const QUEUE_PREFIX = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .default('tenantry');

export const operationQueueSettings = defineSettings({
  variables: {
    REDIS_URL: redisVariables.REDIS_URL,
    QUEUE_PREFIX,
    OPERATION_MAX_ATTEMPTS: z.coerce.number().int().positive().max(50).default(5),
  },
  build: (e): OperationQueueOptions => ({ redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX, maxAttempts: e.OPERATION_MAX_ATTEMPTS }),
});
