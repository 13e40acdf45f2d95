import { loadSettings } from '@tenantry/common';
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

    it('uses Entra tokens against the public ARM endpoint by default', () => {
      expect(loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra' }).azureSql).toEqual({
        armEndpoint: 'https://management.azure.com',
        sqlAuth: { kind: 'entra' },
        tenantUsers: 'contained',
        trustServerCertificate: false,
        export: undefined,
      });
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
        export: { containerUrl: 'https://acct.blob.core.windows.net/exports', storageKeyType: 'SharedAccessKey', adminLogin: 'sa' },
      });
    });

    it('caps each new database at AZURE_SQL_DATABASE_MAX_SIZE_GB, in bytes as ARM takes it', () => {
      expect(loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_DATABASE_MAX_SIZE_GB: '50' }).azureSql?.databaseMaxSizeBytes).toBe(53_687_091_200);
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_DATABASE_MAX_SIZE_GB: '0.5' })).toThrow(/AZURE_SQL_DATABASE_MAX_SIZE_GB/);
    });

    it('says what is missing for SQL authentication and for exports', () => {
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'sql' })).toThrow(/AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required/);
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'entra', AZURE_SQL_EXPORT_URL: 'https://acct.blob.core.windows.net/x' })).toThrow(
        /AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_STORAGE_KEY/,
      );
      expect(() => loadSettings(enginesSettings, { AZURE_SQL_AUTH: 'kerberos' })).toThrow(/AZURE_SQL_AUTH/);
      expect(() => loadSettings(enginesSettings, { AZURE_ARM_ENDPOINT: 'http://management.azure.com' })).toThrow(/AZURE_ARM_ENDPOINT: must be an https/);
    });
  });
});
