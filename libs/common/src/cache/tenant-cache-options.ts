import { z } from 'zod';
import { defineSettings } from '../config/settings';

/** How long a resolved tenant stays in Redis; the registry's invalidator retries no longer than this. */
export interface TenantCacheOptions {
  ttlSeconds: number;
}

export const DEFAULT_TENANT_CACHE_TTL_SECONDS = 300;

export const tenantCacheSettings = defineSettings({
  variables: { TENANT_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(DEFAULT_TENANT_CACHE_TTL_SECONDS) },
  build: (e): TenantCacheOptions => ({ ttlSeconds: e.TENANT_CACHE_TTL_SECONDS }),
});

export const TENANT_CACHE_OPTIONS = Symbol('TENANT_CACHE_OPTIONS');
