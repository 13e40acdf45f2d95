import { Logger } from '@nestjs/common';
import { withTimeout } from '@tenantry/common';
import type Redis from 'ioredis';
import { tenantInvalidationChannel } from './tenant-cache-keys';

export interface InvalidationHandlers {
  /** A registry write changed how this tenant resolves: drop what this process holds of it. */
  invalidated(tenantId: string): void;
  /** The subscription was down and is back: invalidations may have been missed meanwhile. */
  resubscribed(): void;
}

/**
 * The listening side of the tenant cache: the invalidations TenantCachePublisher announces, on a
 * connection of its own (a subscribed connection can do nothing else), kept up across Redis restarts.
 */
export class TenantInvalidationSubscriber {
  private readonly logger = new Logger(TenantInvalidationSubscriber.name);
  private subscriber?: Redis;

  /** `redis` is the connection the cache is read through; its key prefix names the channel. */
  constructor(private readonly redis: Redis) {}

  async start(handlers: InvalidationHandlers): Promise<void> {
    const keyPrefix = this.redis.options.keyPrefix ?? '';
    const subscriber = this.redis.duplicate({ keyPrefix: '', enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('message', (_channel: string, tenantId: string) => handlers.invalidated(tenantId));
    subscriber.on('ready', () => {
      if (connectedBefore) handlers.resubscribed();
      connectedBefore = true;
    });
    subscriber.on('error', (error) => this.logger.warn({ err: error }, 'invalidation subscriber error'));
    // Queued until Redis answers; start-up does not wait for it longer than this.
    await withTimeout(subscriber.subscribe(tenantInvalidationChannel(keyPrefix)), 2_000, 'subscribing to invalidations').catch((error: unknown) =>
      this.logger.warn({ err: error }, 'not subscribed to tenant invalidations yet; will be once Redis answers'),
    );
  }

  stop(): void {
    this.subscriber?.disconnect();
  }
}
