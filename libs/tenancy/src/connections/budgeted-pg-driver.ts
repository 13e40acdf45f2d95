import { setTimeout as sleep } from 'node:timers/promises';
import * as pg from 'pg';
import type { CappedPool, PoolWatcher } from './capped-pool';
import type { ConnectionBudget } from './connection-budget';

interface PoolInternals {
  _idle?: Array<{ client: unknown }>;
  _remove?: (client: unknown) => void;
}

/** The pg Pool every tenant PostgreSQL DataSource gets. */
export type BudgetedPool = pg.Pool & CappedPool & { renewPasswordWith(renew: PasswordRenewal): void };

/** Another password to connect with once the login refused `rejected`, or undefined to fail as refused. */
export type PasswordRenewal = (rejected: string) => Promise<string | undefined>;

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * The login refused the password: PostgreSQL says 28P01; PgBouncer 1.18, checking SCRAM against the
 * verifier its auth query read, ends the login with this message (and no code of its own).
 */
export function isPasswordRejected(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '28P01' || (typeof message === 'string' && message.includes('SASL authentication failed'));
}

/**
 * Refused for a moment, not for good: the server had no connection slot (53300), or PgBouncer, whose
 * last login to the server failed (a server at max_connections, say), refuses every client of that
 * pool for `server_login_retry` with this message.
 */
export function isMomentaryRefusal(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '53300' || (typeof message === 'string' && message.includes('server_login_retry'));
}

// How soon a momentary refusal is tried again, within the wait a checkout is allowed anyway.
const MOMENTARY_RETRY_MS = 100;
const DEFAULT_CHECKOUT_WAIT_MS = 5_000;

/**
 * The `pg` module as TypeORM sees it (its `driver` option), with a Pool whose connections take a
 * permit from `budget` before they connect and give it back once closed, so the cap holds across
 * every tenant pool without the pools knowing of each other.
 *
 * pg-pool offers no public way to close one idle client or to stop growing for a moment, so two
 * of its internals are used: `_remove` (what its own idle timer calls) and `_isFull` (its one test
 * of whether it may open a connection). package.json pins pg-pool for them, and
 * driver-internals.int-spec.ts names the internal that moved when a new version is tried.
 */
export function budgetedPgDriver(budget: ConnectionBudget): typeof pg {
  class BudgetedClient extends pg.Client {
    private holdsPermit = false;

    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
      const connecting = budget.acquire().then(async () => {
        this.holdsPermit = true;
        this.once('end', () => this.releasePermit());
        try {
          await super.connect();
        } catch (error) {
          this.releasePermit();
          throw error;
        }
        return this;
      });
      if (!callback) return connecting;
      const done = callback as (err: Error | null) => void;
      connecting.then(
        () => done(null),
        (error: Error) => done(error),
      );
    }

    private releasePermit(): void {
      if (!this.holdsPermit) return;
      this.holdsPermit = false;
      budget.release();
    }
  }

  class Pool extends pg.Pool implements BudgetedPool {
    private renewPassword?: PasswordRenewal;
    /** One renewal at a time: connections refused together wait for the same answer. */
    private renewal?: Promise<string | undefined>;

    constructor(config?: pg.PoolConfig) {
      super({ ...config, Client: BudgetedClient });
    }

    renewPasswordWith(renew: PasswordRenewal): void {
      this.renewPassword = renew;
    }

    // TypeORM checks connections out with the callback form, pg-pool's own query() too.
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      const connecting = this.connectRenewingPassword();
      if (!callback) return connecting;
      connecting.then(
        (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
        (error: Error) => callback(error, undefined, () => undefined),
      );
    }

    /**
     * A credential rotation sets the new password on the login before every process has heard of it:
     * a connection the login refuses asks for the current one and is tried once more with it.
     */
    private async connectRenewingPassword(): Promise<pg.PoolClient> {
      const tried = this.options.password;
      try {
        return await this.connectPatiently();
      } catch (error) {
        if (!this.renewPassword || typeof tried !== 'string' || !isPasswordRejected(error)) throw error;
        if (this.options.password === tried) {
          const renew = this.renewPassword;
          this.renewal ??= renew(tried).finally(() => (this.renewal = undefined));
          const renewed = await this.renewal;
          if (renewed === undefined) throw error;
          if (this.options.password === tried) this.options.password = renewed;
        }
        return this.connectPatiently();
      }
    }

    /** A momentary refusal is tried again until the checkout's own wait is spent: the request waits, it does not fail. */
    private async connectPatiently(): Promise<pg.PoolClient> {
      const deadline = Date.now() + (this.options.connectionTimeoutMillis || DEFAULT_CHECKOUT_WAIT_MS);
      for (;;) {
        try {
          return await super.connect();
        } catch (error) {
          if (!isMomentaryRefusal(error) || Date.now() + MOMENTARY_RETRY_MS > deadline) throw error;
          await sleep(MOMENTARY_RETRY_MS);
        }
      }
    }

    // While the cap is reached, a pool that already holds a connection counts as full, so it waits
    // for one of its own rather than growing: growing would mean closing another tenant's connection
    // (a reconnect, milliseconds of server work) only to have this one go idle a moment later.
    // pg-pool asks this on every checkout and every time it serves its queue.
    _isFull(): boolean {
      const held = this.totalCount;
      return held >= (this.options.max ?? 10) || (held > 0 && !budget.hasRoom());
    }

    closeLongestIdle(): boolean {
      const internals = this as unknown as PoolInternals;
      const longestIdle = internals._idle?.[0];
      if (!longestIdle || typeof internals._remove !== 'function') return false;
      internals._remove.call(this, longestIdle.client);
      return true;
    }

    watch(watcher: PoolWatcher): void {
      this.on('connect', () => watcher.opened());
      this.on('remove', () => watcher.closed());
      this.on('release', () => watcher.idle());
    }
  }

  // A plain copy: compiled to CommonJS, `pg` here is a namespace of read-only getters.
  return { ...pg, Pool, Client: BudgetedClient };
}
