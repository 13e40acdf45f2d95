import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { TenantDirectory } from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import type { DataSource } from 'typeorm';
import type { ActiveTenant } from '../resolution/tenant-resolver';
import { TENANCY_OPTIONS, type ResolvedTenancyOptions } from '../tenancy-options';
import { budgetedMssqlDriver } from './budgeted-mssql-driver';
import { budgetedPgDriver, type BudgetedPool } from './budgeted-pg-driver';
import type { CappedPool } from './capped-pool';
import { ConnectionBudget } from './connection-budget';
import { newerPassword } from './newer-password';
import { PostgresServerFacts } from './postgres-server-facts';
import { poolerFor, tenantDataSource, type BudgetedDrivers } from './tenant-data-source.factory';

// How often a refused connection asks the registry whether a rotation has stored the new password.
const RENEWAL_POLL_MS = 50;

/** A tenant's DataSource held for one unit of work; release it when the work is done. */
export interface TenantLease {
  readonly tenantId: string;
  readonly dataSource: DataSource;
  release(): void;
}

interface PoolEntry {
  tenantId: string;
  /** The protected secret and the database it was opened with: a rotated credential or a moved database opens a new pool. */
  opensWith: string;
  ready: Promise<DataSource>;
  dataSource?: DataSource;
  /** The cap its connections count against: the server's (direct) or the pooler's client side. */
  budget: ConnectionBudget;
  leases: number;
  lastUsedAt: number;
  retired: boolean;
}

/**
 * One DataSource per tenant, opened with the tenant's own login, in a bounded LRU: at most
 * `maxPools` pools, `poolSize` connections each, and `maxConnections` connections to servers in all,
 * which is never exceeded (a connection takes a permit before it connects; when none is free, the
 * longest idle connection of the least recently used pool is closed). PostgreSQL tenants reached
 * directly and Azure SQL tenants share that cap; PostgreSQL tenants reached through the pooler take
 * client connections under a cap of their own, `maxPoolerConnections`, as those hold no backend (the
 * server's budget is the pooler's). Opening a DataSource sends nothing to the server (its server's
 * facts are learnt once): its first query makes its first connection. A pool leaves the LRU when it is
 * evicted, idle too long, or its tenant is invalidated; it is destroyed once the work holding it
 * has finished, so no query in flight ever loses its DataSource.
 */
@Injectable()
export class TenantConnectionManager implements OnApplicationShutdown {
  private readonly logger = new Logger(TenantConnectionManager.name);
  private readonly pools = new Map<string, PoolEntry>();
  private readonly retiring = new Set<PoolEntry>();
  /** Pools holding at least one connection: the only ones a reclaim can take from (at most the cap of them). */
  private readonly connected = new Set<PoolEntry>();
  private readonly destroyed = new Set<Promise<void>>();
  /** Connections to servers: PostgreSQL direct, SQL Server. */
  readonly budget: ConnectionBudget;
  /** Client connections to the pooler. */
  readonly poolerBudget: ConnectionBudget;
  private readonly drivers: BudgetedDrivers;
  private readonly serverFacts = new PostgresServerFacts();
  private readonly idleSweep: NodeJS.Timeout;

  constructor(
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly directory: TenantDirectory,
  ) {
    const { maxConnections, maxPoolerConnections, acquireTimeoutMs, poolIdleMs } = options.connections;
    this.budget = new ConnectionBudget(maxConnections, acquireTimeoutMs, () => this.reclaimIdleConnection(this.budget));
    this.poolerBudget = new ConnectionBudget(maxPoolerConnections, acquireTimeoutMs, () => this.reclaimIdleConnection(this.poolerBudget));
    this.drivers = {
      postgres: budgetedPgDriver(this.budget),
      postgresPooler: budgetedPgDriver(this.poolerBudget),
      mssql: budgetedMssqlDriver(this.budget),
    };
    this.idleSweep = setInterval(() => this.closeIdlePools(), Math.max(1_000, Math.min(poolIdleMs / 2, 30_000)));
    this.idleSweep.unref();
  }

