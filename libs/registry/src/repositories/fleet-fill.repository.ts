import type { EntityManager } from 'typeorm';
import type { Fleet, FleetPool, FleetServer, MovableTenant } from '../placement/rebalance-planner';

/** The fleet as placement sees it, and how many moves are under way across it. */
export interface FleetFill extends Fleet {
  movesUnderWay: number;
}

/** The figures a rebalance plan is made from: one query per table it reads, never one per tenant. */
export class FleetFillRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Every server and every pool, with the slots each pool has taken (what admission counts), less
   * those of tenants a move under way is taking out (their slot is given back at the switch, and
   * the target pool counts it already): a plan made while moves run does not move more.
   */
  async fleet(): Promise<FleetFill> {
    const servers: Array<{ id: string; name: string; engine: FleetServer['engine']; region: string; max_databases: number; draining: boolean }> = await this.em.query(
      `SELECT id, name, engine, region, max_databases, draining FROM database_servers ORDER BY name`,
    );
    const pools: Array<{ id: string; name: string; server_id: string; engine: FleetPool['engine']; max_databases: number; used_slots: number; dedicated: boolean }> =
      await this.em.query(`SELECT id, name, server_id, engine, max_databases, used_slots, dedicated FROM database_pools ORDER BY name`);
    const leaving: Array<{ pool_id: string; n: number }> = await this.em.query(
      `SELECT params -> 'from' ->> 'poolId' AS pool_id, count(*)::int AS n FROM operations
        WHERE kind = 'move' AND status IN ('pending', 'running') GROUP BY 1`,
    );
    const leavingBy = new Map(leaving.map((row) => [row.pool_id, row.n]));
    return {
      movesUnderWay: leaving.reduce((sum, row) => sum + row.n, 0),
      servers: servers.map((s) => ({ id: s.id, name: s.name, engine: s.engine, region: s.region, maxDatabases: s.max_databases, draining: s.draining })),
      pools: pools.map((p) => ({
        id: p.id,
        name: p.name,
        serverId: p.server_id,
        engine: p.engine,
        maxDatabases: p.max_databases,
        used: p.used_slots - (leavingBy.get(p.id) ?? 0),
        dedicated: p.dedicated,
      })),
    };
  }

  /**
   * The tenants of `poolIds` a move may take: active, with their database placed in the pool whose
   * slot they hold and not dropped, and no operation pending or running on them (a provisioning
   * retry, a rotation, a move already under way).
   */
  async movableTenants(poolIds: string[]): Promise<MovableTenant[]> {
    if (poolIds.length === 0) return [];
    const rows: Array<{ id: string; code: string; region: string; pool_id: string; created_at: Date }> = await this.em.query(
      `SELECT t.id, t.code, t.region, d.pool_id, t.created_at
         FROM tenants t JOIN tenant_databases d ON d.tenant_id = t.id AND d.pool_id = t.slot_pool_id
        WHERE t.status = 'active' AND d.dropped_at IS NULL AND d.pool_id = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.tenant_id = t.id AND o.status IN ('pending', 'running'))`,
      [poolIds],
    );
    return rows.map((row) => ({ id: row.id, code: row.code, region: row.region, poolId: row.pool_id, createdAt: row.created_at }));
  }
}
