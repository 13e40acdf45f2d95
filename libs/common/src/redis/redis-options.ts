import type { RedisOptions } from 'ioredis';
import { z } from 'zod';
import { defineSettings } from '../config/settings';

/** Where the deployment's Redis is, and the prefix of every key this deployment writes. */
export interface RedisConnectionOptions {
  url: string;
  keyPrefix: string;
}

export const redisVariables = {
  REDIS_URL: z
    .string()
    .url()
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
};

export const redisSettings = defineSettings({
  variables: redisVariables,
  build: (e): RedisConnectionOptions => ({ url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX }),
});

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
