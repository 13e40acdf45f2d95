import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';

const logger = new Logger('DatabaseConnection');

type ErrorListener = (error: Error) => void;

interface ErrorEmitter {
  on(event: 'error', listener: ErrorListener): unknown;
  removeListener(event: 'error', listener: ErrorListener): unknown;
}

/**
 * A driver's pool or client emits 'error' when its server ends a connection (a restart, a
 * failover, pg_terminate_backend), and Node ends a process whose 'error' event nobody listens to.
 * This listens and logs, with `context` (a tenant_id where there is one): a pool has already
 * dropped the dead connection and opens another when next asked; a client's work in flight fails
 * and reaches its caller. Returns what stops listening.
 */
export function surviveConnectionErrors(emitter: ErrorEmitter, what: string, context: Record<string, unknown> = {}): () => void {
  const listener: ErrorListener = (error) => logger.warn({ ...context, err: error }, `${what}: connection lost (${error.message})`);
  emitter.on('error', listener);
  return () => emitter.removeListener('error', listener);
}

/**
 * Runs `work` on a connection checked out of `pool`. pg-pool listens for errors only on idle
 * connections, so one checked out would end the process if its server went away meanwhile.
 */
export async function withPoolClient<T>(pool: Pool, what: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const stopListening = surviveConnectionErrors(client, what);
  try {
    return await work(client);
  } finally {
    stopListening();
    // A connection that died is not queryable: pg-pool closes it instead of keeping it.
    client.release();
  }
}
