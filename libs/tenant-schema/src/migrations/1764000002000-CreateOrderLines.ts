import type { QueryRunner } from 'typeorm';
import type { TenantMigration } from '../migration-phase';

export class CreateOrderLines1764000002000 implements TenantMigration {
  readonly phase = 'expand' as const;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        sku text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0)
      )`);
    await q.query(`CREATE INDEX order_lines_order_id ON order_lines (order_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_lines`);
  }
}
