import { compareSchemas } from './schema-differences';
import { normaliseExpression, schemaFingerprint, snapshotFromCatalog } from './schema-snapshot';

/**
 * What SCHEMA_CATALOG_QUERIES.mssql answers for the current tenant schema on SQL Server (one row, each
 * column FOR JSON text), written from the T-SQL migrations: no SQL Server runs here, so the T-SQL path
 * is tested from its answer on. A mutation of it is what a drifted database would answer.
 */
function tsqlAnswer() {
  const columns = [
    ['customers', 'id', 'uniqueidentifier', false, '(newid())', null],
    ['customers', 'name', 'nvarchar(max)', false, null, null],
    ['customers', 'email', 'nvarchar(max)', true, null, null],
    ['customers', 'created_at', 'datetimeoffset(7)', false, '(sysdatetimeoffset())', null],
    ['orders', 'id', 'uniqueidentifier', false, '(newid())', null],
    ['orders', 'number', 'bigint', false, null, 'identity(1,1)'],
    ['orders', 'customer_id', 'uniqueidentifier', true, null, null],
    ['orders', 'status', 'nvarchar(max)', false, "(N'open')", null],
    ['orders', 'total_cents', 'bigint', false, '((0))', null],
    ['orders', 'created_at', 'datetimeoffset(7)', false, '(sysdatetimeoffset())', null],
    ['order_lines', 'id', 'uniqueidentifier', false, '(newid())', null],
    ['order_lines', 'order_id', 'uniqueidentifier', false, null, null],
    ['order_lines', 'sku', 'nvarchar(max)', false, null, null],
    ['order_lines', 'quantity', 'int', false, null, null],
    ['order_lines', 'unit_price_cents', 'bigint', false, null, null],
  ].map(([table, name, type, nullable, fallback, identity]) => ({ table, name, type, nullable, default: fallback, identity, generated: null }));
  return {
    tables: JSON.stringify([{ table: 'customers' }, { table: 'orders' }, { table: 'order_lines' }]),
    columns: JSON.stringify(columns),
    indexes: JSON.stringify([
      { table: 'orders', name: 'orders_created_at', unique: false, definition: 'nonclustered (created_at)' },
      { table: 'order_lines', name: 'order_lines_order_id', unique: false, definition: 'nonclustered (order_id)' },
    ]),
    constraints: JSON.stringify([
      { table: 'customers', name: 'PK_customers', kind: 'p', definition: 'PRIMARY KEY clustered (id)' },
      { table: 'orders', name: 'PK_orders', kind: 'p', definition: 'PRIMARY KEY nonclustered (id)' },
      { table: 'orders', name: 'UQ_orders_number', kind: 'u', definition: 'UNIQUE clustered (number)' },
      { table: 'orders', name: 'FK_orders_customer', kind: 'f', definition: 'FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE SET NULL ON UPDATE NO ACTION' },
      { table: 'order_lines', name: 'PK_order_lines', kind: 'p', definition: 'PRIMARY KEY clustered (id)' },
      { table: 'order_lines', name: 'FK_order_lines_order', kind: 'f', definition: 'FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE ON UPDATE NO ACTION' },
      { table: 'order_lines', name: 'CK_order_lines_quantity', kind: 'c', definition: 'CHECK ([quantity]>(0))' },
      { table: 'order_lines', name: 'CK_order_lines_unit_price_cents', kind: 'c', definition: 'CHECK ([unit_price_cents]>=(0))' },
    ]),
    // FOR JSON answers NULL, not [], when there is nothing.
    sequences: null,
  };
}

type Answer = ReturnType<typeof tsqlAnswer>;

