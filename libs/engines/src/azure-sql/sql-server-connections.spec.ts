import type { TokenCredential } from '@azure/identity';
import { SqlServerConnections } from './sql-server-connections';

describe('SqlServerConnections with Entra authentication', () => {
  it('asks the credential for an Azure SQL token once, and reuses it until it nears expiry', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(...[scope].flat());
        return { token: `token-${scopes.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const connections = new SqlServerConnections({ auth: { kind: 'entra' }, credential, trustServerCertificate: false });
    // Nothing listens on port 1: each attempt signs in, then fails to connect.
    const attempt = () => connections.withConnection({ host: '127.0.0.1', port: 1 }, 'tenant_acme_dev', async () => 'unreachable');

    await expect(attempt()).rejects.toThrow(/Failed to connect/);
    await expect(attempt()).rejects.toThrow(/Failed to connect/);
    expect(scopes).toEqual(['https://database.windows.net/.default']);

    // 56 minutes later the hour-long token is within the renewal margin: a new one is fetched, once.
    const later = Date.now() + 56 * 60_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      await expect(attempt()).rejects.toThrow(/Failed to connect/);
      await expect(attempt()).rejects.toThrow(/Failed to connect/);
    } finally {
      clock.mockRestore();
    }
    expect(scopes).toHaveLength(2);
  });

  it('refuses a database name that is not allow-listed before connecting anywhere', async () => {
    const credential: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const connections = new SqlServerConnections({ auth: { kind: 'entra' }, credential, trustServerCertificate: false });
    await expect(connections.withConnection({ host: '127.0.0.1', port: 1 }, 'x]; DROP DATABASE y', async () => 'no')).rejects.toThrow('not an allowed identifier');
  });
});
