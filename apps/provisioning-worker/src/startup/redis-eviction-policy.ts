import { redisOptionsFromUrl } from '@tenantry/common';
import Redis from 'ioredis';

/**
 * BullMQ loses jobs silently when Redis may evict keys. INFO works where CONFIG is disabled
 * (managed Redis services), so the policy is read from there.
 */
export async function assertNoEviction(redisUrl: string): Promise<void> {
  const redis = new Redis(redisOptionsFromUrl(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true }));
  try {
    await redis.connect();
    const info = await redis.info('memory');
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== 'noeviction') {
      throw new Error(
        `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or queued jobs can be evicted. ` +
          'Set it with: redis-cli CONFIG SET maxmemory-policy noeviction (or in redis.conf / the cache service settings).',
      );
    }
  } finally {
    redis.disconnect();
  }
}
