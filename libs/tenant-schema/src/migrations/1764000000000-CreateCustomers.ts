import type { QueryRunner } from 'typeorm';
import type { TenantMigration } from '../migration-phase';

export class CreateCustomers1764000000000 implements TenantMigration {
  readonly phase = 'expand' as const;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE customers`);
  }
}
