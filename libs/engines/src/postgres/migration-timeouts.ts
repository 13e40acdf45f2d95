import type { Client, ClientConfig } from 'pg';
import { TenantMigrationTimeout } from '../engine-errors';
import type { TenantMigrationTimeouts } from '../engines-options';

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
// What pg and its pool say when connectionTimeoutMillis passes.
const CONNECT_TIMEOUT = /timeout expired|connection timeout|timeout exceeded when trying to connect/i;

/** Who holds a lock that a migration may have waited for. */
export interface LockHolder {
  /** The table; null for an advisory lock. */
  what: string | null;
  mode: string;
  pid: number;
  application: string;
  state: string | null;
  seconds: number;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function session(holder: LockHolder): string {
  return `pid ${holder.pid}${holder.application ? `, ${holder.application}` : ''}, ${holder.state ?? 'gone'} for ${holder.seconds} s`;
}

function tableLocks(holders: LockHolder[]): string {
  return holders
    .slice(0, 3)
    .map((holder) => `${holder.what} (${holder.mode} held by ${session(holder)})`)
    .join('; ');
}

function fields(error: unknown): { code?: string; message: string; query?: string } {
  const { code, query } = (error ?? {}) as { code?: string; query?: string };
  return { code, query, message: error instanceof Error ? error.message : String(error) };
}

/**
 * Bounds on the sessions that migrate one tenant database (lock wait, statement, connect), and the
 * operator's words for a bound that passed: what waited, on what, held by whom. Without timeouts
 * the server's own settings apply.
 */
export class MigrationTimeouts {
  constructor(private readonly timeouts?: TenantMigrationTimeouts) {}

  /** For a pg Client, or a TypeORM DataSource's `extra`. A statement timeout of 0 sends nothing: no limit of ours. */
  sessionConfig(): Pick<ClientConfig, 'connectionTimeoutMillis' | 'lock_timeout' | 'statement_timeout'> {
    if (!this.timeouts) return {};
    const { connectTimeoutMs, lockTimeoutMs, statementTimeoutMs } = this.timeouts;
    return { connectionTimeoutMillis: connectTimeoutMs, lock_timeout: lockTimeoutMs, ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) };
  }

  /**
   * Runs `work`; a timeout it hits becomes a TenantMigrationTimeout saying what waited (the
   * database's migration lock, or the statement) and, from `holders`, which sessions held the locks.
   */
  async explained<T>(database: string, work: () => Promise<T>, context: WaitContext = {}): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw await this.explain(database, error, context);
    }
  }

  private async explain(database: string, error: unknown, context: WaitContext): Promise<unknown> {
    if (!this.timeouts || error instanceof TenantMigrationTimeout) return error;
    const { code, message, query } = fields(error);
    const during = query ? `, during: ${query.replace(/\s+/g, ' ').trim().slice(0, 100)}` : '';
    if (code === LOCK_NOT_AVAILABLE) {
      const holders = context.holders ? await context.holders().catch(() => []) : [];
      const on = context.migrationLock
        ? `the migration lock of ${database} (another migration of it is running${holders.length > 0 ? `: ${session(holders[0])}` : ''})`
        : `a lock${holders.length > 0 ? ` on ${tableLocks(holders)}` : ''} in ${database}`;
      return new TenantMigrationTimeout(`lock timeout after ${seconds(this.timeouts.lockTimeoutMs)} waiting for ${on}${during}`, { database, timeout: 'lock' });
    }
    if (code === QUERY_CANCELED && /statement timeout/.test(message)) {
      return new TenantMigrationTimeout(`statement timeout after ${seconds(this.timeouts.statementTimeoutMs)} in ${database}${during}`, {
        database,
        timeout: 'statement',
      });
    }
    if (CONNECT_TIMEOUT.test(message)) {
      return new TenantMigrationTimeout(`could not connect to ${database} within ${seconds(this.timeouts.connectTimeoutMs)}`, { database, timeout: 'connect' });
    }
    return error;
  }
}

interface WaitContext {
  /** The wait was for the database's migration lock (an advisory lock), not a table's. */
  migrationLock?: boolean;
  holders?: () => Promise<LockHolder[]>;
}

/**
 * Locks other sessions hold in the database `client` is connected to: on tables, or advisory (the
 * migration lock is the only advisory lock taken in a tenant database outside a grant's instant).
 */
export async function lockHolders(client: Client, kind: 'table' | 'advisory'): Promise<LockHolder[]> {
  const { rows } = await client.query<LockHolder>(
    `SELECT c.relname AS what, l.mode, l.pid, a.application_name AS application, a.state,
            extract(epoch FROM now() - coalesce(a.xact_start, a.query_start, a.backend_start))::int AS seconds
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
       LEFT JOIN pg_class c ON c.oid = l.relation
      WHERE l.granted AND l.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND CASE WHEN $1 = 'advisory' THEN l.locktype = 'advisory'
                 ELSE c.relkind IN ('r', 'p') AND c.relnamespace <> 'pg_catalog'::regnamespace END
      ORDER BY seconds DESC`,
    [kind],
  );
  return rows;
}
