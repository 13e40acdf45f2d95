import { RegistryBusy, type EngineKind } from '@tenantry/common';
import type { EntityManager } from 'typeorm';
import { DatabasePoolEntity } from '../entities/database-pool.entity';
import { isLockTimeout } from './pg-errors';

export interface PoolUsage {
  pool: DatabasePoolEntity;
  /** The name of the server it is a share of. */
  server: string;
  /** Tenant databases placed on it (deleted tenants no longer count). */
  databases: number;
  /** Tenants admitted to it and not placed yet. */
  reserved: number;
}

/** What registering a pool sets; its usage is kept by reserve and release only. */
export type PoolRegistration = Omit<DatabasePoolEntity, 'id' | 'createdAt' | 'usedSlots'>;

// Pools a tenant of the region in parameter `region` may take a slot in: on a server of that region that is not draining.
const placeable = (region: string) => `EXISTS (SELECT 1 FROM database_servers s WHERE s.id = p.server_id AND s.region = ${region} AND NOT s.draining)`;

// Shared pools with room a tenant may be placed on automatically, by the engines the caller drives
// (parameter `engines`); ordered as database_pools_room is, so a scan stops at the first that fits.
const automatic = (engines: string, region: string) =>
  `FROM database_pools p WHERE NOT dedicated AND engine = ANY(${engines}) AND used_slots < max_databases AND ${placeable(region)}
    ORDER BY (max_databases - used_slots) DESC, name`;

const AUTOMATIC = `SELECT id ${automatic('$2', '$3')} LIMIT 1 FOR UPDATE OF p SKIP LOCKED`;

/**
 * A slot is taken by one statement that raises the pool's counter only while it is under capacity
 * and records the pool on the tenant, which must hold no slot yet: the pool's row stays locked to
 * the end of the transaction (no other pool's), so two admissions never take its last slot twice.
 */
const TAKE_SLOT = (pool: string) => `
  slot AS (UPDATE database_pools p SET used_slots = p.used_slots + 1 FROM (${pool}) chosen
            WHERE p.id = chosen.id AND p.used_slots < p.max_databases
              AND EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND slot_pool_id IS NULL)
           RETURNING p.id),
  held AS (UPDATE tenants t SET slot_pool_id = slot.id FROM slot WHERE t.id = $1 RETURNING slot.id)
  SELECT id FROM held`;

export class PoolRepository {
  constructor(private readonly em: EntityManager) {}

  /** Registers a pool or updates its address (and elastic pool) and capacity; its usage stays. */
  async upsert(pool: PoolRegistration): Promise<DatabasePoolEntity> {
    await this.em
      .getRepository(DatabasePoolEntity)
      .createQueryBuilder()
      .insert()
      .values(pool)
      .orUpdate(['server_id', 'engine', 'host', 'port', 'elastic_pool_id', 'location', 'max_databases', 'dedicated'], ['name'])
      .execute();
    return this.em.getRepository(DatabasePoolEntity).findOneOrFail({ where: { name: pool.name } });
  }

  async insertIfAbsent(pool: PoolRegistration): Promise<void> {
    await this.em.getRepository(DatabasePoolEntity).createQueryBuilder().insert().values(pool).orIgnore().execute();
  }

