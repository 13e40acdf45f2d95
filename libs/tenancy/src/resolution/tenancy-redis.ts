import { redisOptionsFromUrl } from '@tenantry/common';
import { TenantCacheStore } from '@tenantry/tenant-cache';
import Redis from 'ioredis';
import type { ResolvedTenancyOptions } from '../tenancy-options';

export const TENANCY_REDIS = Symbol('TENANCY_REDIS');

/**
 * Tenancy's own Redis connection. No offline queue: while Redis is unreachable a command fails at
 * once instead of waiting for a reconnect, so resolution falls through to the registry at once.
 */
export function createTenancyRedis(options: ResolvedTenancyOptions): Redis {
  return new Redis(
    redisOptionsFromUrl(options.redis.url, {
      keyPrefix: options.redis.keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: options.redis.timeoutMs * 4,
    }),
  );
}

/** The tenant cache as resolution reads it: bounded by the Redis timeout, skipped while Redis keeps failing. */
export function createTenantCacheStore(redis: Redis, options: ResolvedTenancyOptions): TenantCacheStore {
  const { redisTtlSeconds, breakerFailures, breakerOpenMs } = options.cache;
  return new TenantCacheStore(redis, { ttlSeconds: redisTtlSeconds, timeoutMs: options.redis.timeoutMs, breakerFailures, breakerOpenMs });
}
