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

export function tenantCacheOptions(ttlSeconds: number = DEFAULT_TENANT_CACHE_TTL_SECONDS): TenantCacheOptions {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new Error(`tenant cache: the entries' lifetime must be a whole number of seconds, at least 1 (got ${ttlSeconds})`);
  }
  return { ttlSeconds };
}
