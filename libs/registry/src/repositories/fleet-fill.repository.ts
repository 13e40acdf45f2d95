import type { EntityManager } from 'typeorm';
import type { Fleet, FleetPool, FleetServer, MovableTenant } from '../placement/rebalance-planner';

/** The figures a rebalance plan is made from: one query per table it reads, never one per tenant. */
export class FleetFillRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every server and every pool, with the slots each pool has taken (what admission counts). */
  async fleet(): Promise<Fleet> {
    const servers: Array<{ id: string; name: string; engine: FleetServer['engine']; region: string; max_databases: number; draining: boolean }> = await this.em.query(
      `SELECT id, name, engine, region, max_databases, draining FROM database_servers ORDER BY name`,
    );
    const pools: Array<{ id: string; name: string; server_id: string; engine: FleetPool['engine']; max_databases: number; used_slots: number; dedicated: boolean }> =
      await this.em.query(`SELECT id, name, server_id, engine, max_databases, used_slots, dedicated FROM database_pools ORDER BY name`);
    return {
      servers: servers.map((s) => ({ id: s.id, name: s.name, engine: s.engine, region: s.region, maxDatabases: s.max_databases, draining: s.draining })),
      pools: pools.map((p) => ({
        id: p.id,
        name: p.name,
        serverId: p.server_id,
        engine: p.engine,
        maxDatabases: p.max_databases,
        used: p.used_slots,
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
