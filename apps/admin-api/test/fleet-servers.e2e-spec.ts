import { childProcessEnv, startThrowawayPgBouncer, startThrowawayPostgres, waitFor, type ThrowawayPgBouncer, type ThrowawayPostgres } from '@tenantry/common/testing';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A fleet three PostgreSQL servers wide: the configured one (TENANT_PG_URL) and two more, each a
 * throwaway cluster of this test's own on a free port, registered through PUT /servers. Every pool
 * holds two tenants, so automatic placement (most room first) spreads the tenants over all three.
 * Server b is registered with a PgBouncer of its own in front of it; c has none (reached directly).
 */
describe('a fleet of registered servers', () => {
  let plane: ControlPlane;
  const servers: Record<'b' | 'c', ThrowawayPostgres> = {} as never;
  let poolerB: ThrowawayPgBouncer;
  const tenants: Record<string, { id: string; port: number }> = {};
  const exportDir = mkdtempSync(join(tmpdir(), 'tenantry-fleet-exports-'));

  beforeAll(async () => {
    if (!existsSync(BUILT.migrationRunner)) throw new Error(`${BUILT.migrationRunner} is missing: run "npm run build" first (npm test does)`);
    [servers.b, servers.c] = await Promise.all([startThrowawayPostgres(), startThrowawayPostgres()]);
    poolerB = await startThrowawayPgBouncer(servers.b.url);
    // Operations retry for about a minute (1 s doubling): long enough for a stopped server to come back.
    plane = await startControlPlane({ env: { TENANT_POOL_MAX_DATABASES: '2', OPERATION_MAX_ATTEMPTS: '7', SESSION_GRACE_MS: '0', EXPORT_DIR: exportDir } });
  });

  afterAll(async () => {
    await plane?.stop();
    await poolerB?.cleanup();
    await Promise.all(Object.values(servers).map((server) => server.cleanup()));
    rmSync(exportDir, { recursive: true, force: true });
  });

  const db = (code: string) => `tenant_${code}_${plane.env.label}`;
  const serverOf = (code: string) => Object.values(servers).find((server) => server.port === tenants[code].port);
  const onServer = async (code: string) => {
    const server = serverOf(code);
    return server ? server.sql('SELECT 1 FROM pg_database WHERE datname = $1', [db(code)]) : plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [db(code)]);
  };
  const provision = async (code: string) => {
    const tenant = await plane.provision(code);
    const view = await plane.admin('GET', `/tenants/${code}`);
    tenants[code] = { id: tenant.id, port: view.body.database.port };
    return tenants[code];
  };
  // The logins with a pool of the tenant's database at b's pooler, but the pooler's own lookup role.
  const pooledOnB = async (code: string) =>
    (await poolerB.console<{ database: string; user: string }>('SHOW POOLS'))
      .filter((pool) => pool.database === db(code) && pool.user !== 'tenantry_pooler_lookup')
      .map((pool) => pool.user);
  const loginOf = async (code: string) => (await plane.admin('GET', `/tenants/${code}`)).body.database.login as string;
  const poolerConsole = () => new URL(poolerB.adminUrl);
  const order = async (code: string) =>
    plane.business('POST', '/orders', await plane.tenantToken(tenants[code].id), { lines: [{ sku: `SKU-${code}`, quantity: 1, unitPriceCents: 100 }] });

  it('registers servers with a protected credential and lists them without it', async () => {
    for (const name of ['b', 'c'] as const) {
      const registered = await plane.admin('PUT', `/servers/pg-${name}`, {
        engine: 'postgres',
        host: '127.0.0.1',
        port: servers[name].port,
        region: 'local',
        maxDatabases: 10,
        login: 'postgres',
        password: `not-shown-${name}`,
        ...(name === 'b'
          ? {
              pooler: {
                host: '127.0.0.1',
                port: poolerB.port,
                adminLogin: decodeURIComponent(poolerConsole().username),
                adminPassword: decodeURIComponent(poolerConsole().password),
              },
            }
          : {}),
      });
      expect(registered.status).toBe(200);
      expect(registered.body).toMatchObject({ name: `pg-${name}`, credential: { kind: 'password', login: 'postgres' }, draining: false, pools: 0 });
      expect(registered.body.pooler).toEqual(name === 'b' ? { host: '127.0.0.1', port: poolerB.port, adminLogin: decodeURIComponent(poolerConsole().username) } : null);
      expect((await plane.admin('PUT', `/pools/pool-${name}`, { engine: 'postgres', server: `pg-${name}`, maxDatabases: 2 })).status).toBe(200);
    }
    const listed = await plane.admin('GET', '/servers');
    expect(listed.body.map((server: { name: string }) => server.name)).toEqual(expect.arrayContaining(['pg-b', 'pg-c']));
    expect(JSON.stringify(listed.body)).not.toContain('not-shown');
    expect(JSON.stringify(listed.body)).not.toContain(decodeURIComponent(poolerConsole().password));
    const [{ secret, pooler_admin_secret }] = await plane.env.sql<{ secret: string; pooler_admin_secret: string }>(
      `SELECT secret, pooler_admin_secret FROM database_servers WHERE name = 'pg-b'`,
      [],
      plane.env.adminDatabase,
    );
    expect(secret).not.toContain('not-shown');
    expect(pooler_admin_secret).not.toContain(decodeURIComponent(poolerConsole().password));
  });

  it("refuses a pooler for an Azure SQL server, and one whose console the control plane cannot sign in to; a server's update keeps its pooler", async () => {
    const azure = await plane.admin('PUT', '/servers/sql-x', {
      engine: 'azure-sql',
      host: 'sql-x.database.windows.net',
      region: 'local',
      maxDatabases: 10,
      managedIdentity: true,
      pooler: { host: 'pgbouncer-x', port: 6432 },
    });
    expect(azure.status).toBe(400);
    expect(azure.body.message).toContain('pooler is for postgres servers');
    const y = { engine: 'postgres', host: '10.9.9.8', port: 5432, region: 'local', maxDatabases: 10, login: 'postgres', password: 'x' };
    const noConsole = await plane.admin('PUT', '/servers/pg-y', { ...y, pooler: { host: 'pgbouncer-y', port: 6432 } });
    expect(noConsole.status).toBe(400);
    expect(noConsole.body.message).toContain('a pooler needs pooler.adminLogin and pooler.adminPassword');
    const badPort = await plane.admin('PUT', '/servers/pg-y', { ...y, pooler: { host: 'pgbouncer-y', port: 'six' } });
    expect(badPort.body.message).toEqual(expect.arrayContaining([expect.stringContaining('pooler.port')]));
    expect(badPort.status).toBe(400);
    const kept = await plane.admin('PUT', '/servers/pg-b', { engine: 'postgres', host: '127.0.0.1', port: servers.b.port, region: 'local', maxDatabases: 10 });
    expect(kept.status).toBe(200);
    expect(kept.body.pooler).toMatchObject({ port: poolerB.port });
    expect((await plane.admin('GET', '/servers')).body.map((server: { name: string }) => server.name)).not.toContain('pg-y');
  });

  it('refuses a pool larger than its server holds, and a server without a credential', async () => {
    const tooBig = await plane.admin('PUT', '/pools/pool-huge', { engine: 'postgres', server: 'pg-b', maxDatabases: 9 });
    expect(tooBig.status).toBe(409);
    expect(tooBig.body.message).toContain('server pg-b holds 10 databases and its other pools take 2: room for 8 more, not 9');
    const bare = await plane.admin('PUT', '/servers/pg-x', { engine: 'postgres', host: '10.9.9.9', port: 5432, region: 'local', maxDatabases: 10 });
    expect(bare.status).toBe(400);
    expect(bare.body.message).toContain('needs the login and password');
    const unknown = await plane.admin('PUT', '/pools/nowhere', { engine: 'postgres', host: '10.9.9.9', port: 5432, maxDatabases: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('no postgres server is registered at 10.9.9.9:5432');
  });

  it('provisions tenants on every server, each served by the sample API with its own token', async () => {
    for (const code of ['one', 'two', 'three']) await provision(code);
    const ports = new Set(Object.values(tenants).map((tenant) => tenant.port));
    expect(ports).toEqual(new Set([servers.b.port, servers.c.port, Number(new URL(plane.env.databaseUrl('postgres')).port)]));
    for (const code of ['one', 'two', 'three']) {
      expect(await onServer(code)).toHaveLength(1);
      expect((await order(code)).status).toBe(201);
      const listed = await plane.business('GET', '/orders', await plane.tenantToken(tenants[code].id));
      expect(listed.body.map((item: { lines: Array<{ sku: string }> }) => item.lines[0].sku)).toEqual([`SKU-${code}`]);
    }
    // b's tenant through b's pooler, as its own login; the others never reach it.
    const onB = Object.keys(tenants).find((code) => tenants[code].port === servers.b.port)!;
    expect(await pooledOnB(onB)).toEqual([await loginOf(onB)]);
    for (const code of Object.keys(tenants).filter((code) => code !== onB)) expect(await pooledOnB(code)).toEqual([]);
  });

  it('migrates the tenants of every server in one run', async () => {
    for (const code of Object.keys(tenants)) {
      const server = serverOf(code);
      const sql = (text: string, params: unknown[], database: string) => (server ? server.sql(text, params, database) : plane.env.sql(text, params, database));
      await sql(`DROP TABLE order_lines`, [], db(code));
      await sql(`DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db(code));
    }
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], plane.env.adminDatabase);
    const { stdout } = await run(process.execPath, [BUILT.migrationRunner], { env: childProcessEnv({ ...plane.env.rawEnv, MIGRATION_SERVER_CONCURRENCY: '1' }) });
    expect(stdout).toMatch(/3 tenants in [\d.]+ s: 3 migrated, 0 already current, 0 failed, 0 skipped/);
    for (const code of Object.keys(tenants)) expect((await order(code)).status).toBe(201);
  });

  it('places no new tenant on a draining server, whose tenants keep working', async () => {
    const drained = await plane.admin('PUT', '/servers/pg-c', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: servers.c.port,
      region: 'local',
      maxDatabases: 10,
      draining: true,
    });
    expect(drained.body).toMatchObject({ draining: true, room: 0, credential: { kind: 'password' } });
    const placed = await provision('four');
    expect(placed.port).not.toBe(servers.c.port);
    const onC = Object.keys(tenants).find((code) => tenants[code].port === servers.c.port)!;
    expect((await order(onC)).status).toBe(201);
    const named = await plane.admin('POST', '/tenants', { code: 'five', name: 'five', pool: 'pool-c' });
    expect(named.status).toBe(422);
    expect(named.body.message).toContain('which is draining');
  });

  it("fails only a stopped server's tenants, and completes their operations once it is back", async () => {
    const onB = Object.keys(tenants).find((code) => tenants[code].port === servers.b.port)!;
    const others = Object.keys(tenants).filter((code) => code !== onB && tenants[code].port !== servers.b.port);
    await servers.b.stop('immediate');
    try {
      const refused = await order(onB);
      expect(refused.status).toBe(503);
      for (const code of others) expect((await order(code)).status).toBe(201);
      const rotation = await plane.admin('POST', `/tenants/${onB}/rotate-credentials`);
      expect(rotation.status).toBe(202);
      // Tried and retried while the server is down: still open.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await plane.admin('GET', `/operations/${rotation.body.id}`)).body.status).not.toBe('failed');
      await servers.b.start();
      expect((await plane.waitForOperation(rotation.body.id)).status).toBe('succeeded');
    } finally {
      await servers.b.start().catch(() => undefined);
    }
    expect((await order(onB)).status).toBe(201);
  });

  it('offboards a tenant of a server other than the configured one, exporting it from that server first', async () => {
    const onB = Object.keys(tenants).find((code) => tenants[code].port === servers.b.port)!;
    const deleted = await plane.admin('DELETE', `/tenants/${onB}?export=true`);
    expect(deleted.status).toBe(202);
    const operation = await plane.waitForOperation(deleted.body.id);
    expect(operation.status).toBe('succeeded');
    const exported = operation.steps.find((s: { step: string }) => s.step === 'export');
    expect(existsSync(exported.detail)).toBe(true);
    expect(await onServer(onB)).toHaveLength(0);
    expect(await servers.b.sql(`SELECT 1 FROM pg_roles WHERE rolname LIKE $1`, [`%${onB}%`])).toHaveLength(0);
    // Closed at b's pooler by the worker, through the console registered with the server.
    expect(await pooledOnB(onB)).toEqual([]);
  });

  it("reaches a server's tenants directly once its pooler is taken away, and through it again once it is back", async () => {
    const onC = Object.keys(tenants).find((code) => tenants[code].port === servers.c.port)!;
    const { adminLogin, adminPassword } = { adminLogin: decodeURIComponent(poolerConsole().username), adminPassword: decodeURIComponent(poolerConsole().password) };
    const base = { engine: 'postgres', host: '127.0.0.1', port: servers.b.port, region: 'local', maxDatabases: 10 };
    const onB = await provision('six');
    expect(onB.port).toBe(servers.b.port);
    expect((await order('six')).status).toBe(201);
    expect(await pooledOnB('six')).toEqual([await loginOf('six')]);
    expect((await plane.admin('PUT', '/servers/pg-b', { ...base, pooler: null })).body.pooler).toBeNull();
    // The invalidation reaches the business service over Redis: an order may still go the old way for a moment.
    await waitFor(async () => {
      await poolerB.console(`KILL ${db('six')}`);
      await poolerB.console(`RESUME ${db('six')}`);
      expect((await order('six')).status).toBe(201);
      return (await pooledOnB('six')).length === 0;
    }, 10_000);
    expect((await plane.admin('PUT', '/servers/pg-b', { ...base, pooler: { host: '127.0.0.1', port: poolerB.port, adminLogin, adminPassword } })).status).toBe(200);
    await waitFor(async () => {
      expect((await order('six')).status).toBe(201);
      return (await pooledOnB('six')).length === 1;
    }, 10_000);
    expect((await order(onC)).status).toBe(201);
  });
});
