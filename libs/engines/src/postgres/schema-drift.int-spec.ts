import type { TestEnv } from '@tenantry/common/testing';
import { usePostgresEngine } from '@tenantry/engines/testing';
import { compareSchemas, CURRENT_TENANT_SCHEMA_VERSION, schemaFingerprint, TENANT_MIGRATIONS, type SchemaSnapshot } from '@tenantry/tenant-schema';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { PostgresEngine } from './postgres.engine';

/** Each kind of drift: what is done to a tenant database at the current version, and the differences an operator reads (exactly). */
const DRIFTS: Array<{ kind: string; sql: string[]; differences: string[] }> = [
  { kind: 'missing table', sql: ['DROP TABLE order_lines'], differences: ['table order_lines missing'] },
  { kind: 'extra table', sql: ['CREATE TABLE notes (id int)'], differences: ['table notes unexpected'] },
  { kind: 'missing column', sql: ['ALTER TABLE customers DROP COLUMN email'], differences: ['column customers.email missing'] },
  { kind: 'extra column', sql: ['ALTER TABLE orders ADD COLUMN note text'], differences: ['column orders.note unexpected'] },
  {
    kind: 'type change',
    sql: ['ALTER TABLE customers ALTER COLUMN email TYPE varchar(200)'],
    differences: ['column customers.email is character varying(200), expected text'],
  },
  { kind: 'type widened', sql: ['ALTER TABLE order_lines ALTER COLUMN quantity TYPE bigint'], differences: ['column order_lines.quantity is bigint, expected integer'] },
  { kind: 'NOT NULL dropped', sql: ['ALTER TABLE customers ALTER COLUMN name DROP NOT NULL'], differences: ['column customers.name is nullable, expected NOT NULL'] },
  { kind: 'NOT NULL added', sql: ['ALTER TABLE customers ALTER COLUMN email SET NOT NULL'], differences: ['column customers.email is NOT NULL, expected nullable'] },
  {
    kind: 'default changed',
    sql: [`ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'`],
    differences: [`column orders.status defaults to 'new'::text, expected 'open'::text`],
  },
  { kind: 'default removed', sql: ['ALTER TABLE orders ALTER COLUMN total_cents DROP DEFAULT'], differences: ['column orders.total_cents has no default, expected 0'] },
  {
    kind: 'default added',
    sql: [`ALTER TABLE customers ALTER COLUMN email SET DEFAULT ''`],
    differences: [`column customers.email defaults to ''::text, expected no default`],
  },
  { kind: 'index missing', sql: ['DROP INDEX orders_created_at'], differences: ['index orders_created_at on orders missing'] },
  { kind: 'index extra', sql: ['CREATE INDEX orders_status_idx ON orders (status)'], differences: ['index orders_status_idx on orders unexpected'] },
  {
    kind: 'index columns changed',
    sql: ['DROP INDEX orders_created_at', 'CREATE INDEX orders_created_at ON orders (created_at, status)'],
    differences: ['index orders_created_at on orders is btree (created_at, status), expected btree (created_at)'],
  },
  {
    kind: 'index made unique',
    sql: ['DROP INDEX order_lines_order_id', 'CREATE UNIQUE INDEX order_lines_order_id ON order_lines (order_id)'],
    differences: ['index order_lines_order_id on order_lines is unique, expected not unique'],
  },
  {
    kind: 'index made partial',
    sql: ['DROP INDEX orders_created_at', `CREATE INDEX orders_created_at ON orders (created_at) WHERE status = 'open'`],
    differences: [`index orders_created_at on orders is btree (created_at) WHERE (status = 'open'::text), expected btree (created_at)`],
  },
  {
    kind: 'primary key missing',
    sql: ['ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey'],
    differences: ['primary key order_lines_pkey on order_lines missing'],
  },
  {
    kind: 'foreign key missing',
    sql: ['ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey'],
    differences: ['foreign key order_lines_order_id_fkey on order_lines missing'],
  },
  {
    kind: 'foreign key action changed',
    sql: [
      'ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey',
      'ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id)',
    ],
    differences: [
      'foreign key order_lines_order_id_fkey on order_lines is FOREIGN KEY (order_id) REFERENCES orders(id), expected FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE',
    ],
  },
  { kind: 'unique constraint missing', sql: ['ALTER TABLE orders DROP CONSTRAINT orders_number_key'], differences: ['unique orders_number_key on orders missing'] },
  {
    kind: 'check constraint changed',
    sql: ['ALTER TABLE order_lines DROP CONSTRAINT order_lines_quantity_check', 'ALTER TABLE order_lines ADD CONSTRAINT order_lines_quantity_check CHECK (quantity > 1)'],
    differences: ['check order_lines_quantity_check on order_lines is CHECK ((quantity > 1)), expected CHECK ((quantity > 0))'],
  },
  {
    kind: 'check constraint missing',
    sql: ['ALTER TABLE order_lines DROP CONSTRAINT order_lines_unit_price_cents_check'],
    differences: ['check order_lines_unit_price_cents_check on order_lines missing'],
  },
  {
    kind: 'check constraint extra',
    sql: [`ALTER TABLE customers ADD CONSTRAINT customers_name_check CHECK (name <> '')`],
    differences: ['check customers_name_check on customers unexpected'],
  },
  { kind: 'sequence extra', sql: ['CREATE SEQUENCE invoice_numbers'], differences: ['sequence invoice_numbers unexpected'] },
  { kind: 'sequence changed', sql: ['ALTER SEQUENCE orders_number_seq INCREMENT BY 10'], differences: ['sequence orders_number_seq increment is 10, expected 1'] },
  {
    kind: 'identity and its sequence removed',
    sql: ['ALTER TABLE orders ALTER COLUMN number DROP IDENTITY'],
    differences: ['column orders.number identity is none, expected always', 'sequence orders_number_seq missing'],
  },
  {
    kind: 'half-applied migration (a later table created by hand, outside the migrations)',
    sql: ['CREATE TABLE invoices (id uuid PRIMARY KEY, order_id uuid REFERENCES orders (id))'],
    differences: ['table invoices unexpected'],
  },
];