  findById(id: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { id } });
  }

  findByName(name: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { name } });
  }

  /** The names of the pools automatic placement may still use for a tenant of `region`, most room first (a tie by name). */
  async withRoom(engines: EngineKind[], region: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.em.query(`SELECT name ${automatic('$2', '$1')}`, [region, engines]);
    return rows.map((row) => row.name);
  }

  /** Every pool that is not dedicated, by name, with its server's region and whether it drains. */
  async shared(engines: EngineKind[]): Promise<Array<DatabasePoolEntity & { region: string; draining: boolean }>> {
    const rows: Array<{ id: string; region: string; draining: boolean }> = await this.em.query(
      `SELECT p.id, s.region, s.draining FROM database_pools p JOIN database_servers s ON s.id = p.server_id WHERE NOT p.dedicated AND p.engine = ANY($1)`,
      [engines],
    );
    const servers = new Map(rows.map((row) => [row.id, row]));
    const pools = await this.em.getRepository(DatabasePoolEntity).find({ where: { dedicated: false }, order: { name: 'ASC' } });
    return pools.filter((pool) => servers.has(pool.id)).map((pool) => ({ ...pool, region: servers.get(pool.id)!.region, draining: servers.get(pool.id)!.draining }));
  }

  /** For the rest of the transaction, a wait for a pool's row (another admission to it) ends after `ms` with RegistryBusy. */
  async limitLockWaits(ms: number): Promise<void> {
    await this.em.query(`SELECT set_config('lock_timeout', $1, true)`, [`${ms}ms`]);
  }

  /**
   * Gives the tenant a slot of the named pool when it has room and its server is of `region` and not
   * draining; its id, or null (the caller says which of those it was).
   */
  async reserve(tenantId: string, poolName: string, region: string): Promise<string | null> {
    return this.takeSlot(
      `WITH ${TAKE_SLOT(`SELECT id FROM database_pools p WHERE name = $2 AND ${placeable('$3')}`)}`,
      [tenantId, poolName, region],
      `database pool "${poolName}"`,
    );
  }

  /**
   * Gives the tenant a slot of the shared pool of its region with the most room among those no other
   * transaction is reserving in at this moment, without waiting; null when every pool with room is
   * busy or none has room.
   */
  async reserveFree(tenantId: string, engines: EngineKind[], region: string): Promise<string | null> {
    return this.takeSlot(`WITH ${TAKE_SLOT(AUTOMATIC)}`, [tenantId, engines, region], 'the shared database pools');
  }

  /** Gives back the slot the tenant holds, if any: running it twice frees one slot. */
  async release(tenantId: string): Promise<void> {
    await this.em.query(
      `WITH held AS (SELECT id, slot_pool_id FROM tenants WHERE id = $1 AND slot_pool_id IS NOT NULL FOR UPDATE),
            freed AS (UPDATE tenants t SET slot_pool_id = NULL FROM held WHERE t.id = held.id RETURNING held.slot_pool_id)
       UPDATE database_pools p SET used_slots = p.used_slots - 1 FROM freed WHERE p.id = freed.slot_pool_id`,
      [tenantId],
    );
  }

  /**
   * A second slot for a tenant about to move into `poolId`, counted on the pool while the tenant
   * still holds its own: false when the pool is full. The move's switch hands it over
   * (transferSlot), its rollback gives it back (releaseExtra).
   */
  async reserveExtra(poolId: string): Promise<boolean> {
    const result = await this.em.query<[unknown[], number]>(`UPDATE database_pools SET used_slots = used_slots + 1 WHERE id = $1 AND used_slots < max_databases`, [
      poolId,
    ]);
    return result[1] > 0;
  }

  async releaseExtra(poolId: string): Promise<void> {
    await this.em.query(`UPDATE database_pools SET used_slots = used_slots - 1 WHERE id = $1 AND used_slots > 0`, [poolId]);
  }

  /** The tenant's slot moves to `poolId`, whose extra slot it already took: the old pool's is given back. */
  async transferSlot(tenantId: string, poolId: string): Promise<void> {
    await this.em.query(
      `WITH held AS (SELECT id, slot_pool_id FROM tenants WHERE id = $1 AND slot_pool_id IS DISTINCT FROM $2 FOR UPDATE),
            moved AS (UPDATE tenants t SET slot_pool_id = $2 FROM held WHERE t.id = held.id RETURNING held.slot_pool_id)
       UPDATE database_pools p SET used_slots = p.used_slots - 1 FROM moved WHERE p.id = moved.slot_pool_id`,
      [tenantId, poolId],
    );
  }

  /** Every pool, by name, with its usage split into placed databases and tenants waiting for placement. */
  async usage(): Promise<PoolUsage[]> {
    const placed: Array<{ pool_id: string; n: number }> = await this.em.query(
      `SELECT d.pool_id, count(*)::int AS n FROM tenant_databases d JOIN tenants t ON t.id = d.tenant_id AND t.slot_pool_id = d.pool_id
        GROUP BY d.pool_id`,
    );
    const byPool = new Map(placed.map((row) => [row.pool_id, row.n]));
    const servers: Array<{ id: string; name: string }> = await this.em.query(`SELECT id, name FROM database_servers`);
    const serverNames = new Map(servers.map((server) => [server.id, server.name]));
    const pools = await this.em.getRepository(DatabasePoolEntity).find({ order: { name: 'ASC' } });
    return pools.map((pool) => {
      const databases = byPool.get(pool.id) ?? 0;
      return { pool, server: serverNames.get(pool.serverId) ?? '', databases, reserved: pool.usedSlots - databases };
    });
  }

  private async takeSlot(sql: string, parameters: unknown[], where: string): Promise<string | null> {
    try {
      const [taken]: Array<{ id: string }> = await this.em.query(sql, parameters);
      return taken?.id ?? null;
    } catch (error) {
      if (isLockTimeout(error)) throw new RegistryBusy(`${where} is busy admitting other tenants; try again shortly`);
      throw error;
    }
  }

  /** The pool with its row locked until the transaction ends. */
  lockByName(name: string): Promise<DatabasePoolEntity | null> {
    return this.em.getRepository(DatabasePoolEntity).findOne({ where: { name }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Codes of the tenants that still need the pool: those with a database on it (unless the database
   * was dropped and the tenant deleted), those holding a slot in it, and those not deleted that asked
   * for it by name (waiting for placement, or failed before it and retryable).
   */
  async tenantsUsing(pool: DatabasePoolEntity): Promise<string[]> {
    const rows: Array<{ code: string }> = await this.em.query(
      `SELECT t.code FROM tenants t
        WHERE EXISTS (SELECT 1 FROM tenant_databases d
                       WHERE d.tenant_id = t.id AND d.pool_id = $1 AND (t.status <> 'deleted' OR d.dropped_at IS NULL))
           OR t.slot_pool_id = $1
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
