import type { TokenCredential } from '@azure/identity';
import type { PoolAddress } from '@tenantry/common';
import { AzureSqlEngine, DirectoryBackupStore, EngineRegistry, tenantDatabaseNames } from '@tenantry/engines';
import { type ArmSqlDouble, armDoubleEngineOptions, startArmSqlDouble } from '@tenantry/engines/testing';
import { reserveSlot, type DatabasePoolEntity, type TenantCacheInvalidator } from '@tenantry/registry';
import { testServerId } from '@tenantry/registry/testing';
import { tmpdir } from 'node:os';
import { useSagaRunner } from '../../test/saga-runner.fixture';
import { DatabaseCreator } from '../fast-path/database-creator';
import type { WarmPoolKeeper } from '../fast-path/warm-pool-keeper';
import type { Credentials } from '../saga/credentials';
import { PlacementService } from '../saga/placement.service';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import { OperationFailed } from '../saga/saga-runner';
import { workerSettings } from '../worker-settings';
import { TenantBackups } from './tenant-backups';
import { UndeleteSaga } from './undelete.saga';

const SUBSCRIPTION = '7e2a4c19-8b3d-4f6a-9e1c-5d4b3a2f1e0d';
const SERVER = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-undelete/providers/Microsoft.Sql/servers/sql-undelete-1`;
const ELASTIC_POOL = `${SERVER}/elasticPools/pool-a`;
const ADDRESS: PoolAddress = { engine: 'azure-sql', host: 'sql-undelete-1.database.windows.net', port: 1433, elasticPoolId: ELASTIC_POOL, location: 'westeurope' };
// The steps that reach Azure, and the tenant's return to active; the login, schema and credentials steps need a SQL Server, which is not here.
const STEPS = ['place', 'restore_database', 'activate'];

describe('UndeleteSaga on Azure SQL: the dropped database restored as Azure kept it (real admin database, the ARM double and the real SDK)', () => {
  const db = useSagaRunner();
  let arm: ArmSqlDouble;
  let engines: EngineRegistry;
  let undelete: UndeleteSaga;
  let pool: DatabasePoolEntity;
  const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const options = { maxAttempts: 3, onFailed: async () => undefined };

  beforeAll(async () => {
    const { env, registry, runner } = db;
    const worker = env.settings(workerSettings).worker;
    arm = await startArmSqlDouble({ pollsBeforeDone: 1 });
    engines = new EngineRegistry([
      new AzureSqlEngine({ ...armDoubleEngineOptions(arm, credential, { firstDelayMs: 10, maxDelayMs: 20, budgetMs: 200 }), environment: worker.environment }),
    ]);
    const slots = { lockTimeoutMs: 5_000 };
    const provisioning = new ProvisioningSaga(
      runner,
      registry,
      new PlacementService(registry, engines, worker, slots),
      engines,
      {} as TenantCacheInvalidator,
      new DatabaseCreator(engines, {} as WarmPoolKeeper, worker),
      { steps: [] } as unknown as Credentials,
    );
    undelete = new UndeleteSaga(runner, registry, new TenantBackups(registry, engines, new DirectoryBackupStore(tmpdir()), worker), engines, provisioning);
    pool = await registry.repositories.pools.upsert({
      name: 'undelete-a',
      serverId: await testServerId(registry.repositories, ADDRESS),
      address: ADDRESS,
      maxDatabases: 100,
      dedicated: false,
    });
  });

  afterAll(async () => {
    await engines?.close();
    await arm?.close();
  });

  afterEach(() => {
    expect(arm.violations).toEqual([]);
  });

  /** A tenant offboarded from the pool (its database dropped through ARM), then undeleted as the admin API does it: its slot taken again in that pool, the dropped database named in the operation. */
  async function undeletedTenant(code: string) {
    const r = db.registry.repositories;
    const tenant = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
    const names = tenantDatabaseNames(code, db.env.settings(workerSettings).worker.environment);
    await r.databases.place({ tenantId: tenant.id, poolId: pool.id, address: ADDRESS, ...names });
    const target = { tenantId: tenant.id, tenantCode: code, address: ADDRESS, ...names };
    await engines.get('azure-sql').createDatabase(target);
    await engines.get('azure-sql').dropDatabase(target);
    await r.databases.markDropped(tenant.id);
    await r.tenants.setStatus(tenant.id, 'deleted');
    await r.tenants.undelete(tenant);
    await reserveSlot(r, tenant.id, { pool: pool.name, engines: ['azure-sql'], region: 'local', lockTimeoutMs: 5_000 });
    const operation = await r.operations.insert({
      tenantId: tenant.id,
      kind: 'undelete',
      requestedBy: 'test',
      params: { dropped: { address: ADDRESS, databaseName: names.databaseName } },
    });
    return { tenant, operation, databaseName: names.databaseName };
  }

  const steps = () => undelete.steps.filter((step) => STEPS.includes(step.name));
  const databaseKey = (databaseName: string) => `${SERVER}/databases/${databaseName}`.toLowerCase();

  it('restores the dropped database into its pool (createMode Restore, its id and deletion date) and brings the tenant back active there, once', async () => {
    const { tenant, operation, databaseName } = await undeletedTenant('returning');
    const deletionDate = arm.dropped.find((kept) => kept.databaseName === databaseName)!.deletionDate;

    expect(await db.runner.run(operation.id, steps(), options)).toBe('succeeded');

    const put = arm.calls.filter((call) => call.method === 'PUT' && call.path.toLowerCase() === databaseKey(databaseName));
    expect(put.map((call) => (call.body as { properties: unknown }).properties)).toEqual([
      expect.anything(),
      { createMode: 'Restore', sourceDatabaseId: `${SERVER}/databases/${databaseName}`, sourceDatabaseDeletionDate: deletionDate, elasticPoolId: ELASTIC_POOL },
    ]);
    expect(arm.databases.get(databaseKey(databaseName))).toMatchObject({ status: 'Online', elasticPoolId: ELASTIC_POOL });
    expect(await db.registry.repositories.databases.findByTenant(tenant.id)).toMatchObject({ poolId: pool.id, databaseName, droppedAt: null });
    expect(await db.registry.repositories.tenants.findById(tenant.id)).toMatchObject({ status: 'active' });
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row?.completedSteps.find((step) => step.step === 'restore_database')?.detail).toBe(`the dropped database ${databaseName} as azure-sql kept it`);

    // A restore step run again (a worker killed before it was recorded) finds the database and sends nothing more.
    const mark = arm.calls.length;
    await undelete.steps
      .find((step) => step.name === 'restore_database')!
      .run({ operation: row!, tenant, database: await db.registry.repositories.databases.findByTenant(tenant.id) });
    expect(arm.calls.slice(mark).map((call) => call.method)).toEqual(['GET']);
  });

  it('fails the undelete at once, saying so, when Azure no longer keeps the dropped database (its backup retention passed), and creates nothing', async () => {
    const { operation, databaseName } = await undeletedTenant('toolate');
    arm.forgetDroppedDatabases();

    await expect(db.runner.run(operation.id, steps(), options)).rejects.toBeInstanceOf(OperationFailed);
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'restore_database', attempts: 1 });
    expect(row?.lastError).toContain(`Azure keeps no dropped database ${databaseName} on server sql-undelete-1 to restore any more: its backup retention has passed`);
    expect(arm.databases.get(databaseKey(databaseName))).toBeUndefined();
    expect(arm.calls.filter((call) => call.method === 'PUT' && call.path.toLowerCase() === databaseKey(databaseName))).toHaveLength(1);
  });
});
