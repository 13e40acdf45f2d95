import { loadSettings, type RawEnv } from '@tenantry/common';
import { settingsProblems } from '@tenantry/common/testing';
import { randomBytes } from 'node:crypto';
import { resolveTenancyOptions, tenancySettings } from './tenancy-options';

// What npm start runs a business service with: its encryption key, and development mode for the local token issuer.
const local = { SECRETS_KEY: randomBytes(32).toString('base64'), TENANTRY_MODE: 'development' };

const problemsOf = (env: RawEnv) => settingsProblems(tenancySettings, env);

describe('tenancySettings', () => {
  it("from an environment that sets nothing else, gives what the library's own defaults give, routed through the local PgBouncer", () => {
    const fromEnv = loadSettings(tenancySettings, local);
    const { registry, redis, secrets, auth } = fromEnv;
    const pooler = { host: '127.0.0.1', port: 6432, serves: { host: '127.0.0.1', port: 5432 } };
    expect(resolveTenancyOptions(fromEnv)).toEqual(resolveTenancyOptions({ registry: { url: registry.url }, redis: { url: redis.url }, secrets, auth, pooler }));
    expect(registry.url).toBe('postgres://postgres@127.0.0.1:5432/tenantry_admin');
  });

  it('routes PostgreSQL tenants of the first server through TENANCY_PG_POOLER_URL, or directly with TENANCY_PG_ROUTE=direct', () => {
    expect(loadSettings(tenancySettings, { ...local, TENANCY_PG_POOLER_URL: 'postgres://pooler.internal:7432' }).pooler).toEqual({
      host: 'pooler.internal',
      port: 7432,
      serves: { host: '127.0.0.1', port: 5432 },
    });
    const firstServer = { TENANT_PG_URL: 'postgres://postgres@pg.internal:5433/postgres', TENANT_PG_HOST: 'pg' };
    expect(loadSettings(tenancySettings, { ...local, ...firstServer }).pooler?.serves).toEqual({ host: 'pg', port: 5433 });
    expect(resolveTenancyOptions(loadSettings(tenancySettings, { ...local, TENANCY_PG_ROUTE: 'direct' })).pooler).toBeNull();
    expect(problemsOf({ ...local, TENANCY_PG_ROUTE: 'bouncer' }).join()).toContain('TENANCY_PG_ROUTE');
  });

  it('reads the settings of the libs it brings: the secrets key that opens tenant credentials, and an audience outside development', () => {
    expect(problemsOf({ TENANTRY_MODE: 'development' }).join()).toContain('SECRETS_KEY: is required');
    expect(problemsOf({ SECRETS_KEY: local.SECRETS_KEY }).join()).toContain('AUTH_CLIENTS or AUTH_AUDIENCES');
  });

  it('refuses a tenant pool larger than either process cap, in the environment and in the options', () => {
    expect(problemsOf({ ...local, TENANT_POOL_SIZE: '8', TENANT_MAX_CONNECTIONS: '4' })).toEqual([
      'TENANT_POOL_SIZE: 8 does not fit under TENANT_MAX_CONNECTIONS (4) and TENANT_POOLER_MAX_CONNECTIONS (500)',
    ]);
    expect(problemsOf({ ...local, TENANT_POOL_SIZE: '8', TENANT_POOLER_MAX_CONNECTIONS: '6' }).join()).toContain('TENANT_POOLER_MAX_CONNECTIONS (6)');
    const options = loadSettings(tenancySettings, local);
    expect(() => resolveTenancyOptions({ ...options, connections: { poolSize: 8, maxConnections: 4 } })).toThrow(
      'tenancy: a pool of 8 connections cannot fit under a cap of 4',
    );
    expect(options.connections?.maxPoolerConnections).toBe(500);
  });

  it('reads the range of tenant schema versions the service works with, open by default, and refuses one that names no version', () => {
    expect(resolveTenancyOptions(loadSettings(tenancySettings, local)).schemaVersions).toEqual({ min: null, max: null });
    const range = { TENANCY_SCHEMA_VERSION_MIN: 'CreateOrders1764000001000', TENANCY_SCHEMA_VERSION_MAX: '1764000002000' };
    expect(resolveTenancyOptions(loadSettings(tenancySettings, { ...local, ...range })).schemaVersions).toEqual({
      min: 'CreateOrders1764000001000',
      max: '1764000002000',
    });
    expect(problemsOf({ ...local, TENANCY_SCHEMA_VERSION_MIN: 'latest' }).join()).toContain(
      'schema version min "latest" is neither a migration name nor its 13-digit timestamp',
    );
    expect(problemsOf({ ...local, TENANCY_SCHEMA_VERSION_MIN: '1764000002000', TENANCY_SCHEMA_VERSION_MAX: '1764000001000' }).join()).toContain('is after max');
  });
});
