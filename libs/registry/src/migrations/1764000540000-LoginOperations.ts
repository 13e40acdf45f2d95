import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Suspend and resume become operations, since the worker disables and enables the tenant's login.
 * A suspension must never wait for another operation (a rotation in progress), so it has its own
 * one-open-per-tenant index; the worker's per-tenant lock still runs them one at a time. A
 * credential change keeps its new secret on the operation until the login accepts it, and when the
 * password changed, so that older sessions can be ended.
 */
export class LoginOperations1764000540000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision', 'rotate_credentials', 'suspend', 'resume'))`);
    await q.query(`ALTER TABLE operations ADD COLUMN pending_secret text, ADD COLUMN password_changed_at timestamptz`);
    await q.query(`DROP INDEX operations_one_open_per_tenant`);
    await q.query(`CREATE UNIQUE INDEX operations_one_open_per_tenant ON operations (tenant_id) WHERE status IN ('pending', 'running') AND kind <> 'suspend'`);
    await q.query(`CREATE UNIQUE INDEX operations_one_open_suspension_per_tenant ON operations (tenant_id) WHERE status IN ('pending', 'running') AND kind = 'suspend'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX operations_one_open_suspension_per_tenant`);
    await q.query(`DROP INDEX operations_one_open_per_tenant`);
    await q.query(`CREATE UNIQUE INDEX operations_one_open_per_tenant ON operations (tenant_id) WHERE status IN ('pending', 'running')`);
    await q.query(`ALTER TABLE operations DROP COLUMN pending_secret, DROP COLUMN password_changed_at`);
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision', 'rotate_credentials'))`);
  }
}
