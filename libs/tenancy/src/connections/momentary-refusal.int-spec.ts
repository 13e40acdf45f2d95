import { startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { Client } from 'pg';
import { budgetedPgDriver, isMomentaryRefusal } from './budgeted-pg-driver';
import { ConnectionBudget } from './connection-budget';

/**
 * A server with no connection slot left for a moment (what PgBouncer then answers every client of
 * the pool with, for server_login_retry): a tenant pool's checkout waits and connects once a slot
 * frees, within its wait, instead of failing the request.
 */
describe('a tenant pool meeting a server without a free connection slot (real throwaway server)', () => {
  let server: ThrowawayPostgres;
  const holders: Client[] = [];

  beforeAll(async () => {
    // Two slots for ordinary logins: max_connections 5 less superuser_reserved_connections 3.
    server = await startThrowawayPostgres({ maxConnections: 5 });
    await server.sql(`CREATE ROLE tenant_login LOGIN`);
  });

  afterAll(async () => {
    await Promise.all(holders.map((client) => client.end().catch(() => undefined)));
    await server?.stop();
  });

  /** The server's URL as the tenant login (a URL's user wins over a `user` option in pg). */
  const tenantUrl = () => {
    const url = new URL(server.url);
    url.username = 'tenant_login';
    return url.toString();
  };

  const asTenant = () => {
    const client = new Client({ connectionString: tenantUrl() });
    client.on('error', () => undefined);
    return client;
  };

  it('waits while the server says too many clients, and connects once a slot frees', async () => {
    for (let i = 0; i < 2; i += 1) {
      const holder = asTenant();
      await holder.connect();
      holders.push(holder);
    }
    const refused = asTenant();
    const refusal = await refused.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isMomentaryRefusal(refusal)).toBe(true);

    const { Pool } = budgetedPgDriver(new ConnectionBudget(5, 10_000, () => false));
    const pool = new Pool({ connectionString: tenantUrl(), max: 1, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined);
    setTimeout(() => void holders.pop()?.end(), 500);
    const started = Date.now();
    const client = await pool.connect();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    client.release();
    await pool.end();
  });
});
