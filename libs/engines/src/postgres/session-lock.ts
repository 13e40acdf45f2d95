import { withPoolClient } from '@tenantry/common';
import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one pinned connection holding the session advisory lock `tenantry:<key>`, so the
 * lock's holder never waits for the pool. With `wait: false`, undefined at once when another holds it.
 */
export async function withSessionLock<T>(pool: Pool, key: string, work: (db: PoolClient) => Promise<T>, options?: { wait: true }): Promise<T>;
export async function withSessionLock<T>(pool: Pool, key: string, work: (db: PoolClient) => Promise<T>, options: { wait: false }): Promise<T | undefined>;
export async function withSessionLock<T>(pool: Pool, key: string, work: (db: PoolClient) => Promise<T>, options = { wait: true }): Promise<T | undefined> {
  const lockKey = `tenantry:${key}`;
  return withPoolClient(pool, `session holding ${lockKey}`, async (client) => {
    if (options.wait) {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    } else {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [lockKey]);
      if (!rows[0].locked) return undefined;
    }
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
    }
  });
}
