import { TEST_MSSQL_URL } from '@tenantry/common/testing';
import { connectionParams, provisionTenant, tenantTarget } from '@tenantry/engines/testing';
import { CURRENT_TENANT_SCHEMA_VERSION, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { ConnectionPool } from 'mssql';
import { randomBytes } from 'node:crypto';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { AzureSqlEngine } from './azure-sql.engine';

// Opt-in: a real SQL Server, e.g. docker-compose's: MSSQL_URL=mssql://sa:Tenantry-Dev-2026@127.0.0.1:1433
const MSSQL_URL = TEST_MSSQL_URL;
// Straight to stderr: Jest drops the console output of a file whose tests are all skipped.
if (!MSSQL_URL) {
  process.stderr.write('azure-sql engine against SQL Server: skipped, MSSQL_URL is not set (e.g. MSSQL_URL=mssql://sa:Tenantry-Dev-2026@127.0.0.1:1433)\n');
}

(MSSQL_URL ? describe : describe.skip)('AzureSqlEngine on a real SQL Server (plain server: T-SQL database lifecycle)', () => {
  const server = new URL(MSSQL_URL ?? 'mssql://unset');
  const label = `t${randomBytes(4).toString('hex')}`;
  const engine = new AzureSqlEngine({
    environment: label,
    credential: { getToken: async () => null },
    armEndpoint: 'https://management.azure.com',
    sqlAuth: { kind: 'sql', login: decodeURIComponent(server.username), password: decodeURIComponent(server.password) },
    trustServerCertificate: true,
  });
  const created: TenantDatabaseTarget[] = [];

  function target(code: string): TenantDatabaseTarget {
    const t = tenantTarget(code, label, { engine: 'azure-sql', host: server.hostname, port: Number(server.port || 1433) });
    created.push(t);
    return t;
  }

  async function provision(code: string, password: string) {
    const t = target(code);
    return { t, outcome: await provisionTenant(engine, t, password) };
  }

  /** Connects as the tenant's own user, with the parameters a business service would get. */
  async function connectAs(t: TenantDatabaseTarget, password: string, database?: string): Promise<ConnectionPool> {
    const params = connectionParams(t, password);
    const connection = new ConnectionPool({
      server: params.host,
      port: params.port,
      database: database ?? params.database,
      user: params.username,
      password: params.password,
      options: { encrypt: true, trustServerCertificate: true },
    });
    return connection.connect();
  }

  afterAll(async () => {
    for (const t of created) await engine.dropDatabase(t);
    await engine.close();
  });

  it('provisions a tenant: database, contained user, schema, password; each step run twice is harmless', async () => {
    const { t, outcome } = await provision('alpha', 'Pw-alpha-1-Xy');
    expect(outcome).toEqual({ applied: TENANT_MIGRATIONS.map((migration) => migration.name), version: CURRENT_TENANT_SCHEMA_VERSION });

    await engine.createDatabase(t);
    await engine.ensureLogin(t);
    expect(await engine.applySchema(t)).toEqual({ applied: [], version: CURRENT_TENANT_SCHEMA_VERSION });
    expect(await engine.pendingMigrations(t)).toEqual([]);
    await engine.setLoginPassword(t, 'Pw-alpha-2-Xy');
    expect(await engine.databaseExists(t)).toBe(true);
  });

  it('migrates one database once when two runs start together', async () => {
    const t = target('twice');
    await engine.createDatabase(t);
    expect(await engine.pendingMigrations(t)).toHaveLength(TENANT_MIGRATIONS.length);
    const [a, b] = await Promise.all([engine.applySchema(t), engine.applySchema(t)]);
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, TENANT_MIGRATIONS.length]);
  });

  it('lets the tenant user read and write rows, but not change the schema nor reach another tenant', async () => {
    const { t: alpha } = await provision('gamma', 'Pw-gamma-1-Xy');
    const { t: beta } = await provision('delta', 'Pw-delta-1-Xy');
    const connection = await connectAs(alpha, 'Pw-gamma-1-Xy');
    try {
      expect((await connection.query('SELECT COUNT(*) AS n FROM customers')).recordset).toEqual([{ n: 0 }]);
      await expect(connection.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/i);
      await expect(connection.query('DROP TABLE orders')).rejects.toThrow(/permission|does not exist/i);
      const roles = await connection.query(`SELECT r.name FROM sys.database_role_members m
        JOIN sys.database_principals r ON r.principal_id = m.role_principal_id
        WHERE m.member_principal_id = USER_ID() ORDER BY r.name`);
      expect(roles.recordset.map((row: { name: string }) => row.name)).toEqual(['db_datareader', 'db_datawriter']);
    } finally {
      await connection.close();
    }
    await expect(connectAs(alpha, 'Pw-gamma-1-Xy', beta.databaseName)).rejects.toThrow(/login failed/i);
  });

  it('a disabled user opens no session and loses its open ones when they are ended; enabled again, it connects', async () => {
    const { t } = await provision('zeta', 'Pw-zeta-1-Xy');
    const open = await connectAs(t, 'Pw-zeta-1-Xy');
    open.on('error', () => undefined);
    await engine.setLoginEnabled(t, false);
    await expect(connectAs(t, 'Pw-zeta-1-Xy')).rejects.toThrow(/login failed/i);
    expect(await engine.countSessions(t)).toBeGreaterThanOrEqual(1);
    expect(await engine.endSessions(t)).toBeGreaterThanOrEqual(1);
    await expect(open.query('SELECT 1 AS one')).rejects.toThrow();
    await engine.setLoginEnabled(t, true);
    await (await connectAs(t, 'Pw-zeta-1-Xy')).close();
  });

  it('ends only the sessions opened before a password change when asked to', async () => {
    const { t } = await provision('eta', 'Pw-eta-1-Xy');
    const before = await connectAs(t, 'Pw-eta-1-Xy');
    before.on('error', () => undefined);
    const changedAt = await engine.setLoginPassword(t, 'Pw-eta-2-Xy');
    const after = await connectAs(t, 'Pw-eta-2-Xy');
    try {
      expect(await engine.countSessions(t, changedAt)).toBeGreaterThanOrEqual(1);
      await engine.endSessions(t, changedAt);
      expect(await engine.countSessions(t, changedAt)).toBe(0);
      await expect(before.query('SELECT 1 AS one')).rejects.toThrow();
      expect((await after.query('SELECT 1 AS one')).recordset).toEqual([{ one: 1 }]);
    } finally {
      await after.close();
    }
  });

  it('drops database and user, twice without complaint', async () => {
    const { t } = await provision('epsilon', 'Pw-epsilon-1-Xy');
    await engine.dropLogin(t);
    await engine.dropLogin(t);
    await engine.dropDatabase(t);
    await engine.dropDatabase(t);
    expect(await engine.databaseExists(t)).toBe(false);
  });
});