describe('schema drift on PostgreSQL: fingerprint, expected schema per version, differences', () => {
  const fixture = usePostgresEngine();
  let env: TestEnv;
  let engine: PostgresEngine;
  let base: TenantDatabaseTarget;
  let expected: SchemaSnapshot;

  const clone = async (name: string, sql: string[]): Promise<TenantDatabaseTarget> => {
    const target = { ...fixture.target(name), databaseName: `drift_${name}_${env.label}` };
    await env.sql(`CREATE DATABASE "${target.databaseName}" TEMPLATE "${base.databaseName}"`);
    for (const statement of sql) await env.sql(statement, [], target.databaseName);
    return target;
  };

  beforeAll(async () => {
    env = fixture.env();
    engine = fixture.engine();
    base = fixture.target('base');
    await engine.createDatabase(base);
    await engine.applySchema(base);
    expected = await engine.expectedSchema(CURRENT_TENANT_SCHEMA_VERSION, base, env.label);
  });

  it('builds the expected schema on a scratch database it drops, equal to a tenant migrated the usual way', async () => {
    expect(await env.sql(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`tenantry\\_drift\\_${env.label}\\_%`])).toEqual([]);
    const { snapshot: actual, version } = await engine.readSchema(base);
    expect(version).toBe(CURRENT_TENANT_SCHEMA_VERSION);
    expect(schemaFingerprint(actual)).toBe(schemaFingerprint(expected));
    expect(Object.keys(expected.tables).sort()).toEqual(['customers', 'order_lines', 'orders']);
    // The migrations table is the runner's bookkeeping, not the tenant's schema.
    expect(expected.sequences).not.toHaveProperty('tenant_migrations_id_seq');
  });

  it('builds the schema of an older version from its own migrations', async () => {
    const older = await engine.expectedSchema(TENANT_MIGRATIONS[0].name, base, env.label);
    expect(Object.keys(older.tables)).toEqual(['customers']);
    expect(compareSchemas(expected, older).map((d) => d.description)).toEqual([
      'sequence orders_number_seq unexpected',
      'table order_lines unexpected',
      'table orders unexpected',
    ]);
  });

  it.each(DRIFTS)('detects and describes: $kind', async ({ kind, sql, differences }) => {
    const target = await clone(kind.replace(/\W+/g, '_').slice(0, 20).toLowerCase(), sql);
    const { snapshot: actual } = await engine.readSchema(target);
    expect(schemaFingerprint(actual)).not.toBe(schemaFingerprint(expected));
    expect(compareSchemas(actual, expected).map((d) => d.description)).toEqual(differences);
  });

  it('detects a length change (varchar(200) where varchar(100) is expected)', async () => {
    const { snapshot: narrow } = await engine.readSchema(await clone('narrow', ['ALTER TABLE customers ALTER COLUMN email TYPE varchar(100)']));
    const { snapshot: wide } = await engine.readSchema(await clone('wide', ['ALTER TABLE customers ALTER COLUMN email TYPE varchar(200)']));
    expect(compareSchemas(wide, narrow).map((d) => d.description)).toEqual(['column customers.email is character varying(200), expected character varying(100)']);
  });

  it('is not fooled by rows, a renamed generated constraint name, grants, or the migrations table', async () => {
    const target = await clone('benign', [
      `INSERT INTO customers (name) VALUES ('a')`,
      'ALTER TABLE orders RENAME CONSTRAINT orders_number_key TO orders_number_unique',
      `INSERT INTO tenant_migrations (timestamp, name) VALUES (1, 'Hand1')`,
      'CREATE ROLE drift_reader_' + env.label,
      `GRANT SELECT ON customers TO drift_reader_${env.label}`,
    ]);
    expect(compareSchemas((await engine.readSchema(target)).snapshot, expected)).toEqual([]);
  });
});
