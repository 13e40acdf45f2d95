import { DialectMigration } from '../dialect-migration';

export class CreateOrders1764000001000 extends DialectMigration {
  readonly phase = 'expand' as const;

  protected readonly upSteps = {
    postgres: [
      `CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        customer_id uuid REFERENCES customers (id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'open',
        total_cents bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX orders_created_at ON orders (created_at)`,
    ],
    // IDENTITY refuses explicit values as GENERATED ALWAYS does. Random ids keep order ids
    // unguessable, so the table is clustered on the ever-increasing number instead of on them.
    mssql: [
      `CREATE TABLE orders (
        id uniqueidentifier NOT NULL CONSTRAINT DF_orders_id DEFAULT NEWID(),
        number bigint IDENTITY(1, 1) NOT NULL,
        customer_id uniqueidentifier NULL,
        status nvarchar(max) NOT NULL CONSTRAINT DF_orders_status DEFAULT N'open',
        total_cents bigint NOT NULL CONSTRAINT DF_orders_total_cents DEFAULT 0,
        created_at datetimeoffset NOT NULL CONSTRAINT DF_orders_created_at DEFAULT SYSDATETIMEOFFSET(),
        CONSTRAINT PK_orders PRIMARY KEY NONCLUSTERED (id),
        CONSTRAINT UQ_orders_number UNIQUE CLUSTERED (number),
        CONSTRAINT FK_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL
      )`,
      `CREATE INDEX orders_created_at ON orders (created_at)`,
    ],
  };

  protected readonly downSteps = {
    postgres: [`DROP TABLE orders`],
    mssql: [`DROP TABLE orders`],
  };
}
