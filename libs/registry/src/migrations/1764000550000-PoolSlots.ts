import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admission keeps each pool's usage as a counter instead of counting tenants under a table lock:
 * `tenants.slot_pool_id` is the pool whose capacity a tenant takes (from admission until it is
 * deleted, or fails before it was placed), and `database_pools.used_slots` counts those tenants,
 * so a reservation is one conditional UPDATE of one pool's row. Backfilled from what the old
 * count saw: placed tenants not deleted, and tenants queued for a pool they named. Tenants queued
 * for automatic placement take a slot when the worker places them.
 */
export class PoolSlots1764000550000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN slot_pool_id uuid REFERENCES database_pools (id)`);
    await q.query(`CREATE INDEX tenants_slot_pool ON tenants (slot_pool_id) WHERE slot_pool_id IS NOT NULL`);
    await q.query(`UPDATE tenants t SET slot_pool_id = d.pool_id FROM tenant_databases d WHERE d.tenant_id = t.id AND t.status <> 'deleted'`);
    await q.query(
      `UPDATE tenants t SET slot_pool_id = p.id
         FROM operations o JOIN database_pools p ON p.name = o.params ->> 'pool'
        WHERE o.tenant_id = t.id AND o.kind = 'provision' AND o.status IN ('pending', 'running') AND t.slot_pool_id IS NULL`,
    );
    await q.query(`ALTER TABLE database_pools ADD COLUMN used_slots int NOT NULL DEFAULT 0 CONSTRAINT database_pools_used_slots CHECK (used_slots >= 0)`);
    await q.query(
      `UPDATE database_pools p SET used_slots = held.n
         FROM (SELECT slot_pool_id, count(*)::int AS n FROM tenants WHERE slot_pool_id IS NOT NULL GROUP BY slot_pool_id) held
        WHERE held.slot_pool_id = p.id`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE database_pools DROP COLUMN used_slots`);
    await q.query(`ALTER TABLE tenants DROP COLUMN slot_pool_id`);
  }
}
