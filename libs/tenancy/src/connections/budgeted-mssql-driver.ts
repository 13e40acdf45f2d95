import * as mssql from 'mssql';
import type { EventEmitter } from 'node:events';
import * as tarn from 'tarn';
import type { CappedPool, PoolWatcher } from './capped-pool';
import type { ConnectionBudget } from './connection-budget';
import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

/** A tedious Connection, as far as the cap needs to know it: `end` once its socket is gone. */
type TediousConnection = EventEmitter & { closed: boolean };

/** The parts of tarn's Pool (3.1.2) used here; driver-internals.int-spec.ts says when one moves. */
interface TarnInternals {
  used: unknown[];
  free: Array<{ resource: TediousConnection; timestamp: number; settle(): void }>;
  pendingCreates: unknown[];
  _shouldCreateMoreResources(): boolean;
  _destroy(resource: TediousConnection): Promise<unknown>;
}

/** The parts of mssql's tedious ConnectionPool (12.7.14) overridden here. */
interface PoolInternals {
  _poolCreate(): Promise<TediousConnection>;
  _poolDestroy(connection: TediousConnection): Promise<void>;
  _acquire(): Promise<TediousConnection>;
  release(connection: TediousConnection): unknown;
}

const MssqlPool = mssql.ConnectionPool as unknown as new (config: mssql.config) => mssql.ConnectionPool & PoolInternals;

/** The mssql ConnectionPool every tenant SQL Server DataSource gets. */
export type BudgetedMssqlPool = mssql.ConnectionPool & CappedPool;

/**
 * The `mssql` module as TypeORM sees it (its `driver` option), with a ConnectionPool whose
 * connections take a permit from `budget` before they connect and give it back once their socket
 * is gone (tedious's `end`, also after a failed sign-in), so Azure SQL tenants share the cap with
 * PostgreSQL tenants instead of reserving a whole pool each. mssql's own probe connection, opened
 * and closed when a pool connects, takes a permit like any other.
 *
 * mssql makes connections in `_poolCreate` and closes them in `_poolDestroy`, both called by its
 * tarn pool (create/destroy); tarn offers no public way to close one idle resource or to hold off
 * growing, so its `free` list, `_destroy` (what its own idle reaper calls) and
 * `_shouldCreateMoreResources` (its one test before it creates) are used. package.json pins mssql
 * and tarn exactly for them, and driver-internals.int-spec.ts names the internal that moved when
 * a new version is tried.
 */
export function budgetedMssqlDriver(budget: ConnectionBudget): typeof mssql {
  const heldAtSize = new WeakSet<TarnInternals>();

  class ConnectionPool extends MssqlPool implements CappedPool {
    private watcher?: PoolWatcher;
    private readonly acquireTimeoutMs: number;

    constructor(config: mssql.config) {
      // A create is part of the acquire it serves, the wait for a permit included: it must not give up first.
      super({ ...config, pool: { ...config.pool, createTimeoutMillis: config.pool?.acquireTimeoutMillis } });
      this.acquireTimeoutMs = config.pool?.acquireTimeoutMillis ?? 30_000;
    }

    get totalCount(): number {
      const pool = this.tarn;
      return pool ? pool.used.length + pool.free.length + pool.pendingCreates.length : 0;
    }

    // A connection the server ended stays in tarn's free list until it is next validated or reaped:
    // it is not one a reclaim could close for a slot (its own was freed when it ended).
    get idleCount(): number {
      return this.tarn?.free.filter((free) => !free.resource.closed).length ?? 0;
    }

    override async _poolCreate(): Promise<TediousConnection> {
      await budget.acquire();
      let connection: TediousConnection;
      try {
        connection = await super._poolCreate();
      } catch (error) {
        budget.release();
        throw error;
      }
      if (connection.closed) budget.release();
      else connection.once('end', () => budget.release());
      this.watcher?.opened();
      return connection;
    }

    override async _poolDestroy(connection: TediousConnection): Promise<void> {
      try {
        await super._poolDestroy(connection);
      } finally {
        this.watcher?.closed();
      }
    }

    override async _acquire(): Promise<TediousConnection> {
      const pool = this.tarn;
      if (pool) this.holdAtSize(pool);
      try {
        return await super._acquire();
      } catch (error) {
        // Waiting for one of its own connections (see holdAtSize) ends in tarn's timeout: a full cap, a 503.
        if (error instanceof tarn.TimeoutError) {
          throw new TenantConnectionsExhausted(`no connection of this tenant's pool came free within ${this.acquireTimeoutMs} ms; try again shortly`);
        }
        throw error;
      }
    }

    override release(connection: TediousConnection): this {
      super.release(connection);
      this.watcher?.idle();
      return this;
    }

    closeLongestIdle(): boolean {
      const pool = this.tarn;
      let longest: TarnInternals['free'][number] | undefined;
      for (const free of pool?.free ?? []) {
        if (!free.resource.closed && (!longest || free.timestamp < longest.timestamp)) longest = free;
      }
      if (!pool || !longest) return false;
      // What tarn's reaper does with a resource idle too long.
      pool.free.splice(pool.free.indexOf(longest), 1);
      longest.settle();
      void pool._destroy(longest.resource);
      return true;
    }

    watch(watcher: PoolWatcher): void {
      this.watcher = watcher;
    }

    /** The tarn pool, there from the moment the pool has connected until it is closed. */
    private get tarn(): TarnInternals | null {
      return (this as unknown as { pool: TarnInternals | null }).pool;
    }

    // While the cap is reached, a pool that already holds a connection waits for one of its own
    // rather than growing: growing would mean closing another tenant's connection (and a new
    // sign-in, TLS included) only to have this one go idle a moment later. tarn asks this before
    // every create; a release, a failed create's retry or a destroyed connection asks again.
    private holdAtSize(pool: TarnInternals): void {
      if (heldAtSize.has(pool)) return;
      heldAtSize.add(pool);
      const mayGrow = pool._shouldCreateMoreResources.bind(pool);
      pool._shouldCreateMoreResources = () => mayGrow() && (this.totalCount === 0 || budget.hasRoom());
    }
  }

  // A plain copy: compiled to CommonJS, `mssql` here is a namespace of read-only getters. The cast: the
  // subclass keeps the statics (parseConnectionString) at run time, which the typed base above drops.
  return { ...mssql, ConnectionPool } as unknown as typeof mssql;
}
