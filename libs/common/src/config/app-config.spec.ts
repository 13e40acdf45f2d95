import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './app-config';

const key = randomBytes(32).toString('base64');

describe('loadConfig', () => {
  it('works on a fresh machine with only a secrets key', () => {
    const config = loadConfig({ SECRETS_KEY: key });
    expect(config.adminDb.url).toBe('postgres://postgres@127.0.0.1:5432/tenantry_admin');
    expect(config.tenantServer).toMatchObject({ host: '127.0.0.1', port: 5432, pool: 'local-pg' });
    expect(config.auth).toMatchObject({
      issuer: 'http://127.0.0.1:8081/realms/tenantry',
      jwksUrl: 'http://127.0.0.1:8081/realms/tenantry/protocol/openid-connect/certs',
      algorithms: ['RS256'],
      tenantClaim: 'tenant_id',
      adminRole: 'platform-admin',
    });
    expect(config.secrets.key).toHaveLength(32);
  });

  it('lists every problem at once, naming the setting', () => {
    let thrown: unknown;
    try {
      loadConfig({ SECRETS_KEY: 'c2hvcnQ=', REDIS_URL: 'http://nope', AUTH_ALGORITHMS: 'HS256', TENANTRY_ENV: 'Prod' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const problems = (thrown as ConfigError).problems.join('\n');
    expect(problems).toContain('SECRETS_KEY: must be base64 of exactly 32 bytes');
    expect(problems).toContain('REDIS_URL');
    expect(problems).toContain('AUTH_ALGORITHMS');
    expect(problems).toContain('TENANTRY_ENV');
  });

  it('refuses to start without a secrets key and says how to get one', () => {
    expect(() => loadConfig({})).toThrow(/SECRETS_KEY: is required/);
  });

  it('derives the tenant server from TENANT_PG_URL and splits list settings', () => {
    const config = loadConfig({
      SECRETS_KEY: key,
      TENANT_PG_URL: 'postgres://admin:pw@db.internal:6543/postgres',
      AUTH_AUDIENCES: 'orders-api, billing-api',
    });
    expect(config.tenantServer).toMatchObject({ host: 'db.internal', port: 6543, adminUrl: 'postgres://admin:pw@db.internal:6543/postgres' });
    expect(config.auth.audiences).toEqual(['orders-api', 'billing-api']);
  });
});
