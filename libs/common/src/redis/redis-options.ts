import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// URL; BullMQ needs maxRetriesPerRequest null and no auto-pipelining on its connections. */
export function redisOptionsFromUrl(url: string, extra: RedisOptions = {}): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    ...extra,
  };
}

export function queueConnectionOptions(url: string): RedisOptions {
  return redisOptionsFromUrl(url, { maxRetriesPerRequest: null, enableAutoPipelining: false });
}
