import type { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS_BEFORE = `'provision', 'deprovision', 'rotate_credentials', 'suspend', 'resume', 'move'`;
const KINDS_AFTER = `${KINDS_BEFORE}, 'backup', 'restore', 'swap_restore', 'undelete'`;

/**
 * Issue 17, restore: each backup of a tenant database (a pg_dump file in the backup store; Azure
 * SQL keeps its own point-in-time backups and has none here), and each restore made side by side,
 * with the database it replaced once swapped in (kept for its retention as retired_databases says).
 * Backups and restores outlive their tenant's deletion, so that it can be undeleted.
 */
export class TenantBackups1765000500000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN (${KINDS_AFTER}))`);
    await q.query(`
      CREATE TABLE tenant_backups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        operation_id uuid REFERENCES operations (id),
        engine text NOT NULL,
        database_name text NOT NULL,
        schema_version text,
        location text,
        size_bytes bigint,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'expired')),
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX tenant_backups_by_tenant ON tenant_backups (tenant_id, started_at DESC)`);
    // One backup per operation: a backup step run again after a crash finds its row instead of adding one.
    await q.query(`CREATE UNIQUE INDEX tenant_backups_one_per_operation ON tenant_backups (operation_id)`);
    await q.query(`
      CREATE TABLE tenant_restores (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        operation_id uuid NOT NULL UNIQUE REFERENCES operations (id),
        backup_id uuid REFERENCES tenant_backups (id),
        point_in_time timestamptz,
        database_name text NOT NULL,
        status text NOT NULL CHECK (status IN ('restoring', 'ready', 'swapped', 'failed', 'discarded')),
        replaced_database_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        ready_at timestamptz,
        swapped_at timestamptz,
        CHECK ((backup_id IS NULL) <> (point_in_time IS NULL))
      )`);
    await q.query(`CREATE INDEX tenant_restores_by_tenant ON tenant_restores (tenant_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_restores`);
    await q.query(`DROP TABLE tenant_backups`);
    await q.query(`DELETE FROM operations WHERE kind NOT IN (${KINDS_BEFORE})`);
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN (${KINDS_BEFORE}))`);
  }
}
