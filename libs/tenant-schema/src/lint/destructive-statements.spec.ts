import { destructiveStatements } from './destructive-statements';

describe('destructiveStatements', () => {
  it.each([
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
  ])('flags %p', (sql, reason) => {
    const [finding] = destructiveStatements([sql]);
    expect(finding?.reason).toContain(reason);
    expect(finding?.statement).toBe(sql);
  });

  it.each([
    'CREATE TABLE invoices (id uuid PRIMARY KEY)',
    'ALTER TABLE orders ADD COLUMN channel text',
    "ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'",
    'CREATE INDEX orders_channel ON orders (channel)',
    'ALTER TABLE orders DROP CONSTRAINT orders_status_check',
    "COMMENT ON COLUMN orders.status IS 'drop column later'",
    'ALTER TABLE orders ALTER COLUMN status SET DEFAULT \'open\'',
  ])('lets %p through', (sql) => {
    expect(destructiveStatements([sql])).toEqual([]);
  });
});
