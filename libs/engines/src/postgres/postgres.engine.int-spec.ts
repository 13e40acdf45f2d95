import type { TestEnv } from '@tenantry/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { Client } from 'pg';
import { provisionTenant } from '../../testing';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { PostgresEngine } from './postgres.engine';
import { usePostgresEngine } from './postgres-engine.fixture';

describe('PostgresEngine (real server)', () => {
  const fixture = usePostgresEngine();
  let env: TestEnv;
  let engine: PostgresEngine;
  const target = fixture.target;

  async function provision(code: string, password: string) {
    const t = target(code);
    return { t, outcome: await provisionTenant(engine, t, password) };
  }

  /** Connects with the parameters a business service would get; `database` overrides the tenant's own. */
  async function connectAs(t: TenantDatabaseTarget, password: string, database?: string): Promise<Client> {
    const params = engine.connectionParams(t, password);
    const { host, port, username: user } = params;
    const client = new Client({ host, port, user, password, database: database ?? params.database });
    await client.connect();
    return client;
  }

  beforeAll(() => {
    env = fixture.env();
    engine = fixture.engine();
  });

  it('creates a database, a login and the schema; each step run twice is harmless', async () => {
    const { t, outcome } = await provision('alpha', 'pw-alpha-1');
    expect(outcome.applied).toHaveLength(3);
    expect(outcome.version).toBe(CURRENT_TENANT_SCHEMA_VERSION);

    await engine.createDatabase(t);
    await engine.ensureLogin(t);
    expect((await engine.applySchema(t)).applied).toEqual([]);
    await engine.setLoginPassword(t, 'pw-alpha-2');
    expect(await engine.databaseExists(t)).toBe(true);
    expect(await engine.loginExists(t)).toBe(true);
  });

  it('two concurrent schema runs on one database migrate it once, and neither fails', async () => {
    const t = target('twice');
    await engine.createDatabase(t);
    const [a, b] = await Promise.all([engine.applySchema(t), engine.applySchema(t)]);
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, 3]);
    expect(a.version).toBe(CURRENT_TENANT_SCHEMA_VERSION);
    expect(b.version).toBe(CURRENT_TENANT_SCHEMA_VERSION);
  });

  it('two concurrent creations of one database converge on one', async () => {
    const t = target('racer');
    await Promise.all([engine.createDatabase(t), engine.createDatabase(t)]);
    await Promise.all([engine.ensureLogin(t), engine.ensureLogin(t)]);
    expect(await env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [t.databaseName])).toHaveLength(1);
  });

  it('lets the tenant login use rows but not change the schema, nor reach another tenant', async () => {
    const { t: alpha } = await provision('alpha', 'pw-alpha');
    const { t: beta } = await provision('beta', 'pw-beta');
    expect(engine.connectionParams(alpha, 'pw-alpha')).toEqual({
      engine: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      database: alpha.databaseName,
      username: alpha.loginName,
      password: 'pw-alpha',
    });
    const client = await connectAs(alpha, 'pw-alpha');
    try {
      const customer = (await client.query(`INSERT INTO customers (name) VALUES ('ann') RETURNING id`)).rows[0];
      const order = (
        await client.query(`INSERT INTO orders (customer_id, total_cents) VALUES ($1, 900) RETURNING id, number`, [customer.id])
      ).rows[0];
      await client.query(`INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES ($1, 'pen', 3, 300)`, [order.id]);
      await client.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [order.id]);
      const { rows } = await client.query(
        `SELECT o.status, o.number, count(l.*)::int AS lines FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id`,
      );
      expect(rows).toEqual([{ status: 'paid', number: order.number, lines: 1 }]);
      await expect(client.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/);
      await expect(client.query('DROP TABLE orders')).rejects.toThrow(/must be owner/);
    } finally {
      await client.end();
    }
    await expect(connectAs(alpha, 'pw-alpha', beta.databaseName)).rejects.toThrow(/permission denied/);
  });

  it('revokes CONNECT from PUBLIC: a role without a grant cannot connect', async () => {
    const { t } = await provision('gamma', 'pw-gamma');
    const stranger = `stranger_${env.label}`;
    await env.sql(`CREATE ROLE ${stranger} LOGIN PASSWORD 'pw'`);
    await expect(connectAs({ ...t, loginName: stranger }, 'pw')).rejects.toThrow(/permission denied/);
  });

  it('drops database and login, twice without complaint', async () => {
    const { t } = await provision('delta', 'pw-delta');
    await engine.dropDatabase(t);
    await engine.dropLogin(t);
    await engine.dropDatabase(t);
    await engine.dropLogin(t);
    expect(await engine.databaseExists(t)).toBe(false);
    expect(await engine.loginExists(t)).toBe(false);
  });
});
