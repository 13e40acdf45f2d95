import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { REDIS_CLIENT, TENANT_CACHE_OPTIONS, tenantCacheKeys, tenantInvalidationChannel, type TenantCacheOptions } from '@tenantry/common';
import type Redis from 'ioredis';

// Longer than any registry read can take, so a resolver's stale write is always caught by it.
const GENERATION_TTL_SECONDS = 86_400;
const FIRST_RETRY_MS = 1_000;

/**
 * Every registry write that changes how a tenant resolves goes through here: the generation is
 * bumped and the cached entry deleted in one transaction, then every process is told to drop its
 * in-process copy. A Redis failure does not fail the write, which already committed: it is retried
 * in the background until the cached entry would have expired anyway.
 */
@Injectable()
export class TenantCacheInvalidator implements OnApplicationShutdown {
  private readonly logger = new Logger(TenantCacheInvalidator.name);
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(TENANT_CACHE_OPTIONS) private readonly cache: TenantCacheOptions,
  ) {}

  async invalidate(tenantId: string): Promise<void> {
    clearTimeout(this.retries.get(tenantId));
    this.retries.delete(tenantId);
    if (!(await this.tryInvalidate(tenantId))) this.retryLater(tenantId, FIRST_RETRY_MS, Date.now());
  }

  onApplicationShutdown(): void {
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  private async tryInvalidate(tenantId: string): Promise<boolean> {
    try {
      const generation = tenantCacheKeys.generation(tenantId);
      await this.redis
        .multi()
        .incr(generation)
        .expire(generation, GENERATION_TTL_SECONDS)
        .del(tenantCacheKeys.connection(tenantId))
        .exec();
      await this.redis.publish(tenantInvalidationChannel(this.redis.options.keyPrefix ?? ''), tenantId);
      return true;
    } catch (error) {
      this.logger.warn({ tenant_id: tenantId, err: error }, 'tenant cache invalidation failed; retrying in the background');
      return false;
    }
  }

  private retryLater(tenantId: string, delayMs: number, since: number): void {
    if (Date.now() - since > this.cache.ttlSeconds * 1000) {
      this.logger.error({ tenant_id: tenantId }, 'gave up invalidating the tenant cache; its entry has expired by now');
      return;
    }
    const timer = setTimeout(() => {
      this.retries.delete(tenantId);
      void this.tryInvalidate(tenantId).then((done) => {
        if (!done) this.retryLater(tenantId, Math.min(delayMs * 2, 30_000), since);
      });
    }, delayMs);
    timer.unref();
    this.retries.set(tenantId, timer);
  }
}
