import type { TokenCredential } from '@azure/identity';
import { SqlServerConnections, sqlRetryAdvice } from './sql-server-connections';

// Nothing listens where these connect: each attempt fails once, without the retries' waits.
const NO_RETRY = { firstDelayMs: 0, maxDelayMs: 0, budgetMs: 0 };

describe('SqlServerConnections with Entra authentication', () => {
  it('asks the credential for an Azure SQL token once, and reuses it until it nears expiry', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(...[scope].flat());
        return { token: `token-${scopes.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const connections = new SqlServerConnections({ auth: { kind: 'entra' }, credential, trustServerCertificate: false, retry: NO_RETRY });
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
    const connections = new SqlServerConnections({ auth: { kind: 'entra' }, credential, trustServerCertificate: false, retry: NO_RETRY });
    await expect(connections.withConnection({ host: '127.0.0.1', port: 1 }, 'x]; DROP DATABASE y', async () => 'no')).rejects.toThrow('not an allowed identifier');
  });
});

describe('sqlRetryAdvice', () => {
  it.each<[string, object, 'backoff' | 'give-up']>([
    ['a sign-in refused with 40613 (number kept from tedious’s errorMessage)', { name: 'ConnectionError', code: 'ELOGIN', number: 40613 }, 'backoff'],
    ['a sign-in refused with 18456 (login failed)', { name: 'ConnectionError', code: 'ELOGIN', number: 18456 }, 'give-up'],
    ['a statement refused with 40501 (busy)', { name: 'RequestError', code: 'EREQUEST', number: 40501 }, 'backoff'],
    ['a deadlock victim (1205)', { name: 'RequestError', code: 'EREQUEST', number: 1205 }, 'backoff'],
    ['a syntax error (102)', { name: 'RequestError', code: 'EREQUEST', number: 102 }, 'give-up'],
    ['a broken socket', { name: 'ConnectionError', code: 'ESOCKET' }, 'backoff'],
    ['a connection that timed out', { name: 'ConnectionError', code: 'ETIMEOUT' }, 'backoff'],
    ['a statement that timed out (it may be long, and would again)', { name: 'RequestError', code: 'ETIMEOUT' }, 'give-up'],
    ['anything else', new Error('boom'), 'give-up'],
  ])('%s: %s', (_, error, advice) => {
    expect(sqlRetryAdvice(error)).toBe(advice);
  });
});
