import { DialectMigration } from '../dialect-migration';

export class CreateOrderLines1764000002000 extends DialectMigration {
  readonly phase = 'expand' as const;

  protected readonly upSteps = {
    postgres: [
      `CREATE TABLE order_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        sku text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0)
      )`,
      `CREATE INDEX order_lines_order_id ON order_lines (order_id)`,
    ],
    // SQL Server refuses a foreign key that opens a second cascade path to a table. The only chain is
    // customers -(SET NULL)-> orders -(CASCADE)-> order_lines, one path per table, so this is accepted;
    // a future order_lines.customer_id with an action of its own would not be (it would need NO ACTION).
    mssql: [
      `CREATE TABLE order_lines (
        id uniqueidentifier NOT NULL CONSTRAINT DF_order_lines_id DEFAULT NEWID(),
        order_id uniqueidentifier NOT NULL,
        sku nvarchar(max) NOT NULL,
        quantity int NOT NULL,
        unit_price_cents bigint NOT NULL,
        CONSTRAINT PK_order_lines PRIMARY KEY (id),
        CONSTRAINT FK_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
        CONSTRAINT CK_order_lines_quantity CHECK (quantity > 0),
        CONSTRAINT CK_order_lines_unit_price_cents CHECK (unit_price_cents >= 0)
      )`,
      `CREATE INDEX order_lines_order_id ON order_lines (order_id)`,
    ],
  };

  protected readonly downSteps = {
    postgres: [`DROP TABLE order_lines`],
    mssql: [`DROP TABLE order_lines`],
  };
}
