import type { TestEnv } from '@tenantry/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { Client } from 'pg';
import type { PostgresEngine } from './postgres.engine';
import { usePostgresEngine } from './postgres-engine.fixture';

describe('PostgresEngine (real server)', () => {
  const fixture = usePostgresEngine();
  let env: TestEnv;
  let engine: PostgresEngine;
  const target = fixture.target;

  async function provision(code: string, password: string) {
    const t = target(code);
    await engine.createDatabase(t);
    await engine.ensureLogin(t);
    const outcome = await engine.applySchema(t);
    await engine.setLoginPassword(t, password);
    return { t, outcome };
  }

  async function connectAs(login: string, password: string, database: string): Promise<Client> {
    const client = new Client({ host: '127.0.0.1', port: 5432, user: login, password, database });
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

  it('two concurrent creations of one database converge on one', async () => {
    const t = target('racer');
    await Promise.all([engine.createDatabase(t), engine.createDatabase(t)]);
    await Promise.all([engine.ensureLogin(t), engine.ensureLogin(t)]);
    expect(await env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [t.databaseName])).toHaveLength(1);
  });

  it('lets the tenant login use rows but not change the schema, nor reach another tenant', async () => {
    const { t: alpha } = await provision('alpha', 'pw-alpha');
    const { t: beta } = await provision('beta', 'pw-beta');
    const client = await connectAs(alpha.loginName, 'pw-alpha', alpha.databaseName);
    try {
      await client.query(`INSERT INTO customers (name) VALUES ('ann')`);
      expect((await client.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(1);
      await expect(client.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/);
      await expect(client.query('DROP TABLE orders')).rejects.toThrow(/must be owner/);
    } finally {
      await client.end();
    }
    await expect(connectAs(alpha.loginName, 'pw-alpha', beta.databaseName)).rejects.toThrow(/permission denied/);
  });

  it('revokes CONNECT from PUBLIC: a role without a grant cannot connect', async () => {
    const { t } = await provision('gamma', 'pw-gamma');
    const stranger = `stranger_${env.label}`;
    await env.sql(`CREATE ROLE ${stranger} LOGIN PASSWORD 'pw'`);
    await expect(connectAs(stranger, 'pw', t.databaseName)).rejects.toThrow(/permission denied/);
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