function drifted(
  change: (parts: { columns: Array<Record<string, unknown>>; indexes: Array<Record<string, unknown>>; constraints: Array<Record<string, unknown>> }) => void,
) {
  const answer: Answer = tsqlAnswer();
  const parts = { columns: JSON.parse(answer.columns), indexes: JSON.parse(answer.indexes), constraints: JSON.parse(answer.constraints) };
  change(parts);
  return snapshotFromCatalog({
    ...answer,
    columns: JSON.stringify(parts.columns),
    indexes: JSON.stringify(parts.indexes),
    constraints: JSON.stringify(parts.constraints),
  });
}

type Parts = Parameters<Parameters<typeof drifted>[0]>[0];

const column = (parts: Parts, table: string, name: string) => parts.columns.find((c) => c.table === table && c.name === name)!;

describe('drift on the T-SQL path (fixtures of the sys.* catalog answer)', () => {
  const expected = snapshotFromCatalog(tsqlAnswer());

  it('reads the FOR JSON answer, with the parentheses SQL Server wraps defaults in taken off', () => {
    expect(expected.tables.orders.columns.total_cents).toEqual({ type: 'bigint', nullable: false, default: '0', identity: null, generated: null });
    expect(expected.tables.orders.columns.status.default).toBe("N'open'");
    expect(expected.sequences).toEqual({});
    expect(compareSchemas(snapshotFromCatalog(tsqlAnswer()), expected)).toEqual([]);
  });

  it('hashes the same schema the same, whatever order the catalog listed it in', () => {
    const answer = tsqlAnswer();
    const reversed = { ...answer, columns: JSON.stringify(JSON.parse(answer.columns).reverse()), constraints: JSON.stringify(JSON.parse(answer.constraints).reverse()) };
    expect(schemaFingerprint(snapshotFromCatalog(reversed))).toBe(schemaFingerprint(expected));
  });

  it.each([
    ['length change', (p: Parts) => (column(p, 'customers', 'email').type = 'nvarchar(200)'), 'column customers.email is nvarchar(200), expected nvarchar(max)'],
    ['nullability', (p: Parts) => (column(p, 'customers', 'name').nullable = true), 'column customers.name is nullable, expected NOT NULL'],
    ['default changed', (p: Parts) => (column(p, 'orders', 'total_cents').default = '((1))'), 'column orders.total_cents defaults to 1, expected 0'],
    ['identity removed', (p: Parts) => (column(p, 'orders', 'number').identity = null), 'column orders.number identity is none, expected identity(1,1)'],
    [
      'clustered index changed',
      (p: Parts) => (p.constraints.find((c) => c.name === 'PK_orders')!.definition = 'PRIMARY KEY clustered (id)'),
      'primary key PK_orders on orders is PRIMARY KEY clustered (id), expected PRIMARY KEY nonclustered (id)',
    ],
    [
      'index missing',
      (p: Parts) =>
        p.indexes.splice(
          p.indexes.findIndex((i) => i.name === 'orders_created_at'),
          1,
        ),
      'index orders_created_at on orders missing',
    ],
    [
      'check changed',
      (p: Parts) => (p.constraints.find((c) => c.name === 'CK_order_lines_quantity')!.definition = 'CHECK ([quantity]>(1))'),
      'check CK_order_lines_quantity on order_lines is CHECK ([quantity]>(1)), expected CHECK ([quantity]>(0))',
    ],
  ])('detects and describes: %s', (_kind, change, description) => {
    expect(compareSchemas(drifted(change), expected).map((d) => d.description)).toEqual([description]);
  });

  it('takes a constraint whose generated name differs (DF__orders__…, PK__orders__…) for the same constraint', () => {
    const renamed = drifted((p) => (p.constraints.find((c) => c.name === 'PK_customers')!.name = 'PK__customers__3213E83F'));
    expect(compareSchemas(renamed, expected)).toEqual([]);
  });
});

describe('normaliseExpression', () => {
  it('takes off only the parentheses that enclose the whole expression', () => {
    expect(normaliseExpression('((0))')).toBe('0');
    expect(normaliseExpression('(a) + (b)')).toBe('(a) + (b)');
    expect(normaliseExpression(null)).toBeNull();
  });
});
