import type { EntityManager } from 'typeorm';
import { DatabasePoolEntity } from '../entities/database-pool.entity';

export interface PoolUsage {
  pool: DatabasePoolEntity;
  databases: number;
}

export class PoolRepository {
  constructor(private readonly em: EntityManager) {}

  /** Registers a pool or updates its address and capacity. */
  async upsert(pool: Omit<DatabasePoolEntity, 'id' | 'createdAt'>): Promise<DatabasePoolEntity> {
    await this.em
      .getRepository(DatabasePoolEntity)
      .createQueryBuilder()
      .insert()
      .values(pool)
      .orUpdate(['engine', 'host', 'port', 'max_databases'], ['name'])
      .execute();
    return this.em.getRepository(DatabasePoolEntity).findOneOrFail({ where: { name: pool.name } });
  }

  /** Inside a transaction: serialises placements so capacity is never exceeded by a race. */
  async lockAll(): Promise<void> {
    await this.em.query('LOCK TABLE database_pools IN SHARE ROW EXCLUSIVE MODE');
  }

  findById(id: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { id } });
  }

  /** Every pool with the number of tenant databases placed on it (deleted tenants no longer count). */
  async usage(): Promise<PoolUsage[]> {
    const rows: Array<{ id: string; databases: number }> = await this.em.query(
      `SELECT p.id, count(t.id)::int AS databases
         FROM database_pools p
         LEFT JOIN tenant_databases d ON d.pool_id = p.id
         LEFT JOIN tenants t ON t.id = d.tenant_id AND t.status <> 'deleted'
        GROUP BY p.id`,
    );
    const pools = await this.em.getRepository(DatabasePoolEntity).find({ order: { name: 'ASC' } });
    const counts = new Map(rows.map((row) => [row.id, row.databases]));
    return pools.map((pool) => ({ pool, databases: counts.get(pool.id) ?? 0 }));
  }
}
