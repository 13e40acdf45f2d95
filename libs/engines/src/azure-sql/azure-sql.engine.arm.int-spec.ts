import type { TokenCredential } from '@azure/identity';
import { ARM_SQL_API_VERSION, type ArmSqlDouble, startArmSqlDouble, tenantTarget } from '../../testing';
import { EngineNotConfigured, TenantDatabaseConflict } from '../engine-errors';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { AzureSqlEngine, type AzureSqlEngineOptions } from './azure-sql.engine';

const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const SERVER = { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-tenants', server: 'sql-weu-1' };
const poolId = (pool: string) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/${pool}`;
const POOL_A = poolId('pool-a');
const EXPORTS = 'https://tenantexports.blob.core.windows.net/offboarded';

describe('AzureSqlEngine through the real SqlManagementClient, against an ARM double', () => {
  let arm: ArmSqlDouble;
  const scopes: string[] = [];
  // The SDK sends the token only over TLS; the double checks that one is there.
  const credential: TokenCredential = {
    getToken: async (scope) => {
      scopes.push(...[scope].flat());
      return { token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };

  function engineWith(overrides: Partial<AzureSqlEngineOptions> = {}): AzureSqlEngine {
    return new AzureSqlEngine({
      environment: 'test',
      credential,
      armEndpoint: arm.url,
      armClientOptions: { tlsOptions: { ca: arm.ca } },
      armPollIntervalMs: 10,
      sqlAuth: { kind: 'sql', login: 'sqladmin', password: 'never-used-here' },
      trustServerCertificate: false,
      export: {
        containerUrl: EXPORTS,
        auth: { kind: 'sql', storageKeyType: 'SharedAccessKey', storageKey: '?sv=2024&sig=abc', login: 'sqladmin', password: 'admin-pw' },
      },
      ...overrides,
    });
  }

  let engine: AzureSqlEngine;
  const target = (code: string, elasticPoolId = POOL_A): TenantDatabaseTarget =>
    tenantTarget(code, 'test', { engine: 'azure-sql', host: 'sql-weu-1.database.windows.net', port: 1433, elasticPoolId, location: 'westeurope' });
  const databasePath = (t: TenantDatabaseTarget) =>
    `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/databases/${t.databaseName}`;
  const callsSince = (mark: number) => arm.calls.slice(mark).map((call) => `${call.method} ${call.path.replace(/^.*\/providers\/Microsoft\.Sql\//, '')}`);

  beforeAll(async () => {
    arm = await startArmSqlDouble({ pollsBeforeDone: 2 });
    engine = engineWith();
  });

  afterAll(async () => {
    await engine?.close();
    await arm?.close();
  });

  afterEach(() => {
    // Every request carried the api-version and well-formed bodies, or the double said which did not.
    expect(arm.violations).toEqual([]);
    expect(arm.calls.every((call) => call.apiVersion === (arm.privateLink.apiVersionFor(call.path) ?? ARM_SQL_API_VERSION))).toBe(true);
  });

  it('creates the database in its elastic pool: PUT 202 with Azure-AsyncOperation, polled to Succeeded, then the final GET', async () => {
    const t = target('alpha');
    const mark = arm.calls.length;
    await engine.createDatabase(t);

    expect(callsSince(mark)).toEqual([
      `GET servers/sql-weu-1/databases/${t.databaseName}`,
      `PUT servers/sql-weu-1/databases/${t.databaseName}`,
      'GET locations/westeurope/databaseAzureAsyncOperation/op-1',
      'GET locations/westeurope/databaseAzureAsyncOperation/op-1',
      'GET locations/westeurope/databaseAzureAsyncOperation/op-1',
      `GET servers/sql-weu-1/databases/${t.databaseName}`,
    ]);
    const put = arm.calls.find((call) => call.method === 'PUT' && call.path === databasePath(t));
    expect(put?.body).toEqual({ location: 'westeurope', tags: { tenant: 'alpha', environment: 'test' }, properties: { elasticPoolId: POOL_A } });
    expect(arm.databases.get(databasePath(t).toLowerCase())).toMatchObject({ status: 'Online', elasticPoolId: POOL_A });
    expect(await engine.databaseExists(t)).toBe(true);
    expect(scopes).toContain(`${arm.url}/.default`);
  });

  it('waits out a 429 and a 503 for exactly their Retry-After before sending again', async () => {
    const t = target('beta');
    arm.fail({ method: 'PUT', path: /databases\/tenant_beta_test$/, status: 429, retryAfterSeconds: 1 });
    arm.fail({ method: 'GET', path: /databaseAzureAsyncOperation/, status: 503, retryAfterSeconds: 1 });
    const mark = arm.calls.length;
    const started = Date.now();
    await engine.createDatabase(t);

    const calls = arm.calls.slice(mark);
    const puts = calls.filter((call) => call.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts[1].at - puts[0].at).toBeGreaterThanOrEqual(990);
    const polls = calls.filter((call) => call.path.includes('databaseAzureAsyncOperation'));
    expect(polls[1].at - polls[0].at).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_980);
    expect(await engine.databaseExists(t)).toBe(true);
  });

  it('treats a database already in the same pool as created, and sends no PUT', async () => {
    const t = target('gamma');
    await engine.createDatabase(t);
    const mark = arm.calls.length;
    await engine.createDatabase(t);
    expect(callsSince(mark)).toEqual([`GET servers/sql-weu-1/databases/${t.databaseName}`]);
  });

  it('refuses a database of that name in another elastic pool, and does not move it', async () => {
    const t = target('delta');
    arm.seed({ server: SERVER, name: t.databaseName, location: 'westeurope', tags: {}, elasticPoolId: poolId('pool-b') });
    const mark = arm.calls.length;
    const attempt = engine.createDatabase(t);
    await expect(attempt).rejects.toBeInstanceOf(TenantDatabaseConflict);
    await expect(attempt).rejects.toThrow(`already exists in elastic pool ${poolId('pool-b')}`);
    expect(callsSince(mark).filter((call) => call.startsWith('PUT'))).toEqual([]);
  });

  it('takes a 409 from a concurrent creator as done when that database is in the same pool', async () => {
    const t = target('epsilon');
    arm.fail({
      method: 'PUT',
      path: /databases\/tenant_epsilon_test$/,
      status: 409,
      effect: () => arm.seed({ server: SERVER, name: t.databaseName, location: 'westeurope', tags: {}, elasticPoolId: POOL_A }),
    });
    const mark = arm.calls.length;
    await engine.createDatabase(t);
    expect(callsSince(mark)).toEqual([
      `GET servers/sql-weu-1/databases/${t.databaseName}`,
      `PUT servers/sql-weu-1/databases/${t.databaseName}`,
      `GET servers/sql-weu-1/databases/${t.databaseName}`,
    ]);
  });

  it('deletes the database (202, polled), again without complaint, and has no user left to drop', async () => {
    const t = target('zeta');
    await engine.createDatabase(t);
    const mark = arm.calls.length;
    await engine.dropDatabase(t);
    expect(callsSince(mark)).toEqual([
      `DELETE servers/sql-weu-1/databases/${t.databaseName}`,
      expect.stringMatching(/^GET locations\/westeurope\/databaseAzureAsyncOperation\/op-\d+$/),
      expect.stringMatching(/^GET locations\/westeurope\/databaseAzureAsyncOperation\/op-\d+$/),
      expect.stringMatching(/^GET locations\/westeurope\/databaseAzureAsyncOperation\/op-\d+$/),
    ]);
    expect(await engine.databaseExists(t)).toBe(false);
    await engine.dropDatabase(t);
    // The contained user went with its database: no SQL connection is attempted.
    await engine.dropLogin(t);
  });

  it('exports to a .bacpac in the storage container and follows the operation to its result', async () => {
    const t = target('eta');
    await engine.createDatabase(t);
    const mark = arm.calls.length;
    const location = await engine.exportDatabase(t, `${t.databaseName}-op42`);

    expect(location).toBe(`${EXPORTS}/${t.databaseName}-op42.bacpac`);
    const post = arm.calls.slice(mark)[0];
    expect(post).toMatchObject({ method: 'POST', path: `${databasePath(t)}/export` });
    expect(post.body).toEqual({
      storageKeyType: 'SharedAccessKey',
      storageKey: '?sv=2024&sig=abc',
      storageUri: location,
      administratorLogin: 'sqladmin',
      administratorLoginPassword: 'admin-pw',
      authenticationType: 'Sql',
    });
    expect(callsSince(mark).slice(-1)[0]).toMatch(/^GET locations\/westeurope\/importExportOperationResults\/op-\d+$/);
  });

  it('exports from a server without public access: managed identity, no password, network isolation, and only its own endpoints approved', async () => {
    const identity = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-sql`;
    const account = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Storage/storageAccounts/tenantexports`;
    const server = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1`;
    const isolated = engineWith({ export: { containerUrl: EXPORTS, auth: { kind: 'managed-identity', identityId: identity }, storageAccountId: account } });
    const t = target('iota');
    await isolated.createDatabase(t);
    // Someone else's request for a private endpoint into the server: never approved on their behalf.
    const stranger = arm.privateLink.seed(server, `/subscriptions/${SUBSCRIPTION}/resourceGroups/other/providers/Microsoft.Network/privateEndpoints/pe-stranger`);
    const mark = arm.calls.length;

    const location = await isolated.exportDatabase(t, `${t.databaseName}-op43`);

    expect(location).toBe(`${EXPORTS}/${t.databaseName}-op43.bacpac`);
    const post = arm.calls.slice(mark).find((call) => call.method === 'POST');
    // Spec stable/2025-01-01 examples/ExportDatabaseWithManagedIdentity.json, with networkIsolation as in ExportDatabaseWithNetworkIsolation.json.
    expect(post?.body).toEqual({
      storageKeyType: 'ManagedIdentity',
      storageKey: identity,
      storageUri: location,
      administratorLogin: identity,
      authenticationType: 'ManagedIdentity',
      networkIsolation: { sqlServerResourceId: server, storageAccountResourceId: account },
    });
    const approvals = arm.calls.slice(mark).filter((call) => call.method === 'PUT' && call.path.includes('/privateEndpointConnections/'));
    expect(approvals.map((call) => call.path.split('/privateEndpointConnections/')[1])).toEqual([
      expect.stringMatching(/^ImportExportPrivateLink_SQL_/),
      expect.stringMatching(/^ImportExportPrivateLink_Storage_/),
    ]);
    expect(arm.privateLink.connections.get(account.toLowerCase())?.map((c) => c.status)).toEqual(['Approved']);
    expect(stranger.status).toBe('Pending');
  });

  it('refuses to export when no storage container is configured', async () => {
    const t = target('theta');
    await expect(engineWith({ export: undefined }).exportDatabase(t, 'x')).rejects.toBeInstanceOf(EngineNotConfigured);
  });
});
