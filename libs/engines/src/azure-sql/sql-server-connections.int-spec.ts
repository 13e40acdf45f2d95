import type { TokenCredential } from '@azure/identity';
import { startTdsDouble, type TdsDouble } from '@tenantry/engines/testing';
import { SqlServerConnections } from './sql-server-connections';

// Microsoft's shape (a first wait, doubling, a budget) with waits a test can afford; the first is
// longer than tedious's own 500 ms retry, so the waits measured here are the policy's.
const RETRY = { firstDelayMs: 700, maxDelayMs: 2_000, budgetMs: 30_000 };
const credential: TokenCredential = { getToken: async () => null };

describe('SqlServerConnections through mssql and tedious, against a TDS double that refuses as Azure SQL does', () => {
  let tds: TdsDouble;
  let connections: SqlServerConnections;
  const server = () => ({ host: '127.0.0.1', port: tds.port });
  const ran: string[] = [];
  const work = async (connection: { query: (sql: string) => Promise<unknown> }) => {
    await connection.query("SELECT 'work' AS step");
    ran.push('work');
    return 'done';
  };

  beforeEach(async () => {
    tds = await startTdsDouble();
    connections = new SqlServerConnections({ auth: { kind: 'sql', login: 'sqladmin', password: 'pw' }, credential, trustServerCertificate: true, retry: RETRY });
    ran.length = 0;
  });

  afterEach(async () => {
    await tds.close();
  });

  it('waits out 40613 at sign-in (the database is not available yet): the first wait, then twice it, on fresh connections', async () => {
    tds.refuseLogins(40613, 40613);
    expect(await connections.withConnection(server(), 'tenant_acme_dev', work)).toBe('done');
    const [first, second, third] = tds.logins;
    expect([first.refusedWith, second.refusedWith, third.refusedWith]).toEqual([40613, 40613, 0]);
    expect(second.at - first.at).toBeGreaterThanOrEqual(RETRY.firstDelayMs - 5);
    expect(third.at - second.at).toBeGreaterThanOrEqual(2 * RETRY.firstDelayMs - 5);
    expect(ran).toEqual(['work']);
  });

  it('does not try again a sign-in that is refused for good (18456, login failed)', async () => {
    tds.refuseLogins(18456);
    await expect(connections.withConnection(server(), 'tenant_acme_dev', work)).rejects.toThrow(/Login failed/);
    expect(tds.logins).toHaveLength(1);
  });

  it('runs the session again on a new connection after a transient error on a statement (40501, busy)', async () => {
    tds.failStatements("'work'", 40501);
    expect(await connections.withConnection(server(), 'tenant_acme_dev', work)).toBe('done');
    expect(ran).toEqual(['work']);
    // Two sessions, each signing in (mssql opens a probe connection, then the pool's own).
    expect(tds.logins.filter((login) => login.refusedWith === 0).length).toBeGreaterThanOrEqual(3);
  });

  it('connects again after a connection cut during sign-in, as in a failover', async () => {
    tds.dropConnections(2);
    expect(await connections.withConnection(server(), 'tenant_acme_dev', work)).toBe('done');
    expect(ran).toEqual(['work']);
  });

  it('gives up once the budget has passed, with the error number tedious reported at sign-in', async () => {
    tds.refuseLogins(...Array.from({ length: 50 }, () => 40613));
    const short = new SqlServerConnections({
      auth: { kind: 'sql', login: 'sqladmin', password: 'pw' },
      credential,
      trustServerCertificate: true,
      retry: { firstDelayMs: 50, maxDelayMs: 100, budgetMs: 400 },
    });
    await expect(short.withConnection(server(), 'tenant_acme_dev', work)).rejects.toMatchObject({ code: 'ELOGIN', number: 40613 });
    expect(tds.logins.length).toBeGreaterThanOrEqual(2);
    expect(tds.logins.length).toBeLessThan(50);
    expect(ran).toEqual([]);
  });
});
