import type { TokenCredential } from '@azure/identity';
import { AzureSqlEngine, DirectoryBackupStore, EngineRegistry, tenantDatabaseNames } from '@tenantry/engines';
import { type ArmSqlDouble, startArmSqlDouble } from '@tenantry/engines/testing';
import type { DatabasePoolEntity, MovePlan, TenantCacheInvalidator } from '@tenantry/registry';
import { testServerId } from '@tenantry/registry/testing';
import type { SecretProtector } from '@tenantry/secrets';
import { tmpdir } from 'node:os';
import { useSagaRunner } from '../../test/saga-runner.fixture';
import { TenantBackups } from '../backups/tenant-backups';
import { DatabaseCreator } from '../fast-path/database-creator';
import type { WarmPoolKeeper } from '../fast-path/warm-pool-keeper';
import type { TenantSwitchover } from '../switchover/tenant-switchover';
import { workerSettings } from '../worker-settings';
import type { Credentials } from './credentials';
import { DeprovisioningSaga } from './deprovisioning.saga';
import { MoveSaga } from './move.saga';
import type { PlacementService } from './placement.service';
import { ProvisioningSaga } from './provisioning.saga';
import { OperationFailed } from './saga-runner';

const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const ELASTIC_POOL = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a`;
const EXPORTS = 'https://tenantexports.blob.core.windows.net/offboarded';

describe('the saga steps that reach Azure SQL (real admin database, the ARM double and the real SDK)', () => {
  const db = useSagaRunner();
  let arm: ArmSqlDouble;
  let engines: EngineRegistry;
  let provisioning: ProvisioningSaga;
  let deprovisioning: DeprovisioningSaga;
  let moving: MoveSaga;
  let pool: DatabasePoolEntity;
  const options = { maxAttempts: 5, onFailed: async () => undefined };

  beforeAll(async () => {
    const { env, registry, runner } = db;
    const worker = env.settings(workerSettings).worker;
    arm = await startArmSqlDouble({ pollsBeforeDone: 1 });
    const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    engines = new EngineRegistry([
      new AzureSqlEngine({
        environment: worker.environment,
        credential,
        armEndpoint: arm.url,
        armClientOptions: { tlsOptions: { ca: arm.ca } },
        armPollIntervalMs: 10,
        retry: { firstDelayMs: 10, maxDelayMs: 20, budgetMs: 200 },
        sqlAuth: { kind: 'sql', login: 'sqladmin', password: 'never-used-here' },
        trustServerCertificate: false,
        export: {
          containerUrl: EXPORTS,
          auth: { kind: 'sql', storageKeyType: 'SharedAccessKey', storageKey: '?sv=2024&sig=abc', login: 'sqladmin', password: 'admin-pw' },
        },
      }),
    ]);
    // Only the steps under test run: what the others need is never reached.
    const creator = new DatabaseCreator(engines, {} as WarmPoolKeeper, worker);
    provisioning = new ProvisioningSaga(runner, registry, {} as PlacementService, engines, {} as TenantCacheInvalidator, creator, {
      steps: [],
    } as unknown as Credentials);
    // Azure SQL keeps its own backups: the store is never written here.
    const backups = new TenantBackups(registry, engines, new DirectoryBackupStore(tmpdir()), worker);
    deprovisioning = new DeprovisioningSaga(runner, registry, engines, {} as TenantCacheInvalidator, {} as SecretProtector, backups);
    moving = new MoveSaga(runner, registry, engines, {} as TenantSwitchover, {} as SecretProtector, worker);
    const address = { engine: 'azure-sql' as const, host: 'sql-weu-1.database.windows.net', port: 1433, elasticPoolId: ELASTIC_POOL, location: 'westeurope' };
    pool = await db.registry.repositories.pools.upsert({
      name: 'weu-a',
      serverId: await testServerId(db.registry.repositories, address),
      address,
      maxDatabases: 100,
      dedicated: false,
    });
  });

  afterAll(async () => {
    await engines?.close();
    await arm?.close();
  });

  afterEach(() => arm.clearFaults());

  /** A tenant placed in the elastic pool, and an operation of `kind` on it. */
  async function placedTenant(code: string, kind: 'provision' | 'deprovision' | 'move', params: Record<string, unknown> = {}, into = pool) {
    const r = db.registry.repositories;
    const tenant = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'weu' });
    await r.databases.place({
      tenantId: tenant.id,
      poolId: into.id,
      address: into.address,
      ...tenantDatabaseNames(code, db.env.settings(workerSettings).worker.environment),
    });
    const operation = await r.operations.insert({ tenantId: tenant.id, kind, requestedBy: 'test', params });
    return { tenant, operation };
  }

  const steps = (saga: { steps: Array<{ name: string }> }, name: string) => saga.steps.filter((step) => step.name === name) as ProvisioningSaga['steps'];

  it('fails the operation at its first attempt when Azure says the elastic pool is full, saying so', async () => {
    arm.limitPool(ELASTIC_POOL, 0);
    const { operation } = await placedTenant('crowded', 'provision');
    await expect(db.runner.run(operation.id, steps(provisioning, 'create_database'), options)).rejects.toBeInstanceOf(OperationFailed);
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'create_database', attempts: 1 });
    expect(row?.lastError).toContain(`elastic pool ${ELASTIC_POOL} has no room for database`);
    expect(row?.lastError).toContain('ElasticPoolDatabaseCountOverLimit');
    arm.limitPool(ELASTIC_POOL, 1_000);
  });

  it('fails the operation at its first attempt when the logical server already holds its 5,000 databases, saying so', async () => {
    // Placement is meant never to get here (the registry keeps the server's count); this is what the saga does when ARM says it anyway.
    const server = { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-tenants', server: 'sql-weu-full' };
    const fullPoolId = ELASTIC_POOL.replace('sql-weu-1', 'sql-weu-full');
    for (let i = 0; i < 5_000; i += 1) arm.seed({ server, name: `other_${i}`, location: 'westeurope', tags: {}, elasticPoolId: fullPoolId });
    const fullAddress = { engine: 'azure-sql', host: 'sql-weu-full.database.windows.net', port: 1433, elasticPoolId: fullPoolId, location: 'westeurope' } as const;
    const full = await db.registry.repositories.pools.upsert({
      name: 'weu-full',
      address: fullAddress,
      serverId: await testServerId(db.registry.repositories, fullAddress),
      maxDatabases: 100,
      dedicated: false,
    });
    const { operation } = await placedTenant('five_thousand_first', 'provision', {}, full);
    await expect(db.runner.run(operation.id, steps(provisioning, 'create_database'), options)).rejects.toBeInstanceOf(OperationFailed);
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'create_database', attempts: 1 });
    expect(row?.lastError).toContain('a logical server holds at most 5,000 databases');
    expect(row?.lastError).toContain('ServerDatabaseCountOverLimit');
  });

  it('does not fail an operation for good on ARM’s 429: throttling passes, it is tried again', async () => {
    arm.fail({ method: 'PUT', path: /\/databases\/tenant_throttled_/, code: 'SubscriptionTooManyCreateUpdateRequests', retryAfterSeconds: 0, times: 50 });
    const { operation } = await placedTenant('throttled', 'provision');
    await expect(db.runner.run(operation.id, steps(provisioning, 'create_database'), options)).rejects.toThrow();
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'running', step: 'create_database', attempts: 1 });
  });

  it('follows, on its next attempt, the export an interrupted attempt started, and POSTs no second one', async () => {
    const { operation, tenant } = await placedTenant('leaving', 'deprovision', { export: true });
    const database = (await db.registry.repositories.databases.findByTenant(tenant.id))!;
    await engines.get('azure-sql').createDatabase({ ...database, tenantCode: tenant.code });
    // The export starts, then its polls fail past the retry budget: the attempt ends with the export running.
    arm.fail({ method: 'GET', path: /importExportOperationResults/, status: 500, times: 1_000 });
    await expect(db.runner.run(operation.id, steps(deprovisioning, 'export'), options)).rejects.toMatchObject({ statusCode: 500 });
    expect((await db.registry.repositories.operations.findById(operation.id))?.checkpoints).toEqual({ export: expect.stringContaining('importExportOperationResults') });

    arm.clearFaults();
    expect(await db.runner.run(operation.id, steps(deprovisioning, 'export'), options)).toBe('succeeded');
    const row = await db.registry.repositories.operations.findById(operation.id);
    const blob = `${EXPORTS}/${database.databaseName}-${operation.id}.bacpac`;
    expect(row?.completedSteps).toEqual([expect.objectContaining({ step: 'export', detail: blob })]);
    expect(arm.calls.filter((call) => call.method === 'POST' && call.path.endsWith(`/databases/${database.databaseName}/export`))).toHaveLength(1);
    expect(arm.blobs.has(blob)).toBe(true);
  });

  it('fails the offboarding at once, the database kept, when its export blob already exists', async () => {
    const { operation, tenant } = await placedTenant('reexported', 'deprovision', { export: true });
    const database = (await db.registry.repositories.databases.findByTenant(tenant.id))!;
    await engines.get('azure-sql').createDatabase({ ...database, tenantCode: tenant.code });
    arm.blobs.add(`${EXPORTS}/${database.databaseName}-${operation.id}.bacpac`);
    await expect(db.runner.run(operation.id, steps(deprovisioning, 'export'), options)).rejects.toBeInstanceOf(OperationFailed);
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'export', attempts: 1 });
    expect(row?.lastError).toContain('already exists: an earlier attempt of this operation wrote it');
  });

  it('moves the database between elastic pools of one logical server in Azure before the switch (Azure’s online move), and only once', async () => {
    const otherPoolId = ELASTIC_POOL.replace('pool-a', 'pool-b');
    const otherAddress = { ...pool.address, elasticPoolId: otherPoolId };
    const other = await db.registry.repositories.pools.upsert({ name: 'weu-b', serverId: pool.serverId, address: otherAddress, maxDatabases: 100, dedicated: false });
    const names = tenantDatabaseNames('relocating', db.env.settings(workerSettings).worker.environment);
    const plan: MovePlan = {
      pool: 'weu-b',
      from: { poolId: pool.id, address: pool.address, databaseName: names.databaseName },
      to: { poolId: other.id, address: otherAddress, databaseName: names.databaseName },
    };
    const { operation, tenant } = await placedTenant('relocating', 'move', { ...plan });
    await engines.get('azure-sql').createDatabase({ ...(await db.registry.repositories.databases.findByTenant(tenant.id))!, tenantCode: tenant.code });
    const databaseKey =
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/databases/${names.databaseName}`.toLowerCase();

    expect(await db.runner.run(operation.id, steps(moving, 'prepare_target'), options)).toBe('succeeded');
    expect(arm.databases.get(databaseKey)).toMatchObject({ status: 'Online', elasticPoolId: otherPoolId });
    expect((await db.registry.repositories.operations.findById(operation.id))?.completedSteps).toEqual([
      expect.objectContaining({ step: 'prepare_target', detail: 'one server: in place into weu-b' }),
    ]);
    expect(arm.calls.filter((call) => call.method === 'PATCH' && call.path.toLowerCase() === databaseKey)).toHaveLength(1);
  });
});
