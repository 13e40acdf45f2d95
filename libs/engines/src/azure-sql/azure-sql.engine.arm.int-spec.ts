import type { TokenCredential } from '@azure/identity';
import { type ArmSqlDouble, armDoubleEngineOptions, SPEC_API_VERSION, startArmSqlDouble, tenantTarget } from '@tenantry/engines/testing';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import {
  AzureCapacityRefused,
  DroppedDatabaseGone,
  EngineNotConfigured,
  ExportBlocked,
  RestoreUnsupported,
  TenantDatabaseConflict,
  TenantDatabaseNotReady,
} from '../engine-errors';
import type { StepCheckpoint, TenantDatabaseTarget } from '../tenant-database-engine';
import { AzureSqlEngine, type AzureSqlEngineOptions } from './azure-sql.engine';

const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const SERVER = { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-tenants', server: 'sql-weu-1' };
const poolId = (pool: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/${pool}`;
const POOL_A = poolId('pool-a');
const EXPORTS = 'https://tenantexports.blob.core.windows.net/offboarded';
// Microsoft's shape (doubling from a first delay, capped, within a budget), at test speed.
const RETRY = { firstDelayMs: 20, maxDelayMs: 2_000, budgetMs: 30_000 };
const OPERATION = '[0-9a-f-]{36}';

/** A checkpoint kept in memory, as the operation row keeps it; `crashOnSave` makes the first save end the attempt right after it is written. */
function memoryCheckpoint(crashOnSave = false): StepCheckpoint & { history: Array<string | null> } {
  const history: Array<string | null> = [];
  let crash = crashOnSave;
  return {
    history,
    get saved() {
      return history.at(-1) ?? null;
    },
    async save(value) {
      history.push(value);
      if (crash) {
        crash = false;
        throw new Error('worker killed');
      }
    },
  };
}

describe('AzureSqlEngine through the real SqlManagementClient, against an ARM double that answers as the REST spec does', () => {
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
      ...armDoubleEngineOptions(arm, credential, RETRY),
      databaseMaxSizeBytes: 8 * 1024 ** 3,
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
  const stateOf = (t: TenantDatabaseTarget) => arm.databases.get(databasePath(t).toLowerCase());
  const callsSince = (mark: number) => arm.calls.slice(mark).map((call) => `${call.method} ${call.path.replace(/^.*\/providers\/Microsoft\.Sql\//, '')}`);
  const posts = (mark: number) => arm.calls.slice(mark).filter((call) => call.method === 'POST');

  beforeAll(async () => {
    arm = await startArmSqlDouble({ pollsBeforeDone: 2 });
    engine = engineWith();
  });

  afterAll(async () => {
    await engine?.close();
    await arm?.close();
  });

  afterEach(() => {
    // Every request carried the spec's api-version (not the SDK's preview one) and well-formed bodies.
    expect(arm.violations).toEqual([]);
    expect(arm.calls.every((call) => call.apiVersion === (arm.privateLink.apiVersionFor(call.path) ?? SPEC_API_VERSION))).toBe(true);
    arm.setRetryAfter(0);
  });

  describe('creating', () => {
    it('PUTs the database in its elastic pool with its maximum size and follows Azure-AsyncOperation to Succeeded, which is Online: no read after it', async () => {
      const t = target('alpha');
      const mark = arm.calls.length;
      await engine.createDatabase(t);

      expect(callsSince(mark)).toEqual([
        `GET servers/sql-weu-1/databases/${t.databaseName}`,
        `PUT servers/sql-weu-1/databases/${t.databaseName}`,
        ...Array.from({ length: 3 }, () => expect.stringMatching(new RegExp(`^GET locations/westeurope/databaseAzureAsyncOperation/${OPERATION}$`))),
      ]);
      const put = arm.calls.find((call) => call.method === 'PUT' && call.path === databasePath(t));
      expect(put?.body).toEqual({
        location: 'westeurope',
        tags: { tenant: 'alpha', environment: 'test' },
        properties: { elasticPoolId: POOL_A, maxSizeBytes: 8 * 1024 ** 3 },
      });
      expect(stateOf(t)).toMatchObject({ status: 'Online', elasticPoolId: POOL_A, maxSizeBytes: 8 * 1024 ** 3 });
      expect(await engine.databaseExists(t)).toBe(true);
      expect(scopes).toContain(`${arm.url}/.default`);
    });

    it('reads the database until Online when the 202 carries only Location (all the spec declares), polling no sooner than the interval', async () => {
      const locationOnly = await startArmSqlDouble({ locationOnly: true, operationSeconds: 0.2 });
      const onIt = engineWith({ armEndpoint: locationOnly.url, armClientOptions: { tlsOptions: { ca: locationOnly.ca } }, armPollIntervalMs: 150 });
      try {
        const t = target('located');
        await onIt.createDatabase(t);
        const calls = locationOnly.calls.map((call) => `${call.method} ${call.path.replace(/^.*\/providers\/Microsoft\.Sql\//, '')}`);
        expect(calls[0]).toBe(`GET servers/sql-weu-1/databases/${t.databaseName}`);
        expect(calls[1]).toBe(`PUT servers/sql-weu-1/databases/${t.databaseName}`);
        expect(new Set(calls.slice(2))).toEqual(new Set([`GET servers/sql-weu-1/databases/${t.databaseName}`]));
        expect(calls.length).toBeLessThanOrEqual(4);
        expect(locationOnly.databases.get(databasePath(t).toLowerCase())?.status).toBe('Online');
      } finally {
        await onIt.close();
        await locationOnly.close();
      }
    });

    it('sends no maxSizeBytes when none is configured: the tier’s default applies', async () => {
      const t = target('alpha2');
      await engineWith({ databaseMaxSizeBytes: undefined }).createDatabase(t);
      const put = arm.calls.find((call) => call.method === 'PUT' && call.path === databasePath(t));
      expect((put?.body as { properties: object }).properties).toEqual({ elasticPoolId: POOL_A });
    });

    it('treats a database already Online in the same pool as created, and sends no PUT', async () => {
      const t = target('gamma');
      await engine.createDatabase(t);
      const mark = arm.calls.length;
      await engine.createDatabase(t);
      expect(callsSince(mark)).toEqual([`GET servers/sql-weu-1/databases/${t.databaseName}`]);
    });

    it('waits for a database another worker left Creating to come Online before the step is done (no login meets 40613)', async () => {
      const t = target('resumed');
      arm.seed({
        server: SERVER,
        name: t.databaseName,
        location: 'westeurope',
        tags: {},
        elasticPoolId: POOL_A,
        status: 'Creating',
        becomes: { status: 'Online', afterGets: 2 },
      });
      const mark = arm.calls.length;
      await engine.createDatabase(t);
      expect(stateOf(t)?.status).toBe('Online');
      expect(callsSince(mark)).toEqual(Array.from({ length: 3 }, () => `GET servers/sql-weu-1/databases/${t.databaseName}`));
    });

    it('takes a 409 from a concurrent creator as that creator’s database when it is in the same pool, once it is Online', async () => {
      const t = target('epsilon');
      arm.fail({
        method: 'PUT',
        path: /databases\/tenant_epsilon_test$/,
        code: 'ConflictingDatabaseOperation',
        effect: () =>
          arm.seed({
            server: SERVER,
            name: t.databaseName,
            location: 'westeurope',
            tags: {},
            elasticPoolId: POOL_A,
            status: 'Creating',
            becomes: { status: 'Online', afterGets: 1 },
          }),
      });
      const mark = arm.calls.length;
      await engine.createDatabase(t);
      expect(stateOf(t)?.status).toBe('Online');
      expect(callsSince(mark)).toEqual([
        `GET servers/sql-weu-1/databases/${t.databaseName}`,
        `PUT servers/sql-weu-1/databases/${t.databaseName}`,
        `GET servers/sql-weu-1/databases/${t.databaseName}`,
        `GET servers/sql-weu-1/databases/${t.databaseName}`,
      ]);
    });

    it('fails with the status when the database is in one it does not leave by itself, and when it stays Creating past the wait', async () => {
      const broken = target('broken');
      arm.seed({ server: SERVER, name: broken.databaseName, location: 'westeurope', tags: {}, elasticPoolId: POOL_A, status: 'Inaccessible' });
      const attempt = engine.createDatabase(broken);
      await expect(attempt).rejects.toBeInstanceOf(TenantDatabaseNotReady);
      await expect(attempt).rejects.toThrow(`database ${broken.databaseName} is Inaccessible in Azure, not Online`);

      const slow = target('slow');
      arm.seed({ server: SERVER, name: slow.databaseName, location: 'westeurope', tags: {}, elasticPoolId: POOL_A, status: 'Creating' });
      const waited = engineWith({ armReadyTimeoutMs: 100 }).createDatabase(slow);
      await expect(waited).rejects.toBeInstanceOf(TenantDatabaseNotReady);
      await expect(waited).rejects.toThrow(`database ${slow.databaseName} is still Creating in Azure`);
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

    it('fails when the operation ends Failed or Canceled, saying Azure’s code, and the database is not left behind', async () => {
      const failed = target('failed');
      arm.endNextOperation('Failed', 'OperationTimedOut');
      await expect(engine.createDatabase(failed)).rejects.toThrow(/OperationTimedOut/);
      expect(stateOf(failed)).toBeUndefined();

      const canceled = target('canceled');
      arm.endNextOperation('Canceled', 'OperationCancelled');
      await expect(engine.createDatabase(canceled)).rejects.toThrow(/canceled/i);
      expect(stateOf(canceled)).toBeUndefined();
    });

    it('says a full elastic pool and an exhausted quota are refusals for want of room, not a race to adopt', async () => {
      const full = poolId('pool-full');
      arm.limitPool(full, 1);
      await engine.createDatabase(target('first', full));
      const refused = engine.createDatabase(target('second', full));
      await expect(refused).rejects.toBeInstanceOf(AzureCapacityRefused);
      await expect(refused).rejects.toThrow(`elastic pool ${full} has no room for database tenant_second_test`);
      await expect(refused).rejects.toThrow('ElasticPoolDatabaseCountOverLimit');

      arm.exhaustQuota('SubscriptionVcoreQuotaExceeded');
      try {
        const quota = engine.createDatabase(target('quota'));
        await expect(quota).rejects.toBeInstanceOf(AzureCapacityRefused);
        await expect(quota).rejects.toThrow(/quota is used up .*SubscriptionVcoreQuotaExceeded/);
      } finally {
        arm.exhaustQuota(null);
      }
    });
  });

  describe('retries and waits', () => {
    it('waits out a 429 and a 503 for exactly their Retry-After before sending again', async () => {
      const t = target('beta');
      arm.fail({ method: 'PUT', path: /databases\/tenant_beta_test$/, code: 'SubscriptionTooManyCreateUpdateRequests', retryAfterSeconds: 1 });
      arm.fail({ method: 'GET', path: /databaseAzureAsyncOperation/, code: 'TooManyRequests', retryAfterSeconds: 1 });
      const mark = arm.calls.length;
      await engine.createDatabase(t);

      const calls = arm.calls.slice(mark);
      const puts = calls.filter((call) => call.method === 'PUT');
      expect(puts).toHaveLength(2);
      expect(puts[1].at - puts[0].at).toBeGreaterThanOrEqual(990);
      const polls = calls.filter((call) => call.path.includes('databaseAzureAsyncOperation'));
      expect(polls[1].at - polls[0].at).toBeGreaterThanOrEqual(990);
      expect(await engine.databaseExists(t)).toBe(true);
    });

    it('caps a long Retry-After (here 120 s) at the policy’s longest wait instead of holding the job that long', async () => {
      const t = target('throttled');
      arm.fail({ method: 'PUT', path: /databases\/tenant_throttled_test$/, code: 'SubscriptionTooManyCreateUpdateRequests', retryAfterSeconds: 120 });
      const mark = arm.calls.length;
      await engine.createDatabase(t);
      const puts = arm.calls.slice(mark).filter((call) => call.method === 'PUT');
      expect(puts).toHaveLength(2);
      expect(puts[1].at - puts[0].at).toBeGreaterThanOrEqual(RETRY.maxDelayMs - 10);
      expect(puts[1].at - puts[0].at).toBeLessThan(120_000);
    });

    it('backs off from a 5xx without Retry-After on an idempotent request, doubling from the first delay', async () => {
      const t = target('flaky');
      arm.fail({ method: 'GET', path: /databases\/tenant_flaky_test$/, status: 500, times: 3 });
      const mark = arm.calls.length;
      expect(await engine.databaseExists(t)).toBe(false);
      const gets = arm.calls.slice(mark).map((call) => call.at);
      expect(gets).toHaveLength(4);
      expect(gets[1] - gets[0]).toBeGreaterThanOrEqual(RETRY.firstDelayMs - 1);
      expect(gets[2] - gets[1]).toBeGreaterThanOrEqual(2 * RETRY.firstDelayMs - 1);
      expect(gets[3] - gets[2]).toBeGreaterThanOrEqual(4 * RETRY.firstDelayMs - 1);
    });

    it('gives up on a fault that lasts past the budget, and the saga’s next attempt takes over', async () => {
      const t = target('down');
      arm.fail({ method: 'GET', path: /databases\/tenant_down_test$/, status: 503, times: 1_000 });
      const attempt = engineWith({ retry: { firstDelayMs: 20, maxDelayMs: 40, budgetMs: 300 } }).databaseExists(t);
      await expect(attempt).rejects.toMatchObject({ statusCode: 503 });
    });
  });

  describe('restoring from Azure’s own backups: to a point in time, a dropped database (issue 17)', () => {
    it('PUTs a database with createMode PointInTimeRestore, the source database and the moment, into the elastic pool, and waits for it Online', async () => {
      const source = target('pitr_src');
      await engine.createDatabase(source);
      const restored = { ...source, databaseName: 'tenantry_r_0123abcd_test_pitr_src' };
      const at = new Date('2026-11-29T08:00:00.000Z');
      await engine.restoreDatabase(restored, { pointInTime: at, from: source });

      const put = arm.calls.find((call) => call.method === 'PUT' && call.path === databasePath(restored));
      expect(put?.body).toMatchObject({
        location: 'westeurope',
        properties: { createMode: 'PointInTimeRestore', sourceDatabaseId: databasePath(source), restorePointInTime: at.toISOString(), elasticPoolId: POOL_A },
      });
      expect(stateOf(restored)).toMatchObject({ status: 'Online', elasticPoolId: POOL_A });
      // Run again (a step resumed after a crash): the restore made is waited for, not asked twice.
      const mark = arm.calls.length;
      await engine.restoreDatabase(restored, { pointInTime: at, from: source });
      expect(callsSince(mark)).toEqual([`GET servers/sql-weu-1/databases/${restored.databaseName}`]);
    });

    it('restores a dropped database on its own server only, and refuses one Azure no longer keeps, sending no PUT', async () => {
      const dropped = target('dropped_once');
      await engine.createDatabase(dropped);
      await engine.dropDatabase(dropped);
      const elsewhere = target('dropped_once', POOL_A.replace('sql-weu-1', 'sql-weu-9'));
      await expect(engine.restoreDatabase(elsewhere, { dropped })).rejects.toBeInstanceOf(RestoreUnsupported);
      arm.forgetDroppedDatabases();
      const mark = arm.calls.length;
      await expect(engine.restoreDatabase(dropped, { dropped })).rejects.toBeInstanceOf(DroppedDatabaseGone);
      expect(callsSince(mark)).toEqual([`GET servers/sql-weu-1/databases/${dropped.databaseName}`, 'GET servers/sql-weu-1/restorableDroppedDatabases']);
    });

    it('refuses a backup file: Azure SQL restores from its own backups only', async () => {
      await expect(engine.restoreDatabase(target('pitr_file'), { file: '/tmp/x.dump', jobs: 1 })).rejects.toThrow('Azure SQL restores from its own backups');
      await expect(engine.dumpDatabase()).rejects.toThrow('Azure SQL keeps its own point-in-time backups');
      expect(engine.backupMode).toBe('point-in-time');
    });
  });

  describe('deleting', () => {
    it('deletes the database (202, polled), again without complaint (204), and has no user left to drop', async () => {
      const t = target('zeta');
      await engine.createDatabase(t);
      const mark = arm.calls.length;
      await engine.dropDatabase(t);
      expect(callsSince(mark)).toEqual([
        `DELETE servers/sql-weu-1/databases/${t.databaseName}`,
        ...Array.from({ length: 3 }, () => expect.stringMatching(new RegExp(`^GET locations/westeurope/databaseAzureAsyncOperation/${OPERATION}$`))),
      ]);
      expect(await engine.databaseExists(t)).toBe(false);
      await engine.dropDatabase(t);
      // The contained user went with its database: no SQL connection is attempted.
      await engine.dropLogin(t);
    });
  });

  describe('exporting', () => {
    it('exports to a .bacpac in the storage container, following the Location to the result', async () => {
      const t = target('eta');
      await engine.createDatabase(t);
      const mark = arm.calls.length;
      const checkpoint = memoryCheckpoint();
      const location = await engine.exportDatabase(t, `${t.databaseName}-op42`, checkpoint);

      expect(location).toBe(`${EXPORTS}/${t.databaseName}-op42.bacpac`);
      expect(arm.blobs.has(location)).toBe(true);
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
      expect(callsSince(mark).slice(1)).toEqual(
        Array.from({ length: 3 }, () => expect.stringMatching(new RegExp(`^GET locations/westeurope/importExportOperationResults/${OPERATION}$`))),
      );
      // What a later attempt would follow: the export's Location.
      expect(checkpoint.history).toEqual([expect.stringMatching(/importExportOperationResults/)]);
    });

    it('after a crash, follows the export it started instead of POSTing a second one', async () => {
      const t = target('crashed');
      await engine.createDatabase(t);
      const mark = arm.calls.length;
      const checkpoint = memoryCheckpoint(true);
      await expect(engine.exportDatabase(t, `${t.databaseName}-op7`, checkpoint)).rejects.toThrow('worker killed');

      const location = await engine.exportDatabase(t, `${t.databaseName}-op7`, checkpoint);
      expect(location).toBe(`${EXPORTS}/${t.databaseName}-op7.bacpac`);
      expect(posts(mark)).toHaveLength(1);
      expect(arm.blobs.has(location)).toBe(true);
    });

    it('never sends the export POST twice on a 5xx: the attempt fails, and the next one starts the export', async () => {
      const t = target('posted');
      await engine.createDatabase(t);
      arm.fail({ method: 'POST', path: /\/export$/, status: 500 });
      const mark = arm.calls.length;
      await expect(engine.exportDatabase(t, `${t.databaseName}-op8`, memoryCheckpoint())).rejects.toMatchObject({ statusCode: 500 });
      expect(posts(mark)).toHaveLength(1);
      expect(await engine.exportDatabase(t, `${t.databaseName}-op8`, memoryCheckpoint())).toBe(`${EXPORTS}/${t.databaseName}-op8.bacpac`);
      expect(posts(mark)).toHaveLength(2);
    });

    it('waits while another import or export of the database runs (409 ImportExportOperationInProgress), then exports', async () => {
      const t = target('queued');
      await engine.createDatabase(t);
      arm.fail({ method: 'POST', path: /\/export$/, code: 'ImportExportOperationInProgress', times: 2 });
      const mark = arm.calls.length;
      expect(await engine.exportDatabase(t, `${t.databaseName}-op9`, memoryCheckpoint())).toBe(`${EXPORTS}/${t.databaseName}-op9.bacpac`);
      const sent = posts(mark);
      expect(sent).toHaveLength(3);
      expect(sent[1].at - sent[0].at).toBeGreaterThanOrEqual(RETRY.firstDelayMs - 1);
    });

    it('stops on a blob that exists (an earlier attempt wrote it), rather than drop the database on an unchecked copy', async () => {
      const t = target('blobbed');
      await engine.createDatabase(t);
      arm.blobs.add(`${EXPORTS}/${t.databaseName}-op10.bacpac`);
      const attempt = engine.exportDatabase(t, `${t.databaseName}-op10`, memoryCheckpoint());
      await expect(attempt).rejects.toBeInstanceOf(ExportBlocked);
      await expect(attempt).rejects.toThrow(`the export blob ${EXPORTS}/${t.databaseName}-op10.bacpac already exists`);
    });

    it('forgets an export that failed, so the next attempt starts a new one', async () => {
      const t = target('refused');
      await engine.createDatabase(t);
      const checkpoint = memoryCheckpoint();
      arm.endNextOperation('Failed', 'ImportExportJobError');
      await expect(engine.exportDatabase(t, `${t.databaseName}-op11`, checkpoint)).rejects.toMatchObject({ code: 'ImportExportJobError' });
      expect(checkpoint.saved).toBeNull();
      const mark = arm.calls.length;
      expect(await engine.exportDatabase(t, `${t.databaseName}-op11`, checkpoint)).toBe(`${EXPORTS}/${t.databaseName}-op11.bacpac`);
      expect(posts(mark)).toHaveLength(1);
    });

    it('caps a long Retry-After between the polls of the export', async () => {
      const t = target('patient');
      await engine.createDatabase(t);
      arm.setRetryAfter(120);
      const mark = arm.calls.length;
      await engine.exportDatabase(t, `${t.databaseName}-op12`, memoryCheckpoint());
      const polls = arm.calls
        .slice(mark)
        .filter((call) => call.path.includes('importExportOperationResults'))
        .map((call) => call.at);
      expect(polls).toHaveLength(3);
      expect(polls[2] - polls[1]).toBeGreaterThanOrEqual(RETRY.maxDelayMs - 10);
      expect(polls[2] - polls[1]).toBeLessThan(120_000);
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

      const location = await isolated.exportDatabase(t, `${t.databaseName}-op43`, memoryCheckpoint());

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

    it('approves the endpoints of an isolated export it resumes from its checkpoint, which stays on hold until they are', async () => {
      const identity = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-sql`;
      const account = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Storage/storageAccounts/tenantexports`;
      const isolated = engineWith({ export: { containerUrl: EXPORTS, auth: { kind: 'managed-identity', identityId: identity }, storageAccountId: account } });
      const t = target('kappa');
      await isolated.createDatabase(t);
      const mark = arm.calls.length;
      const checkpoint = memoryCheckpoint(true);
      await expect(isolated.exportDatabase(t, `${t.databaseName}-op44`, checkpoint)).rejects.toThrow('worker killed');
      // The worker died before approving: the export's two endpoints wait, and the export with them.
      const requestId = new URL(String(checkpoint.saved), arm.url).pathname.split('/').pop() ?? '';
      const ours = [...arm.privateLink.connections.values()].flat().filter((c) => c.privateEndpointId.endsWith(`_${requestId}`));
      expect(ours).toHaveLength(2);
      for (const connection of ours) connection.status = 'Pending';
      const resumedAt = arm.calls.length;

      expect(await isolated.exportDatabase(t, `${t.databaseName}-op44`, checkpoint)).toBe(`${EXPORTS}/${t.databaseName}-op44.bacpac`);

      expect(posts(mark)).toHaveLength(1);
      expect(ours.map((c) => c.status)).toEqual(['Approved', 'Approved']);
      expect(arm.calls.slice(resumedAt).filter((call) => call.method === 'PUT' && call.path.includes('/privateEndpointConnections/'))).toHaveLength(2);
    });

    it('refuses to export when no storage container is configured', async () => {
      const t = target('theta');
      await expect(engineWith({ export: undefined }).exportDatabase(t, 'x')).rejects.toBeInstanceOf(EngineNotConfigured);
    });
  });

  describe('ARM’s throttling and the pacer', () => {
    /** One raw request to a double, trusting its certificate; the answer's status and headers. */
    function send(double: ArmSqlDouble, method: string, path: string, body?: unknown): Promise<{ status: number; headers: IncomingHttpHeaders }> {
      return new Promise((resolve, reject) => {
        const url = new URL(`${double.url}${path}?api-version=${SPEC_API_VERSION}`);
        const request = https.request(url, { method, ca: double.ca, headers: { authorization: 'Bearer t', 'content-type': 'application/json' } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
        });
        request.on('error', reject);
        request.end(body === undefined ? undefined : JSON.stringify(body));
      });
    }
    const pathOf = (name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/databases/${name}`;
    const bodyOf = (name: string) => ({ location: 'westeurope', tags: { tenant: name, environment: 'test' }, properties: { elasticPoolId: POOL_A } });

    it('the double spends a token per request, says what is left, answers 429 with Retry-After past the bucket, and refills on its faster clock', async () => {
      // Writes: 3 at once, then one every 20 s of the double's clock, which runs 10 times faster: one
      // every 2 s of real time, longer than four requests in a row take even on a loaded machine.
      const throttled = await startArmSqlDouble({ throttling: { speed: 10, limits: { writes: { burst: 3, perSecond: 0.05 } } } });
      try {
        const answers = [];
        for (let i = 0; i < 4; i += 1) answers.push(await send(throttled, 'PUT', pathOf(`t${i}`), bodyOf(`t${i}`)));
        expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429]);
        expect(answers.slice(0, 3).map((a) => a.headers['x-ms-ratelimit-remaining-subscription-writes'])).toEqual(['2', '1', '0']);
        // At most 20 s of the double's clock, 2 s of real time; Retry-After is whole seconds on the wire.
        const waitMs = Number(answers[3].headers['retry-after-ms']);
        expect(waitMs).toBeGreaterThan(0);
        expect(waitMs).toBeLessThanOrEqual(2_000);
        expect(answers[3].headers['retry-after']).toBe(String(Math.ceil(waitMs / 1000)));
        // Reads have their own bucket (250 by default), untouched by the writes.
        expect((await send(throttled, 'GET', pathOf('t0'))).headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('249');
        await new Promise((resolve) => setTimeout(resolve, waitMs + 5));
        expect((await send(throttled, 'PUT', pathOf('t3'), bodyOf('t3'))).status).toBe(202);
      } finally {
        await throttled.close();
      }
    });

    it('paces a burst of creations inside ARM’s buckets, where an unpaced client is answered 429', async () => {
      const speed = 2;
      // Small buckets so that a burst of 40 tenants is past them; the pacer mirrors them on the double's clock.
      // Writes refill at 2 a second on the real clock: an unpaced client is past its bucket unless its 40
      // creations take it over 17 s to send, which not even a machine at a load average of 20 did.
      const limits = { reads: { burst: 10, perSecond: 10 }, writes: { burst: 5, perSecond: 1 }, deletes: { burst: 5, perSecond: 5 } };
      const onRealClock = (l: typeof limits) =>
        Object.fromEntries(Object.entries(l).map(([kind, { burst, perSecond }]) => [kind, { burst, perSecond: perSecond * speed }])) as typeof limits;
      const burst = async (armRateLimits: typeof limits, prefix: string) => {
        const throttled = await startArmSqlDouble({ throttling: { speed, limits }, operationSeconds: 0.5 });
        const paced = new AzureSqlEngine({
          environment: 'test',
          credential,
          armEndpoint: throttled.url,
          armClientOptions: { tlsOptions: { ca: throttled.ca } },
          armPollIntervalMs: 300,
          armRateLimits,
          retry: RETRY,
          sqlAuth: { kind: 'sql', login: 'sqladmin', password: 'never-used-here' },
          trustServerCertificate: false,
        });
        try {
          const targets = Array.from({ length: 40 }, (_, i) => target(`${prefix}${i}`));
          await Promise.all(targets.map((t) => paced.createDatabase(t)));
          const online = targets.filter((t) => throttled.databases.get(databasePath(t).toLowerCase())?.status === 'Online');
          return { online: online.length, calls: throttled.calls.length, throttled: throttled.calls.filter((call) => call.status === 429).length };
        } finally {
          await paced.close();
          await throttled.close();
        }
      };
      const paced = await burst(onRealClock(limits), 'paced');
      const unpaced = await burst(onRealClock({ reads: { burst: 1000, perSecond: 1000 }, writes: { burst: 1000, perSecond: 1000 }, deletes: limits.deletes }), 'unpaced');
      expect(paced.online).toBe(40);
      expect(unpaced.online).toBe(40);
      expect(paced.throttled).toBeLessThanOrEqual(Math.floor(paced.calls / 100));
      expect(unpaced.throttled).toBeGreaterThan(0);
    });
  });

  it('says a logical server at its 5,000 databases refuses the next one for want of room, and nothing is created', async () => {
    const full = await startArmSqlDouble();
    const server = { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-tenants', server: 'sql-weu-1' };
    for (let i = 0; i < 5_000; i += 1) full.seed({ server, name: `existing_${i}`, location: 'westeurope', tags: {}, elasticPoolId: poolId(`pool-${i % 10}`) });
    const onFull = engineWith({ armEndpoint: full.url, armClientOptions: { tlsOptions: { ca: full.ca } } });
    try {
      const refused = onFull.createDatabase(target('five_thousand_first', poolId('pool-new')));
      await expect(refused).rejects.toBeInstanceOf(AzureCapacityRefused);
      await expect(refused).rejects.toThrow(/a logical server holds at most 5,000 databases.*ServerDatabaseCountOverLimit/);
      expect(full.databases.size).toBe(5_000);
      expect(full.calls.filter((call) => call.method === 'PUT')).toHaveLength(1);
    } finally {
      await onFull.close();
      await full.close();
    }
  });
});
