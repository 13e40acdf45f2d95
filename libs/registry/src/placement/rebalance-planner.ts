import type { EngineKind } from '@tenantry/common';

/** A server as placement sees it. */
export interface FleetServer {
  id: string;
  name: string;
  engine: EngineKind;
  region: string;
  maxDatabases: number;
  draining: boolean;
}

/** A pool as placement sees it: `used` is its slots taken, placed databases and admitted tenants alike (what admission counts). */
export interface FleetPool {
  id: string;
  name: string;
  serverId: string;
  engine: EngineKind;
  maxDatabases: number;
  used: number;
  dedicated: boolean;
}

export interface Fleet {
  servers: FleetServer[];
  pools: FleetPool[];
}

/** An active tenant whose database is placed in `poolId` and that no operation is working on. */
export interface MovableTenant {
  id: string;
  code: string;
  region: string;
  poolId: string;
  createdAt: Date;
}

export interface RebalanceRules {
  /** A pool or server holding more than this percentage of its capacity is over. */
  thresholdPercent: number;
  /** The engines the processes drive: a move goes into a pool of the same engine, and of these only. */
  engines: EngineKind[];
}

export interface PlacementRef {
  pool: string;
  server: string;
}

export interface ProposedMove {
  tenant: { id: string; code: string };
  from: PlacementRef;
  to: PlacementRef;
  reason: string;
}

export interface RebalancePlan {
  thresholdPercent: number;
  moves: ProposedMove[];
  /** Pools still over (or on a server still over) once every possible move is proposed, and why no more could go. */
  unresolved: Array<PlacementRef & { reason: string }>;
}

// Fills are compared as counts (used > share of capacity) with a margin for binary fractions: 70% of 10 is 7.000000000000001.
const EPSILON = 1e-9;
const over = (used: number, capacity: number, percent: number) => used > (capacity * percent) / 100 + EPSILON;
const fits = (used: number, capacity: number, percent: number) => used <= capacity && !over(used, capacity, percent);
const describeFill = (kind: string, name: string, used: number, capacity: number, percent: number) =>
  `${kind} ${name} is ${Math.round((100 * used) / Math.max(capacity, 1))}% full (${used}/${capacity}), above ${percent}%`;

/**
 * The shared pools a rebalance takes tenants from: those over the threshold, and those on a server
 * over it; fullest first. Dedicated pools are left alone (their tenants bought them), as automatic
 * placement leaves them alone.
 */
export function overfullPools(fleet: Fleet, thresholdPercent: number): FleetPool[] {
  const serverUsed = usedByServer(fleet.pools);
  const servers = new Map(fleet.servers.map((server) => [server.id, server]));
  return fleet.pools
    .filter((pool) => !pool.dedicated)
    .filter((pool) => {
      const server = servers.get(pool.serverId);
      return (
        over(pool.used, pool.maxDatabases, thresholdPercent) || (server !== undefined && over(serverUsed.get(server.id) ?? 0, server.maxDatabases, thresholdPercent))
      );
    })
    .sort((a, b) => b.used / Math.max(b.maxDatabases, 1) - a.used / Math.max(a.maxDatabases, 1) || a.name.localeCompare(b.name));
}

function usedByServer(pools: FleetPool[]): Map<string, number> {
  const used = new Map<string, number>();
  for (const pool of pools) used.set(pool.serverId, (used.get(pool.serverId) ?? 0) + pool.used);
  return used;
}

/**
 * Proposes moves that bring every overfull shared pool and server back to the threshold, each into
 * a pool that admission would place the tenant in: shared (never dedicated), of the same engine and
 * one the processes drive, on a server of the tenant's region that is not draining, with room; and
 * never one that the move itself would take over the threshold (pool or server). A pool over only
 * because its server is takes tenants to other servers only; a pool over on a server that is not
 * prefers another pool of its own server (Azure moves that one online, PostgreSQL only in the
 * registry), then the emptiest after the move.
 *
 * Which tenants: the registry keeps no database sizes or activity, so the youngest tenants go first
 * (they have had the least time to grow, so their copies are likely the smallest), ties by code: a
 * stable order, so the same fleet gives the same plan.
 */
