import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moving a tenant's database: the operation kind, a cancel request the move honours until its
 * switch, a write freeze business services read with the route (writes_frozen_at), and the databases
 * a switch left behind, kept until their drop_after so a bad move can still be looked into.
 */
export class TenantMoves1765000200000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(
      `ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision', 'rotate_credentials', 'suspend', 'resume', 'move'))`,
    );
    await q.query(`ALTER TABLE operations ADD COLUMN cancel_requested_at timestamptz`);
    await q.query(`ALTER TABLE tenant_databases ADD COLUMN writes_frozen_at timestamptz`);
    await q.query(`
      CREATE TABLE retired_databases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        operation_id uuid REFERENCES operations (id),
        engine text NOT NULL,
        host text NOT NULL,
        port int NOT NULL,
        elastic_pool_id text,
        location text,
        database_name text NOT NULL,
        login_name text NOT NULL,
        retired_at timestamptz NOT NULL DEFAULT now(),
        drop_after timestamptz NOT NULL,
        dropped_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX retired_databases_once_per_operation ON retired_databases (operation_id)`);
    await q.query(`CREATE INDEX retired_databases_due ON retired_databases (drop_after) WHERE dropped_at IS NULL`);
  }

  /** Fails while a move operation is recorded. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE retired_databases`);
    await q.query(`ALTER TABLE tenant_databases DROP COLUMN writes_frozen_at`);
    await q.query(`ALTER TABLE operations DROP COLUMN cancel_requested_at`);
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision', 'rotate_credentials', 'suspend', 'resume'))`);
  }
}
