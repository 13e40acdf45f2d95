import { loadSettings } from '@tenantry/common';
import { adminDatabaseSettings, configuredPoolSettings, registrySettings, slotReservationSettings } from './registry-options';

describe('registry settings', () => {
  it('works on a fresh machine: the admin database and the configured pool on the local server', () => {
    expect(loadSettings(registrySettings, {})).toMatchObject({
      adminDb: { url: 'postgres://postgres@127.0.0.1:5432/tenantry_admin', name: 'tenantry_admin' },
      connections: { poolSize: 10, waitMs: 5_000 },
      tenantCache: { ttlSeconds: 300 },
    });
    expect(loadSettings(slotReservationSettings, {})).toEqual({ lockTimeoutMs: 1_000 });
    expect(loadSettings(configuredPoolSettings, {})).toMatchObject({ name: 'local-pg', maxDatabases: 500, register: true, host: '127.0.0.1', port: 5432 });
  });

  it('places the configured pool on TENANT_PG_URL, at TENANT_PG_HOST when business services reach it by another name', () => {
    const env = { DATABASE_URL: 'postgres://postgres@registry.internal/postgres', TENANT_PG_URL: 'postgres://admin:pw@db.internal:6543/postgres' };
    expect(loadSettings(configuredPoolSettings, env)).toMatchObject({ host: 'db.internal', port: 6543 });
    expect(loadSettings(configuredPoolSettings, { ...env, TENANT_PG_HOST: 'tenants.example', TENANT_PG_POOL_REGISTER: 'false' })).toMatchObject({
      host: 'tenants.example',
      register: false,
    });
    expect(loadSettings(adminDatabaseSettings, env).url).toBe('postgres://postgres@registry.internal/tenantry_admin');
  });

  it('names a bad setting', () => {
    expect(() => loadSettings(registrySettings, { ADMIN_DB_POOL_SIZE: '1', ADMIN_DB_CONNECTION_WAIT_MS: '0' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^ADMIN_DB_POOL_SIZE: /), expect.stringMatching(/^ADMIN_DB_CONNECTION_WAIT_MS: /)] }),
    );
    expect(() => loadSettings(adminDatabaseSettings, { DATABASE_URL: 'mysql://x', ADMIN_DB_NAME: 'Admin' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^DATABASE_URL: /), 'ADMIN_DB_NAME: must be a lowercase PostgreSQL identifier'] }),
    );
  });
});
