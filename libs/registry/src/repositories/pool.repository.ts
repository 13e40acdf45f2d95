import type { EntityManager } from 'typeorm';
import { DatabasePoolEntity } from '../entities/database-pool.entity';

export interface PoolUsage {
  pool: DatabasePoolEntity;
  databases: number;
  /** Tenants accepted for this pool by name and not placed yet. */
  reserved: number;
}

export class PoolRepository {
  constructor(private readonly em: EntityManager) {}

  /** Registers a pool or updates its address (and elastic pool) and capacity. */
  async upsert(pool: Omit<DatabasePoolEntity, 'id' | 'createdAt'>): Promise<DatabasePoolEntity> {
    await this.em
      .getRepository(DatabasePoolEntity)
      .createQueryBuilder()
      .insert()
      .values(pool)
      .orUpdate(['engine', 'host', 'port', 'elastic_pool_id', 'location', 'max_databases', 'dedicated'], ['name'])
      .execute();
    return this.em.getRepository(DatabasePoolEntity).findOneOrFail({ where: { name: pool.name } });
  }

  /** Inside a transaction: serialises placements so capacity is never exceeded by a race. */
  async lockAll(): Promise<void> {
    await this.em.query('LOCK TABLE database_pools IN SHARE ROW EXCLUSIVE MODE');
  }

  async insertIfAbsent(pool: Omit<DatabasePoolEntity, 'id' | 'createdAt'>): Promise<void> {
    await this.em.getRepository(DatabasePoolEntity).createQueryBuilder().insert().values(pool).orIgnore().execute();
  }

  findById(id: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { id } });
  }

  findByName(name: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { name } });
  }

  /**
   * Every pool with the tenant databases placed on it (deleted tenants no longer count) and the
   * tenants still waiting for placement that asked for it by name.
   */
  async usage(): Promise<PoolUsage[]> {
    const rows: Array<{ id: string; databases: number; reserved: number }> = await this.em.query(
      `SELECT p.id,
              (SELECT count(*)::int FROM tenant_databases d JOIN tenants t ON t.id = d.tenant_id
                WHERE d.pool_id = p.id AND t.status <> 'deleted') AS databases,
              (SELECT count(*)::int FROM operations o
                WHERE o.kind = 'provision' AND o.status IN ('pending', 'running') AND o.params ->> 'pool' = p.name
                  AND NOT EXISTS (SELECT 1 FROM tenant_databases d WHERE d.tenant_id = o.tenant_id)) AS reserved
         FROM database_pools p`,
    );
    const pools = await this.em.getRepository(DatabasePoolEntity).find({ order: { name: 'ASC' } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return pools.map((pool) => ({ pool, databases: byId.get(pool.id)?.databases ?? 0, reserved: byId.get(pool.id)?.reserved ?? 0 }));
  }

  /** Tenants waiting for automatic placement (they named no pool). */
  async unplacedAutomatic(): Promise<number> {
    const [row]: Array<{ n: number }> = await this.em.query(
      `SELECT count(*)::int AS n FROM operations o
        WHERE o.kind = 'provision' AND o.status IN ('pending', 'running') AND o.params ->> 'pool' IS NULL
          AND NOT EXISTS (SELECT 1 FROM tenant_databases d WHERE d.tenant_id = o.tenant_id)`,
    );
    return row.n;
  }

  /** The pool with its row locked until the transaction ends. */
  lockByName(name: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { name }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Codes of the tenants that still need the pool: those with a database on it (unless the database
   * was dropped and the tenant deleted), and those not deleted that asked for it by name (waiting for
   * placement, or failed before it and retryable).
   */
  async tenantsUsing(pool: DatabasePoolEntity): Promise<string[]> {
    const rows: Array<{ code: string }> = await this.em.query(
      `SELECT t.code FROM tenants t
        WHERE EXISTS (SELECT 1 FROM tenant_databases d
                       WHERE d.tenant_id = t.id AND d.pool_id = $1 AND (t.status <> 'deleted' OR d.dropped_at IS NULL))
           OR (t.status <> 'deleted' AND EXISTS (SELECT 1 FROM operations o
                                                  WHERE o.tenant_id = t.id AND o.kind = 'provision' AND o.params ->> 'pool' = $2))
        ORDER BY t.code`,
      [pool.id, pool.name],
    );
    return rows.map((row) => row.code);
  }

  /** Deletes the pool; the records of the databases dropped from it keep their host, port and name, and let go of it. */
  async remove(pool: DatabasePoolEntity): Promise<void> {
    await this.em.query(`UPDATE tenant_databases SET pool_id = NULL WHERE pool_id = $1 AND dropped_at IS NOT NULL`, [pool.id]);
    await this.em.getRepository(DatabasePoolEntity).delete({ id: pool.id });
  }
}
