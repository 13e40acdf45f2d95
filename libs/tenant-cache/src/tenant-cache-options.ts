import { defineSettings } from '@tenantry/common';
import { z } from 'zod';

/**
 * The one lifetime of the tenant cache: writers give their entries this TTL, and the invalidator
 * retries a failed invalidation for as long, since past it the entry has expired anyway. A process
 * that writes and one that invalidates must agree on it, so both take it from here.
 */
export interface TenantCacheOptions {
  /** How long a tenant's cached entries live in Redis, in seconds. */
  ttlSeconds: number;
}

export const DEFAULT_TENANT_CACHE_TTL_SECONDS = 300;

// SET EX takes whole seconds, at least 1. The environment's value and one given in code pass this one check.
const ttlSeconds = z.coerce.number().int().positive().default(DEFAULT_TENANT_CACHE_TTL_SECONDS);

export const tenantCacheSettings = defineSettings({
  variables: { TENANT_CACHE_TTL_SECONDS: ttlSeconds },
  build: (e): TenantCacheOptions => ({ ttlSeconds: e.TENANT_CACHE_TTL_SECONDS }),
});

export const TENANT_CACHE_OPTIONS = Symbol('TENANT_CACHE_OPTIONS');

/** The options from a lifetime given in code (a business service configured apart from the environment); unset is the default. */
export function tenantCacheOptions(lifetime?: number): TenantCacheOptions {
  const checked = ttlSeconds.safeParse(lifetime);
  if (!checked.success) throw new Error(`tenant cache: the entries' lifetime must be a whole number of seconds, at least 1 (got ${lifetime})`);
  return { ttlSeconds: checked.data };
}