  async lease(tenant: ActiveTenant): Promise<TenantLease> {
    let entry = this.pools.get(tenant.tenantId);
    if (entry && entry.opensWith !== opensWith(tenant)) {
      this.retire(entry);
      entry = undefined;
    }
    if (entry) {
      this.pools.delete(tenant.tenantId);
      this.pools.set(tenant.tenantId, entry);
    } else {
      entry = this.open(tenant);
    }
    entry.leases += 1;
    entry.lastUsedAt = Date.now();
    let dataSource: DataSource;
    try {
      dataSource = await entry.ready;
    } catch (error) {
      this.unlease(entry);
      throw error;
    }
    const held = entry;
    let released = false;
    return {
      tenantId: tenant.tenantId,
      dataSource,
      release: () => {
        if (released) return;
        released = true;
        this.unlease(held);
      },
    };
  }

  /** Takes a tenant's pool out of service (suspension, deletion, rotated credentials); it closes once idle. */
  close(tenantId: string): void {
    const entry = this.pools.get(tenantId);
    if (entry) this.retire(entry);
  }

  get openPools(): number {
    return this.pools.size;
  }

  get retiringPools(): number {
    return this.retiring.size;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.idleSweep);
    for (const entry of [...this.pools.values()]) this.retire(entry);
    for (const entry of [...this.retiring]) if (entry.leases === 0) this.destroy(entry);
    await Promise.allSettled([...this.destroyed]);
  }

  private open(tenant: ActiveTenant): PoolEntry {
    const entry: PoolEntry = {
      tenantId: tenant.tenantId,
      opensWith: opensWith(tenant),
      leases: 0,
      lastUsedAt: Date.now(),
      retired: false,
      ready: Promise.resolve(undefined as unknown as DataSource),
      budget: poolerFor(tenant, this.options) ? this.poolerBudget : this.budget,
    };
    entry.ready = this.initialize(entry, tenant);
    this.pools.set(tenant.tenantId, entry);
    entry.ready.catch((error: unknown) => {
      if (this.pools.get(tenant.tenantId) === entry) this.pools.delete(tenant.tenantId);
      this.logger.warn({ tenant_id: tenant.tenantId, err: error }, 'opening the tenant pool failed');
    });
    this.evictBeyondLimit();
    return entry;
  }

  private async initialize(entry: PoolEntry, tenant: ActiveTenant): Promise<DataSource> {
    const password = await this.protector.unprotect(tenant.database.secret, tenant.tenantId);
    const dataSource = tenantDataSource(tenant, password, this.options, this.drivers);
    const server = tenant.database.engine === 'azure-sql' ? undefined : `${tenant.database.host}:${tenant.database.port}`;
    if (server) this.serverFacts.seed(server, dataSource);
    await dataSource.initialize();
    if (server) this.serverFacts.learn(server, dataSource);
    const pool = this.poolOf(dataSource);
    if (server) (pool as BudgetedPool | undefined)?.renewPasswordWith((rejected) => this.renewedPassword(tenant, rejected));
    if (pool) {
      if (pool.totalCount > 0) this.connected.add(entry);
      pool.watch({
        opened: () => this.connected.add(entry),
        closed: () => pool.totalCount === 0 && this.connected.delete(entry),
        idle: () => entry.budget.relieve(),
      });
    }
    entry.dataSource = dataSource;
    return dataSource;
  }

  /**
   * The tenant's current password when the login refused `rejected`: a rotation sets the new one on
   * the login, then stores it in the registry (one write later), then announces it. A refused
   * password the registry still holds is waited out, at most as long as a connection may wait.
   * Undefined when the tenant is no longer served from this database, or nothing changed in time.
   */
  private async renewedPassword(tenant: ActiveTenant, rejected: string): Promise<string | undefined> {
    const current = async () => {
      const route = await this.directory.lookup(tenant.tenantId);
      const database = route?.status === 'active' ? route.database : null;
      const same = database && database.host === tenant.database.host && database.port === tenant.database.port && database.name === tenant.database.name;
      return same ? this.protector.unprotect(database.secret, tenant.tenantId) : null;
    };
    const password = await newerPassword(current, rejected, this.options.connections.acquireTimeoutMs, RENEWAL_POLL_MS);
    if (password) this.logger.log({ tenant_id: tenant.tenantId }, 'the tenant login refused its pool password: connecting with the one the registry now holds');
    return password;
  }

  private unlease(entry: PoolEntry): void {
    entry.leases -= 1;
    if (entry.retired && entry.leases === 0) this.destroy(entry);
  }

  private retire(entry: PoolEntry): void {
    if (this.pools.get(entry.tenantId) === entry) this.pools.delete(entry.tenantId);
    if (entry.retired) return;
    entry.retired = true;
    this.retiring.add(entry);
    if (entry.leases === 0) this.destroy(entry);
  }

  private destroy(entry: PoolEntry): void {
    const done = entry.ready
      .then((dataSource) => dataSource.destroy())
      .catch((error: unknown) => this.logger.warn({ tenant_id: entry.tenantId, err: error }, 'closing the tenant pool failed'))
      .finally(() => {
        this.retiring.delete(entry);
        this.connected.delete(entry);
        this.destroyed.delete(done);
      });
    this.destroyed.add(done);
  }

  private evictBeyondLimit(): void {
    while (this.pools.size > this.options.connections.maxPools) {
      this.retire(this.pools.values().next().value as PoolEntry);
    }
  }

  private closeIdlePools(): void {
    const idleSince = Date.now() - this.options.connections.poolIdleMs;
    for (const entry of [...this.pools.values()]) {
      if (entry.lastUsedAt > idleSince) break;
      if (entry.leases === 0) this.retire(entry);
    }
  }

  /**
   * Frees one slot under `budget` by closing an idle connection of a pool under it. A pool holding several gives one up
   * first; while such a pool exists, a pool's only connection is left alone even if that means
   * waiting for one of the others to go idle (a pool left with none would soon need one back, and
   * every such swap is a reconnect). Only when every pool is down to one does the least recently
   * used pool give up its last.
   */
  private reclaimIdleConnection(budget: ConnectionBudget): boolean {
    let spare: { pool: CappedPool; lastUsedAt: number } | undefined;
    let sole: { pool: CappedPool; lastUsedAt: number } | undefined;
    let sparesExist = false;
    for (const entry of this.connected) {
      const pool = entry.budget === budget && entry.dataSource && this.poolOf(entry.dataSource);
      if (!pool) continue;
      if (pool.totalCount > 1) sparesExist = true;
      if (pool.idleCount === 0) continue;
      const candidate = { pool, lastUsedAt: entry.lastUsedAt };
      if (pool.totalCount > 1) {
        if (!spare || candidate.lastUsedAt < spare.lastUsedAt) spare = candidate;
      } else if (!sole || candidate.lastUsedAt < sole.lastUsedAt) {
        sole = candidate;
      }
    }
    const chosen = spare ?? (sparesExist ? undefined : sole);
    return chosen?.pool.closeLongestIdle() ?? false;
  }

  // `master` is a TypeORM internal (PostgresDriver's and SqlServerDriver's pool): typeorm is pinned,
  // and driver-internals.int-spec.ts says when it moves.
  private poolOf(dataSource: DataSource): CappedPool | undefined {
    if (!dataSource.isInitialized) return undefined;
    return (dataSource.driver as unknown as { master?: CappedPool }).master;
  }
}

function opensWith({ database }: ActiveTenant): string {
  return JSON.stringify([database.secret, database.host, database.port, database.name, database.pooler?.host, database.pooler?.port]);
}