export function planRebalance(fleet: Fleet, tenants: MovableTenant[], rules: RebalanceRules): RebalancePlan {
  const percent = rules.thresholdPercent;
  const servers = new Map(fleet.servers.map((server) => [server.id, server]));
  // Projected counts: each proposal moves one slot, and later choices see it.
  const poolUsed = new Map(fleet.pools.map((pool) => [pool.id, pool.used]));
  const serverUsed = usedByServer(fleet.pools);
  const byPool = new Map<string, MovableTenant[]>();
  for (const tenant of tenants) {
    const list = byPool.get(tenant.poolId) ?? [];
    list.push(tenant);
    byPool.set(tenant.poolId, list);
  }
  const youngestFirst = (a: MovableTenant, b: MovableTenant) => b.createdAt.getTime() - a.createdAt.getTime() || a.code.localeCompare(b.code);

  const poolOver = (pool: FleetPool) => over(poolUsed.get(pool.id)!, pool.maxDatabases, percent);
  const serverOver = (server: FleetServer) => over(serverUsed.get(server.id) ?? 0, server.maxDatabases, percent);

  const target = (tenant: MovableTenant, from: FleetPool, fromServer: FleetServer, leaveServer: boolean): FleetPool | undefined => {
    const eligible = fleet.pools.filter((pool) => {
      const server = servers.get(pool.serverId);
      if (!server || pool.id === from.id || pool.dedicated || pool.engine !== from.engine || !rules.engines.includes(pool.engine)) return false;
      if (server.draining || server.region !== tenant.region || (leaveServer && server.id === fromServer.id)) return false;
      if (!fits(poolUsed.get(pool.id)! + 1, pool.maxDatabases, percent)) return false;
      return server.id === fromServer.id || fits((serverUsed.get(server.id) ?? 0) + 1, server.maxDatabases, percent);
    });
    const fillAfter = (pool: FleetPool) => (poolUsed.get(pool.id)! + 1) / pool.maxDatabases;
    return eligible.sort(
      (a, b) => Number(b.serverId === fromServer.id) - Number(a.serverId === fromServer.id) || fillAfter(a) - fillAfter(b) || a.name.localeCompare(b.name),
    )[0];
  };

  const moves: ProposedMove[] = [];
  const unresolved: RebalancePlan['unresolved'] = [];
  // A server still over is reported once, at its fullest pool.
  const serversReported = new Set<string>();
  for (const from of overfullPools(fleet, percent)) {
    const fromServer = servers.get(from.serverId)!;
    for (const tenant of [...(byPool.get(from.id) ?? [])].sort(youngestFirst)) {
      const leaveServer = serverOver(fromServer);
      if (!leaveServer && !poolOver(from)) break;
      const to = target(tenant, from, fromServer, leaveServer);
      if (!to) continue;
      const toServer = servers.get(to.serverId)!;
      const reason = poolOver(from)
        ? describeFill('pool', from.name, poolUsed.get(from.id)!, from.maxDatabases, percent)
        : describeFill('server', fromServer.name, serverUsed.get(fromServer.id) ?? 0, fromServer.maxDatabases, percent);
      moves.push({
        tenant: { id: tenant.id, code: tenant.code },
        from: { pool: from.name, server: fromServer.name },
        to: { pool: to.name, server: toServer.name },
        reason,
      });
      poolUsed.set(from.id, poolUsed.get(from.id)! - 1);
      poolUsed.set(to.id, poolUsed.get(to.id)! + 1);
      serverUsed.set(fromServer.id, (serverUsed.get(fromServer.id) ?? 0) - 1);
      serverUsed.set(toServer.id, (serverUsed.get(toServer.id) ?? 0) + 1);
    }
    const stillOver = serverOver(fromServer) ? 'server' : poolOver(from) ? 'pool' : undefined;
    if (stillOver === 'server' && serversReported.has(fromServer.id)) continue;
    if (stillOver === 'server') serversReported.add(fromServer.id);
    if (stillOver) {
      const fill =
        stillOver === 'pool'
          ? describeFill('pool', from.name, poolUsed.get(from.id)!, from.maxDatabases, percent)
          : describeFill('server', fromServer.name, serverUsed.get(fromServer.id) ?? 0, fromServer.maxDatabases, percent);
      const elsewhere = stillOver === 'server' ? ' on another server' : '';
      unresolved.push({
        pool: from.name,
        server: fromServer.name,
        reason: `${fill} after the moves proposed: no shared ${from.engine} pool${elsewhere} of its tenants' region, on a server that is not draining, can take one more without passing ${percent}% (tenants under an operation are not moved)`,
      });
    }
  }
  return { thresholdPercent: percent, moves, unresolved };
}
