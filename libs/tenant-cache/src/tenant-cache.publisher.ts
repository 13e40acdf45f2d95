import { Logger } from '@nestjs/common';
import { ExponentialBackoff, handleAll, noJitterGenerator, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import type Redis from 'ioredis';
import { tenantCacheKeys, tenantInvalidationChannel } from './tenant-cache-keys';
import type { TenantCacheOptions } from './tenant-cache-options';

// Longer than any registry read can take, so a resolver's stale write is always caught by it.
const GENERATION_TTL_SECONDS = 86_400;

/**
 * The writing side of the tenant cache: a tenant's generation is bumped and its entries deleted in
 * one transaction, then every process is told to drop its in-process copy. A Redis failure does not
 * fail the registry write that asked for it, which already committed: it is retried in the
 * background (1 s, doubling up to 30 s) until the entries would have expired anyway.
 */
export class TenantCachePublisher {
  private readonly logger = new Logger(TenantCachePublisher.name);
  private readonly retries = new Map<string, AbortController>();
  private readonly untilExpired = wrap(
    timeout(this.options.ttlSeconds * 1000, TimeoutStrategy.Cooperative).dangerouslyUnref(),
    retry(handleAll, { backoff: new ExponentialBackoff({ initialDelay: 1_000, maxDelay: 30_000, generator: noJitterGenerator }) }).dangerouslyUnref(),
  );

  constructor(
    private readonly redis: Redis,
    private readonly options: TenantCacheOptions,
  ) {}

  /** Resolves once the first attempt is over, done or not: the retries, if any, go on without the caller. */
  async invalidate(tenantId: string): Promise<void> {
    this.retries.get(tenantId)?.abort();
    const superseded = new AbortController();
    this.retries.set(tenantId, superseded);
    let attempted!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));
    void this.untilExpired
      .execute(async ({ signal }) => {
        const done = !signal.aborted && (await this.tryInvalidate(tenantId));
        attempted();
        if (!done) throw new Error('tenant cache invalidation not done');
      }, superseded.signal)
      .catch(() => {
        // Quiet when a newer invalidation of the tenant or stop() took over; loud when the lifetime ran out.
        if (!superseded.signal.aborted) this.logger.error({ tenant_id: tenantId }, 'gave up invalidating the tenant cache; its entry has expired by now');
      })
      .finally(() => {
        if (this.retries.get(tenantId) === superseded) this.retries.delete(tenantId);
      });
    await firstAttempt;
  }

  /** Drops the background retries (the process is shutting down). */
  stop(): void {
    for (const retrying of this.retries.values()) retrying.abort();
    this.retries.clear();
  }

  private async tryInvalidate(tenantId: string): Promise<boolean> {
    try {
      const generation = tenantCacheKeys.generation(tenantId);
      await this.redis
        .multi()
        .incr(generation)
        .expire(generation, GENERATION_TTL_SECONDS)
        .del(...tenantCacheKeys.entries(tenantId))
        .exec();
      await this.redis.publish(tenantInvalidationChannel(this.redis.options.keyPrefix ?? ''), tenantId);
      return true;
    } catch (error) {
      this.logger.warn({ tenant_id: tenantId, err: error }, 'tenant cache invalidation failed; retrying in the background');
      return false;
    }
  }
}
