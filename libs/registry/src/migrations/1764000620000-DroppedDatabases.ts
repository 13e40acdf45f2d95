import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant database's record outlives the database: offboarding marks it dropped (and when), so
 * the registry never shows a dropped database as if it existed. A dropped database's record may
 * let go of its pool, so that a pool whose tenants are all offboarded can be removed; one that
 * still exists always names its pool.
 */
export class DroppedDatabases1764000620000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_databases ADD COLUMN dropped_at timestamptz`);
    // Tenants offboarded before this migration: their database went with them.
    await q.query(`
      UPDATE tenant_databases d SET dropped_at = coalesce(t.deleted_at, t.updated_at)
        FROM tenants t
       WHERE t.id = d.tenant_id AND t.status = 'deleted'`);
    await q.query(`ALTER TABLE tenant_databases ALTER COLUMN pool_id DROP NOT NULL`);
    await q.query(`ALTER TABLE tenant_databases ADD CONSTRAINT tenant_databases_pool_until_dropped CHECK (pool_id IS NOT NULL OR dropped_at IS NOT NULL)`);
  }

  /** Fails while a removed pool's dropped databases have no pool to name again. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_databases DROP CONSTRAINT tenant_databases_pool_until_dropped`);
    await q.query(`ALTER TABLE tenant_databases ALTER COLUMN pool_id SET NOT NULL`);
    await q.query(`ALTER TABLE tenant_databases DROP COLUMN dropped_at`);
  }
}
