import { DialectMigration } from '../dialect-migration';

export class CreateCustomers1764000000000 extends DialectMigration {
  readonly phase = 'expand' as const;

  protected readonly upSteps = {
    postgres: [
      `CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
    // Constraints are named so that a later contract migration can drop them by name.
    mssql: [
      `CREATE TABLE customers (
        id uniqueidentifier NOT NULL CONSTRAINT DF_customers_id DEFAULT NEWID(),
        name nvarchar(max) NOT NULL,
        email nvarchar(max) NULL,
        created_at datetimeoffset NOT NULL CONSTRAINT DF_customers_created_at DEFAULT SYSDATETIMEOFFSET(),
        CONSTRAINT PK_customers PRIMARY KEY (id)
      )`,
    ],
  };

  protected readonly downSteps = {
    postgres: [`DROP TABLE customers`],
    mssql: [`DROP TABLE customers`],
  };
}
