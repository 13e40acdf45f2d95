import type { TestEnv } from '@tenantry/common/testing';
import { connectionParams, provisionTenant, usePostgresEngine } from '@tenantry/engines/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { PostgresEngine } from './postgres.engine';

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
    const params = connectionParams(t, password);
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
    const client = await connectAs(alpha, 'pw-alpha');
    try {
      const customer = (await client.query(`INSERT INTO customers (name) VALUES ('ann') RETURNING id`)).rows[0];
      const order = (await client.query(`INSERT INTO orders (customer_id, total_cents) VALUES ($1, 900) RETURNING id, number`, [customer.id])).rows[0];
      await client.query(`INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES ($1, 'pen', 3, 300)`, [order.id]);
      await client.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [order.id]);
      const { rows } = await client.query(`SELECT o.status, o.number, count(l.*)::int AS lines FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id`);
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

  describe("a database or login of the tenant's name that Tenantry did not make for it", () => {
    const stray = () => `stray_${env.label}`;
    const conflict = (message: RegExp) => expect.objectContaining({ name: 'TenantDatabaseConflict', message: expect.stringMatching(message) });

    beforeAll(async () => {
      await env.sql(`CREATE ROLE ${stray()} LOGIN CREATEDB`);
      // The worker revokes PUBLIC's CONNECT on the maintenance database; a squatter with its own grant still gets in.
      await env.sql(`GRANT CONNECT ON DATABASE postgres TO ${stray()}`);
    });

    it('made by hand (by the same superuser, unmarked): refused, never adopted; once dropped, created', async () => {
      const t = target('handmade');
      await env.sql(`CREATE DATABASE ${t.databaseName}`);
      await env.sql('CREATE TABLE customers (stray int)', [], t.databaseName);
      await expect(engine.createDatabase(t)).rejects.toEqual(
        conflict(/database "tenant_handmade_\w+" already exists and is not this tenant's: Tenantry did not create it: it carries no Tenantry mark \(owner "postgres"\)/),
      );
      await env.sql(`DROP DATABASE ${t.databaseName}`);
      await provisionTenant(engine, t, 'pw');
      expect((await engine.applySchema(t)).version).toBe(CURRENT_TENANT_SCHEMA_VERSION);
    });

    it('made by another role: refused, naming that role; deleting the tenant leaves it alone', async () => {
      const t = target('squatted');
      const squatter = new Client({ connectionString: env.databaseUrl('postgres').replace('postgres@', `${stray()}@`) });
      await squatter.connect();
      await squatter.query(`CREATE DATABASE ${t.databaseName}`);
      await squatter.end();
      await expect(engine.createDatabase(t)).rejects.toEqual(conflict(new RegExp(`it belongs to role "${stray()}", not to the role Tenantry creates`)));
      await engine.dropDatabase(t);
      expect(await engine.databaseExists(t)).toBe(true);
      await env.sql(`DROP DATABASE ${t.databaseName}`);
    });

    it('marked for another tenant: refused', async () => {
      const t = target('marked');
      await engine.createDatabase({ ...t, tenantId: 'someone-else' });
      await expect(engine.createDatabase(t)).rejects.toEqual(conflict(/it is marked "tenantry:tenant=someone-else", not as this tenant's/));
    });

    it('a login created by someone else: refused, never given a password or grants', async () => {
      const t = target('loginless');
      await engine.createDatabase(t);
      await env.sql(`CREATE ROLE ${t.loginName} LOGIN`);
      await expect(engine.ensureLogin(t)).rejects.toEqual(
        conflict(/login "tenant_loginless_\w+_app" already exists and is not this tenant's: Tenantry did not create it/),
      );
      const [grant] = await env.sql<{ can: boolean }>(`SELECT has_database_privilege($2, $1, 'CONNECT') AS can`, [t.databaseName, t.loginName]);
      expect(grant.can).toBe(false);
      await engine.dropLogin(t);
      await env.sql(`DROP ROLE IF EXISTS ${t.loginName}`);
      await engine.ensureLogin(t);
      expect(await engine.loginExists(t)).toBe(true);
    });

    it('a crash between creating the database and marking it (a staging database left unmarked) still converges', async () => {
      const t = target('crashed');
      const staging = `tenantry_n_crashed_${env.label}`;
      await env.sql(`CREATE DATABASE ${staging}`);
      await engine.createDatabase(t);
      expect(await engine.databaseExists(t)).toBe(true);
      expect(await env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [staging])).toEqual([]);
      await engine.createDatabase(t);
    });

    it('a crash between marking the staged database and renaming it: the staged one is put in place', async () => {
      const t = target('staged');
      await engine.fastPath.createFromTemplate(t, await engine.fastPath.ensureTemplate(env.label));
      const [{ oid }] = await env.sql<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [`tenantry_n_staged_${env.label}`]);
      await engine.createDatabase(t);
      expect(await env.sql<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [t.databaseName])).toEqual([{ oid }]);
    });
  });

  it("closes the server's own databases to PUBLIC: a tenant login reaches its own database only", async () => {
    const { t } = await provision('epsilon', 'pw-epsilon');
    for (const database of ['postgres', 'template1']) {
      await expect(connectAs(t, 'pw-epsilon', database)).rejects.toThrow(/permission denied/);
    }
    const reachable = await env.sql<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datallowconn AND has_database_privilege($1, datname, 'CONNECT')
          AND (datname IN ('postgres', 'template1') OR datname LIKE $2) ORDER BY datname`,
      [t.loginName, `%\\_${env.label}%`],
    );
    expect(reachable.map((row) => row.datname)).toEqual([t.databaseName]);
    // The engine's own role still works there, and securing again changes nothing.
    await engine.secureServer();
    expect(await engine.databaseExists(t)).toBe(true);
  });

  it('a disabled login opens no session and loses its open ones when they are ended; enabled again, it connects', async () => {
    const { t } = await provision('zeta', 'pw-zeta');
    const open = await connectAs(t, 'pw-zeta');
    open.on('error', () => undefined);
    await engine.setLoginEnabled(t, false);
    await expect(connectAs(t, 'pw-zeta')).rejects.toThrow(/not permitted to log in/);
    // A new password does not enable a suspended login again.
    await engine.setLoginPassword(t, 'pw-zeta-2');
    await expect(connectAs(t, 'pw-zeta-2')).rejects.toThrow(/not permitted to log in/);
    expect(await engine.countSessions(t)).toBe(1);
    expect(await engine.endSessions(t)).toBe(1);
    await expect(open.query('SELECT 1')).rejects.toThrow();
    await engine.setLoginEnabled(t, true);
    const again = await connectAs(t, 'pw-zeta-2');
    await again.end();
  });

  it('ends only the sessions opened before a password change when asked to', async () => {
    const { t } = await provision('eta', 'pw-eta');
    const before = await connectAs(t, 'pw-eta');
    before.on('error', () => undefined);
    const changedAt = await engine.setLoginPassword(t, 'pw-eta-2');
    const after = await connectAs(t, 'pw-eta-2');
    try {
      expect(await engine.countSessions(t)).toBe(2);
      expect(await engine.countSessions(t, changedAt)).toBe(1);
      expect(await engine.endSessions(t, changedAt)).toBe(1);
      await expect(before.query('SELECT 1')).rejects.toThrow();
      expect((await after.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 0 }]);
    } finally {
      await after.end();
    }
  });

  it("restores a dump side by side, shut to the login until granted; closing one database leaves the login its other ones; a name that is not the tenant's is refused", async () => {
    const { t } = await provision('rho', 'pw-rho');
    await env.sql(`INSERT INTO orders (total_cents) VALUES (7)`, [], t.databaseName);
    const dump = join(mkdtempSync(join(tmpdir(), 'tenantry-dump-')), 'rho.dump');
    await engine.dumpDatabase(t, dump);
    const side = { ...t, databaseName: `tenantry_r_00000001_${env.label}_rho` };
    await env.sql(`CREATE DATABASE ${side.databaseName}`);
    await env.sql('CREATE TABLE stray (n int)', [], side.databaseName);
    // A partial copy of an interrupted attempt is the tenant's to replace; an unmarked one of another role would not be.
    await engine.restoreDatabase(side, { file: dump, jobs: 2 });
    await engine.restoreDatabase(side, { file: dump, jobs: 1 });
    expect(await env.sql('SELECT total_cents::int AS n FROM orders', [], side.databaseName)).toEqual([{ n: 7 }]);
    await expect(engine.schemaVersionAsTenant(side, 'pw-rho')).rejects.toThrow();
    await engine.ensureLogin(side);
    expect(await engine.schemaVersionAsTenant(side, 'pw-rho')).toBe(CURRENT_TENANT_SCHEMA_VERSION);

    const live = await connectAs(t, 'pw-rho');
    // Ended by closeDatabase, on purpose.
    live.on('error', () => undefined);
    try {
      expect(await engine.closeDatabase(t)).toBe(1);
      await expect(live.query('SELECT 1')).rejects.toThrow();
      await expect(connectAs(t, 'pw-rho')).rejects.toThrow('permission denied');
      expect(await engine.schemaVersionAsTenant(side, 'pw-rho')).toBe(CURRENT_TENANT_SCHEMA_VERSION);
    } finally {
      await live.end().catch(() => undefined);
    }
    await expect(engine.restoreDatabase({ ...side, tenantId: 'someone-else' }, { file: dump, jobs: 1 })).rejects.toEqual(
      expect.objectContaining({ name: 'TenantDatabaseConflict', message: expect.stringMatching(/it is marked "tenantry:tenant=[^"]+", not as this tenant's/) }),
    );
    await expect(engine.restoreDatabase(side, { pointInTime: new Date(), from: t })).rejects.toThrow('PostgreSQL keeps no point-in-time history');
    rmSync(dirname(dump), { recursive: true, force: true });
  });

  it('restores a paced dump to the same database as an unpaced one, at no more than its pace; a broken dump fails it', async () => {
    const { t } = await provision('pace', 'pw-pace');
    await env.sql(
      `WITH o AS (INSERT INTO orders (total_cents) SELECT g FROM generate_series(1, 2000) g RETURNING id)
       INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) SELECT o.id, repeat(md5(o.id::text), 4), 2, 100 FROM o, generate_series(1, 3)`,
      [],
      t.databaseName,
    );
    const dump = join(mkdtempSync(join(tmpdir(), 'tenantry-dump-')), 'pace.dump');
    await engine.dumpDatabase(t, dump);
    const script = execFileSync('pg_restore', ['--no-owner', '--no-acl', '--file=-', dump], { maxBuffer: 64 * 1024 * 1024 }).length;
    const unpaced = { ...t, databaseName: `tenantry_r_00000002_${env.label}_pace` };
    const paced = { ...t, databaseName: `tenantry_r_00000003_${env.label}_pace` };
    await engine.restoreDatabase(unpaced, { file: dump, jobs: 1 });
    // Three seconds of script at this pace; unpaced, this restore takes well under one here.
    const bytesPerSecond = Math.round(script / 3);
    const started = Date.now();
    await engine.restoreDatabase(paced, { file: dump, jobs: 1, maxBytesPerSecond: bytesPerSecond });
    expect((Date.now() - started) / 1000).toBeGreaterThanOrEqual(2.8);

    const copy = async (database: TenantDatabaseTarget) => ({
      schema: (await engine.readSchema(database)).snapshot,
      tables: await engine.relocation.tableChecksums(database),
    });
    const [expected, actual] = [await copy(unpaced), await copy(paced)];
    expect(actual.tables.find((table) => table.table === 'public.order_lines')).toMatchObject({ rows: 6000 });
    expect(actual).toEqual(expected);
    await expect(engine.restoreDatabase(paced, { file: dump, jobs: 2, maxBytesPerSecond: bytesPerSecond })).rejects.toThrow('one pg_restore job');

    truncateSync(dump, 4096);
    await expect(engine.restoreDatabase(paced, { file: dump, jobs: 1, maxBytesPerSecond: bytesPerSecond })).rejects.toThrow(/pg_restore failed: .+/);
    rmSync(dirname(dump), { recursive: true, force: true });
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
