import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A tenant's database password can be rotated as an operation of its own. */
export class CredentialRotation1764000300000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision', 'rotate_credentials'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP CONSTRAINT operations_kind_check`);
    await q.query(`ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('provision', 'deprovision'))`);
  }
}
