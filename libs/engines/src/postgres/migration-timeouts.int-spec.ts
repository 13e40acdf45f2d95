import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { usePostgresEngine } from '@tenantry/engines/testing';
import { TenantMigrationTimeout } from '../engine-errors';
import { enginesSettings, type TenantMigrationTimeouts } from '../engines-options';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { PostgresEngine } from './postgres.engine';

describe('PostgresEngine migration timeouts (real server)', () => {
  const fixture = usePostgresEngine();
  const engines: PostgresEngine[] = [];
  const holders: Client[] = [];
  let tenant: TenantDatabaseTarget;

  const engineWith = (timeouts: Partial<TenantMigrationTimeouts>, adminUrl = fixture.env().databaseUrl('postgres')) => {
    const engine = new PostgresEngine({
      adminUrl,
      exportDir: fixture.env().settings(enginesSettings).postgres.exportDir,
      migrationTimeouts: { lockTimeoutMs: 1_000, statementTimeoutMs: 0, connectTimeoutMs: 2_000, ...timeouts },
    });
    engines.push(engine);
    return engine;
  };

  /** A session of someone else's (an app, an operator's psql) that has run `sql` inside a transaction left open. */
  async function holding(sql: string): Promise<Client> {
    const url = new URL(fixture.env().databaseUrl('postgres'));
    url.pathname = `/${tenant.databaseName}`;
    const client = new Client({ connectionString: url.toString(), application_name: 'held-by-test' });
    await client.connect();
    holders.push(client);
    await client.query('BEGIN');
    await client.query(sql);
    return client;
  }

  async function failure(promise: Promise<unknown>): Promise<TenantMigrationTimeout> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TenantMigrationTimeout);
    return error as TenantMigrationTimeout;
  }

  beforeAll(async () => {
    tenant = fixture.target('locked');
    await fixture.engine().createDatabase(tenant);
    await fixture.engine().applySchema(tenant);
  });

  beforeEach(async () => {
    // One migration behind, as after a release: the pending one references orders.
    await fixture.env().sql(`DROP TABLE IF EXISTS order_lines; DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], tenant.databaseName);
  });

  afterEach(async () => {
    for (const client of holders.splice(0)) await client.end();
  });

  afterAll(async () => {
    for (const engine of engines) await engine.close();
  });

  it('a table locked by another session fails the migration after the lock timeout, naming the table and who holds it', async () => {
    const holder = await holding('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    const error = await failure(engineWith({ lockTimeoutMs: 1_000 }).applySchema(tenant));
    expect(error.message).toContain(`lock timeout after 1 s waiting for a lock on orders (AccessExclusiveLock held by pid ${pid}, held-by-test, idle in transaction`);
    expect(error.message).toMatch(/during: CREATE TABLE order_lines/);

    await holder.query('ROLLBACK');
    const outcome = await engineWith({ lockTimeoutMs: 1_000 }).applySchema(tenant);
    expect(outcome).toEqual({ applied: ['CreateOrderLines1764000002000'], version: CURRENT_TENANT_SCHEMA_VERSION });
  });

  it('the wait for the database migration lock obeys the lock timeout too, and says another migration holds it', async () => {
    const holder = await holding(`SELECT pg_advisory_lock(hashtextextended('tenantry:tenant-migrations', 0))`);
    const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    const error = await failure(engineWith({ lockTimeoutMs: 500 }).applySchema(tenant));
    expect(error.message).toContain(`lock timeout after 500 ms waiting for the migration lock of ${tenant.databaseName} (another migration of it is running: pid ${pid}`);
  });

  it('a statement running past the statement timeout fails with that reason', async () => {
    await holding('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const error = await failure(engineWith({ lockTimeoutMs: 60_000, statementTimeoutMs: 700 }).applySchema(tenant));
    expect(error.message).toMatch(new RegExp(`^statement timeout after 700 ms in ${tenant.databaseName}, during: CREATE TABLE order_lines`));
  });

  describe('a tenant server that accepts connections and never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('fails connecting after the connect timeout, for a migration and for a dry run', async () => {
      const url = new URL(fixture.env().databaseUrl('postgres'));
      url.port = String((silent.address() as { port: number }).port);
      const engine = engineWith({ connectTimeoutMs: 500 }, url.toString());
      const expected = `could not connect to ${tenant.databaseName} within 500 ms`;
      expect((await failure(engine.applySchema(tenant))).message).toBe(expected);
      expect((await failure(engine.pendingMigrations(tenant))).message).toBe(expected);
      expect(sockets.length).toBeGreaterThanOrEqual(2);
    });
  });
});
