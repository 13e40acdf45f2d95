import { loadSettings } from '@tenantry/common';
import { ARM_RATE_LIMITS } from './azure-sql/arm-pacer';
import { enginesSettings } from './engines-options';

describe('enginesSettings', () => {
  it('creates tenant databases on the admin server unless TENANT_PG_URL names another, with bounded migration sessions', () => {
    expect(loadSettings(enginesSettings, {})).toMatchObject({
      environment: 'dev',
      postgres: {
        adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
        exportDir: '.dev/exports',
        migrationTimeouts: { lockTimeoutMs: 5_000, statementTimeoutMs: 600_000, connectTimeoutMs: 10_000 },
      },
    });
    const other = loadSettings(enginesSettings, { TENANT_PG_URL: 'postgres://admin:pw@db.internal:6543/postgres', TENANTRY_ENV: 'prod' });
    expect(other).toMatchObject({ environment: 'prod', postgres: { adminUrl: 'postgres://admin:pw@db.internal:6543/postgres' } });
    expect(() => loadSettings(enginesSettings, { TENANTRY_ENV: 'Prod' })).toThrow(/TENANTRY_ENV: must be 1-12 lowercase letters/);
  });

  describe('the azure-sql engine', () => {
    it('is absent unless AZURE_SQL_AUTH is set', () => {
      expect(loadSettings(enginesSettings, {}).azureSql).toBeUndefined();
    });

    it('uses Entra tokens against the public ARM endpoint by default, paced to ARM’s published buckets', () => {
      expect(loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra' }).azureSql).toEqual({
        armEndpoint: 'https://management.azure.com',
        armRateLimits: ARM_RATE_LIMITS,
        armPollIntervalMs: 10_000,
        sqlAuth: { kind: 'entra' },
        trustServerCertificate: false,
        export: undefined,
      });
    });

    it('takes other ARM buckets for the pacer, and refuses a malformed one, naming it', () => {
      const limits = loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_ARM_RATE_LIMITS: 'writes=100/5, reads=500/50' }).azureSql?.armRateLimits;
      expect(limits).toEqual({ reads: { burst: 500, perSecond: 50 }, writes: { burst: 100, perSecond: 5 }, deletes: ARM_RATE_LIMITS.deletes });
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_ARM_RATE_LIMITS: 'writes=100' })).toThrow(
        'AZURE_ARM_RATE_LIMITS: "writes=100" is not <reads|writes|deletes>=<bucket size>/<refill per second>, both positive',
      );
    });

    it('takes an admin login for SQL authentication and a storage container for exports', () => {
      const engines = loadSettings(enginesSettings, {
        AZURE_SQL_AUTH: 'sql',
        AZURE_SQL_ADMIN_LOGIN: 'sa',
        AZURE_SQL_ADMIN_PASSWORD: 'Passw0rd!',
        AZURE_SQL_TRUST_SERVER_CERTIFICATE: 'true',
        AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/exports/',
        AZURE_SQL_EXPORT_STORAGE_KEY: '?sv=x&sig=y',
      });
      expect(engines.azureSql).toMatchObject({
        sqlAuth: { kind: 'sql', login: 'sa', password: 'Passw0rd!' },
        trustServerCertificate: true,
        export: {
          containerUrl: 'https://acct.blob.core.windows.net/exports',
          auth: { kind: 'sql', storageKeyType: 'SharedAccessKey', storageKey: '?sv=x&sig=y', login: 'sa', password: 'Passw0rd!' },
          storageAccountId: undefined,
        },
      });
    });

    it("exports with the server's managed identity and, given the storage account, through private endpoints", () => {
      const identity = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-sql';
      const account = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct';
      const engines = loadSettings(enginesSettings, {
        AZURE_SQL_AUTH: 'entra',
        AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/exports',
        AZURE_SQL_EXPORT_IDENTITY: identity,
        AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID: account,
      });
      expect(engines.azureSql?.export).toEqual({
        containerUrl: 'https://acct.blob.core.windows.net/exports',
        auth: { kind: 'managed-identity', identityId: identity },
        storageAccountId: account,
      });
      const other = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/other';
      expect(() =>
        loadSettings(enginesSettings, {
          AZURE_SQL_AUTH: 'entra',
          AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/exports',
          AZURE_SQL_EXPORT_IDENTITY: identity,
          AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID: other,
        }),
      ).toThrow(/AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID: names account other, but AZURE_SQL_EXPORT_URL is in another account/);
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_EXPORT_IDENTITY: '/subscriptions/s/id-sql' })).toThrow(
        /AZURE_SQL_EXPORT_IDENTITY: must be the resource id of a user-assigned managed identity/,
      );
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_EXPORT_IDENTITY: identity })).toThrow(
        /AZURE_SQL_EXPORT_URL: is required with the other AZURE_SQL_EXPORT_\* settings/,
      );
    });

    it('refuses Entra tenant users at start-up, saying why, so that no tenant is created that nobody can sign in to', () => {
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_TENANT_USERS: 'entra' })).toThrow(
        /AZURE_SQL_TENANT_USERS: entra is not supported: nothing creates the Entra principal .* business services sign in with the tenant's password/,
      );
      expect(loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_TENANT_USERS: 'contained' }).azureSql).toBeDefined();
    });

    it('caps each new database at AZURE_SQL_DATABASE_MAX_SIZE_GB, in bytes as ARM takes it', () => {
      expect(loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_DATABASE_MAX_SIZE_GB: '50' }).azureSql?.databaseMaxSizeBytes).toBe(53_687_091_200);
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_DATABASE_MAX_SIZE_GB: '0.5' })).toThrow(/AZURE_SQL_DATABASE_MAX_SIZE_GB/);
    });

    it('says what is missing for SQL authentication and for exports', () => {
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'sql' })).toThrow(/AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required/);
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/x' })).toThrow(
        /AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_IDENTITY .* or AZURE_SQL_EXPORT_STORAGE_KEY with AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD/,
      );
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'kerberos' })).toThrow(/AZURE_SQL_AUTH/);
      expect(() => loadSettings(enginesSettings, { AZURE_ARM_ENDPOINT: 'http://management.azure.com' })).toThrow(/AZURE_ARM_ENDPOINT: must be an https/);
    });
  });
});
