import { TENANT_DIALECTS, type TenantDialect } from '../tenant-dialect';
import { destructiveStatements } from './destructive-statements';

const FLAGGED: Record<TenantDialect, Array<[string, string]>> = {
  postgres: [
    ['ALTER TABLE orders DROP COLUMN status', 'drops a column'],
    ['alter table "orders" drop "status"', 'drops a column'],
    ['DROP TABLE customers', 'drops an object'],
    ['ALTER TABLE orders RENAME COLUMN status TO state', 'renames'],
    ['ALTER TABLE orders RENAME TO purchases', 'renames'],
    ['ALTER TABLE orders ALTER COLUMN total_cents TYPE numeric', 'changes a column type'],
    ['ALTER TABLE orders ALTER COLUMN status SET NOT NULL', 'adds NOT NULL'],
    ['ALTER TABLE orders ALTER COLUMN status DROP DEFAULT', 'drops a default'],
    ['ALTER TABLE orders ADD COLUMN channel text NOT NULL', 'NOT NULL column without a default'],
    ['TRUNCATE orders', 'deletes data'],
  ],
  mssql: [
    ['DROP TABLE customers', 'drops an object'],
    ['DROP TABLE IF EXISTS [dbo].[customers]', 'drops an object'],
    ['drop view dbo.order_totals', 'drops an object'],
    ['ALTER TABLE orders DROP COLUMN status', 'drops a column'],
    ['ALTER TABLE [dbo].[orders] DROP COLUMN IF EXISTS [status], [channel]', 'drops a column'],
    ['ALTER TABLE "orders" DROP CONSTRAINT "DF_orders_status", COLUMN "status"', 'drops a column'],
    ["EXEC sp_rename 'orders.status', 'state', 'COLUMN'", 'renames'],
    ["EXECUTE dbo.sp_rename N'orders', N'purchases'", 'renames'],
    ["exec sys.sp_rename @objname = N'orders.status', @newname = N'state'", 'renames'],
    ['ALTER TABLE orders ALTER COLUMN total_cents decimal(19, 0) NULL', 'changes a column type'],
    ['ALTER TABLE orders ALTER COLUMN status nvarchar(max) NOT NULL', 'adds NOT NULL'],
    ['ALTER TABLE orders DROP CONSTRAINT DF_orders_status', 'drops a default'],
    ['ALTER TABLE [orders] DROP CONSTRAINT IF EXISTS [DF__orders__status__3B75D760]', 'drops a default'],
    [
      `DECLARE @df sysname = (SELECT name FROM sys.default_constraints WHERE parent_object_id = OBJECT_ID(N'orders'));
       EXEC(N'ALTER TABLE orders DROP CONSTRAINT ' + QUOTENAME(@df))`,
      'drops a default',
    ],
    ['TRUNCATE TABLE orders', 'deletes data'],
    ['ALTER TABLE orders ADD channel nvarchar(20) NOT NULL', 'NOT NULL column without a default'],
    ['ALTER TABLE orders ADD note nvarchar(max) NULL, channel nvarchar(20) NOT NULL', 'NOT NULL column without a default'],
    // T-SQL needs no semicolon between statements: the second one of the batch is found.
    ['CREATE TABLE invoices (id int NOT NULL) DROP TABLE customers', 'drops an object'],
    ["IF OBJECT_ID(N'customers', N'U') IS NOT NULL DROP TABLE customers", 'drops an object'],
    // Dynamic SQL is read as well.
    ["EXEC('ALTER TABLE orders DROP COLUMN status')", 'drops a column'],
    ["EXEC sp_executesql N'TRUNCATE TABLE orders'", 'deletes data'],
  ],
};

const LET_THROUGH: Record<TenantDialect, string[]> = {
  postgres: [
    'CREATE TABLE invoices (id uuid PRIMARY KEY)',
    'ALTER TABLE orders ADD COLUMN channel text',
    "ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'",
    'CREATE INDEX orders_channel ON orders (channel)',
    'ALTER TABLE orders DROP CONSTRAINT orders_status_check',
    "COMMENT ON COLUMN orders.status IS 'drop column later'",
    "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open'",
  ],
  mssql: [
    'CREATE TABLE invoices (id uniqueidentifier NOT NULL CONSTRAINT DF_invoices_id DEFAULT NEWID(), CONSTRAINT PK_invoices PRIMARY KEY (id))',
    'ALTER TABLE orders ADD channel nvarchar(20) NULL',
    "ALTER TABLE orders ADD channel nvarchar(20) NOT NULL CONSTRAINT DF_orders_channel DEFAULT N'web'",
    'ALTER TABLE orders ADD sequence bigint IDENTITY(1, 1) NOT NULL',
    'ALTER TABLE orders ADD total_with_tax AS (total_cents * 2)',
    'ALTER TABLE orders ADD CONSTRAINT CK_orders_status CHECK (status IS NOT NULL)',
    'ALTER TABLE orders WITH CHECK ADD CONSTRAINT FK_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)',
    "ALTER TABLE orders ADD CONSTRAINT DF_orders_status DEFAULT N'open' FOR status",
    'CREATE INDEX orders_channel ON orders (channel) WITH (DROP_EXISTING = OFF)',
    'ALTER TABLE orders DROP CONSTRAINT CK_orders_status',
    'ALTER TABLE orders ALTER COLUMN id ADD ROWGUIDCOL',
    "EXEC sp_addextendedproperty N'MS_Description', N'drop column later; DROP TABLE x', N'SCHEMA', N'dbo'",
    "INSERT INTO notes (body) VALUES (N'ALTER TABLE orders DROP COLUMN status') -- DROP TABLE orders",
    '/* TRUNCATE TABLE orders */ SELECT 1',
    'ALTER TABLE [order lines] ADD [unit note] nvarchar(50) NULL',
  ],
};

describe.each(TENANT_DIALECTS)('destructiveStatements on %s', (dialect) => {
  it.each(FLAGGED[dialect])('flags %p', (sql, reason) => {
    const [finding] = destructiveStatements([sql], dialect);
    expect(finding?.reason).toContain(reason);
    expect(finding?.statement).toBe(sql.replace(/\s+/g, ' ').trim());
  });

  it.each(LET_THROUGH[dialect])('lets %p through', (sql) => {
    expect(destructiveStatements([sql], dialect)).toEqual([]);
  });
});
