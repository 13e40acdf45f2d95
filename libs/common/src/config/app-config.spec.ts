import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, loadLintServers } from './app-config';

const key = randomBytes(32).toString('base64');
// What npm start runs with: its encryption key, and development mode for the local token issuer.
const local = { SECRETS_KEY: key, TENANTRY_MODE: 'development' };

describe('loadConfig', () => {
  it('works on a fresh machine with a secrets key in development mode', () => {
    const config = loadConfig(local);
    expect(config.adminDb.url).toBe('postgres://postgres@127.0.0.1:5432/tenantry_admin');
    expect(config.tenantServer).toMatchObject({ host: '127.0.0.1', port: 5432, pool: 'local-pg' });
    expect(config.auth).toMatchObject({
      issuer: 'http://127.0.0.1:8081/realms/tenantry',
      jwksUrl: 'http://127.0.0.1:8081/realms/tenantry/protocol/openid-connect/certs',
      algorithms: ['RS256'],
      tenantClaim: 'tenant_id',
      adminRole: 'platform-admin',
    });
    expect(config.secrets).toMatchObject({ provider: 'local', keyId: 'k1' });
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
    expect(() => loadConfig({})).toThrow(/SECRETS_KEY: is required with SECRETS_PROVIDER=local \(the default\).*npm start/);
  });

  it('takes Key Vault without a local key, and keeps the local key to open older ciphertexts', () => {
    expect(loadConfig({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://tenantry-prod.vault.azure.net/', AUTH_CLIENTS: 'tenantry-app' }).secrets).toEqual({
      provider: 'key-vault',
      keyVaultUrl: 'https://tenantry-prod.vault.azure.net',
      key: undefined,
      keyId: 'k1',
    });
    const switching = loadConfig({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://kv.vault.azure.net', ...local });
    expect(switching.secrets).toMatchObject({ provider: 'key-vault', keyVaultUrl: 'https://kv.vault.azure.net' });
    expect(switching.secrets.key).toHaveLength(32);
  });

  it('names the setting a provider is missing, with every other problem', () => {
    let thrown: unknown;
    try {
      loadConfig({ SECRETS_PROVIDER: 'key-vault', REDIS_URL: 'http://nope' });
    } catch (error) {
      thrown = error;
    }
    const problems = (thrown as ConfigError).problems.join('\n');
    expect(problems).toContain('KEY_VAULT_URL: is required with SECRETS_PROVIDER=key-vault');
    expect(problems).toContain('REDIS_URL');
    expect(problems).not.toContain('SECRETS_KEY');
  });

  it('refuses a vault URL that is not https or carries a path, and an unknown provider', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      throw new Error('expected a ConfigError');
    };
    expect(problemsOf({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'http://kv.vault.azure.net' })).toContain('KEY_VAULT_URL: must be the https URL');
    expect(problemsOf({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://kv.vault.azure.net/secrets/x' })).toContain('KEY_VAULT_URL');
    expect(problemsOf({ SECRETS_PROVIDER: 'vault', ...local })).toContain('SECRETS_PROVIDER');
  });

  it('outside development, a process that verifies tokens refuses to start without an accepted client or audience, naming both settings with every other problem', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env, { verifiesTokens: true });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    const production = problemsOf({ SECRETS_KEY: key, REDIS_URL: 'http://nope' });
    expect(production).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AUTH_CLIENTS or AUTH_AUDIENCES: one is required outside development \(TENANTRY_MODE=production, the default\)/), expect.stringContaining('REDIS_URL')]),
    );
    expect(problemsOf({ SECRETS_KEY: key, TENANTRY_MODE: 'production', AUTH_CLIENTS: ' , ' }).join()).toContain('AUTH_CLIENTS or AUTH_AUDIENCES');
    expect(problemsOf({ SECRETS_KEY: key, AUTH_CLIENTS: 'tenantry-app' })).toEqual([]);
    expect(problemsOf({ SECRETS_KEY: key, AUTH_AUDIENCES: 'orders-api' })).toEqual([]);
    expect(problemsOf(local)).toEqual([]);
    expect(problemsOf({ ...local, TENANTRY_MODE: 'dev' }).join()).toContain('TENANTRY_MODE');
    // The worker and the migration runner verify no token: they start without either.
    expect(() => loadConfig({ SECRETS_KEY: key })).not.toThrow();
  });

  it('derives the tenant server from TENANT_PG_URL and splits list settings', () => {
    const config = loadConfig({
      ...local,
      TENANT_PG_URL: 'postgres://admin:pw@db.internal:6543/postgres',
      AUTH_AUDIENCES: 'orders-api, billing-api',
    });
    expect(config.tenantServer).toMatchObject({ host: 'db.internal', port: 6543, adminUrl: 'postgres://admin:pw@db.internal:6543/postgres' });
    expect(config.auth.audiences).toEqual(['orders-api', 'billing-api']);
  });

  it('has a plan and region catalogue that fits the README and demo on a fresh machine, and takes another', () => {
    expect(loadConfig(local).catalogue).toEqual({ plans: ['standard'], regions: ['local'] });
    expect(loadConfig({ ...local, TENANT_PLANS: 'standard, premium', TENANT_REGIONS: 'westeurope,northeurope' }).catalogue).toEqual({
      plans: ['standard', 'premium'],
      regions: ['westeurope', 'northeurope'],
    });
  });

  it('refuses an empty catalogue or one with a value that is not a lowercase word, naming the setting', () => {
    expect(() => loadConfig({ ...local, TENANT_PLANS: ' , ' })).toThrow(/TENANT_PLANS: must name at least one/);
    expect(() => loadConfig({ ...local, TENANT_REGIONS: 'local,West Europe' })).toThrow(/TENANT_REGIONS\.1: each must be a lowercase word/);
  });

  describe('the azure-sql engine', () => {
    it('is absent unless AZURE_SQL_AUTH is set', () => {
      expect(loadConfig({ ...local }).azureSql).toBeUndefined();
    });

    it('uses Entra tokens against the public ARM endpoint by default', () => {
      expect(loadConfig({ ...local, AZURE_SQL_AUTH: 'entra' }).azureSql).toEqual({
        armEndpoint: 'https://management.azure.com',
        sqlAuth: { kind: 'entra' },
        tenantUsers: 'contained',
        trustServerCertificate: false,
        export: undefined,
      });
    });

    it('takes an admin login for SQL authentication and a storage container for exports', () => {
      const config = loadConfig({
        ...local,
        AZURE_SQL_AUTH: 'sql',
        AZURE_SQL_ADMIN_LOGIN: 'sa',
        AZURE_SQL_ADMIN_PASSWORD: 'Passw0rd!',
        AZURE_SQL_TRUST_SERVER_CERTIFICATE: 'true',
        AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/exports/',
        AZURE_SQL_EXPORT_STORAGE_KEY: '?sv=x&sig=y',
      });
      expect(config.azureSql).toMatchObject({
        sqlAuth: { kind: 'sql', login: 'sa', password: 'Passw0rd!' },
        trustServerCertificate: true,
        export: { containerUrl: 'https://acct.blob.core.windows.net/exports', storageKeyType: 'SharedAccessKey', adminLogin: 'sa' },
      });
    });

    it('says what is missing for SQL authentication and for exports', () => {
      expect(() => loadConfig({ ...local, AZURE_SQL_AUTH: 'sql' })).toThrow(/AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required/);
      expect(() => loadConfig({ ...local, AZURE_SQL_AUTH: 'entra', AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/x' })).toThrow(
        /AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_STORAGE_KEY/,
      );
      expect(() => loadConfig({ ...local, AZURE_SQL_AUTH: 'kerberos' })).toThrow(/AZURE_SQL_AUTH/);
      expect(() => loadConfig({ ...local, AZURE_ARM_ENDPOINT: 'http://management.azure.com' })).toThrow(/AZURE_ARM_ENDPOINT: must be an https/);
    });
  });
});

describe('loadLintServers', () => {
  it('needs no SQL Server: an unset or empty MSSQL_URL means the T-SQL is recorded', () => {
    expect(loadLintServers({})).toEqual({ postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres', mssqlUrl: undefined });
    expect(loadLintServers({ MSSQL_URL: '' }).mssqlUrl).toBeUndefined();
    expect(loadLintServers({ MSSQL_URL: 'mssql://sa:Secret%21@127.0.0.1:1433' }).mssqlUrl).toBe('mssql://sa:Secret%21@127.0.0.1:1433');
  });

  it('lists every bad setting, naming it', () => {
    expect(() => loadLintServers({ DATABASE_URL: 'mysql://x', MSSQL_URL: 'postgres://127.0.0.1' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^DATABASE_URL: /), expect.stringMatching(/^MSSQL_URL: must be an mssql:\/\/ URL/)] }),
    );
  });
});
