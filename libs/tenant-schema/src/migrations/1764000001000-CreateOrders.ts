import type { QueryRunner } from 'typeorm';
import type { TenantMigration } from '../migration-phase';

export class CreateOrders1764000001000 implements TenantMigration {
  readonly phase = 'expand' as const;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        customer_id uuid REFERENCES customers (id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'open',
        total_cents bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX orders_created_at ON orders (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE orders`);
  }
}
