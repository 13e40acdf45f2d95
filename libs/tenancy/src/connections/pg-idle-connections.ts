import type { Pool } from 'pg';

interface PoolInternals {
  _idle?: Array<{ client: unknown }>;
  _remove?: (client: unknown) => void;
}

/**
 * Closes the pool's longest-idle connection; false when it has none. pg-pool offers no public way to
 * close one idle client (only its idle timer or ending the whole pool), so this uses the same
 * internal removal its idle timer uses. pg is pinned by the lock file, and
 * tenant-connection-manager.int-spec.ts fails if an upgrade changes these internals.
 */
export function closeLongestIdleConnection(pool: Pool): boolean {
  const internals = pool as unknown as PoolInternals;
  const longestIdle = internals._idle?.[0];
  if (!longestIdle || typeof internals._remove !== 'function') return false;
  internals._remove.call(pool, longestIdle.client);
  return true;
}
