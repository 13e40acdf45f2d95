import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A pool can be reserved for named tenants (an enterprise customer's own); automatic placement skips it. */
export class DedicatedPools1764000100000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE database_pools ADD COLUMN dedicated boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE database_pools DROP COLUMN dedicated`);
  }
}
