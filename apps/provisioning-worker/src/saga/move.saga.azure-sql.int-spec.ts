import type { TokenCredential } from '@azure/identity';
import { redisSettings, type PoolAddress } from '@tenantry/common';
import { AzureSqlEngine, EngineRegistry, tenantDatabaseNames } from '@tenantry/engines';
import { type ArmSqlDouble, armDoubleEngineOptions, startArmSqlDouble } from '@tenantry/engines/testing';
import { MOVE_POINT_OF_NO_RETURN, TenantCacheInvalidator, type DatabasePoolEntity, type MovePlan } from '@tenantry/registry';
import { testServerId } from '@tenantry/registry/testing';
import type { SecretProtector } from '@tenantry/secrets';
import { tenantCacheSettings } from '@tenantry/tenant-cache';
import Redis from 'ioredis';
import { useSagaRunner } from '../../test/saga-runner.fixture';
import { TenantSwitchover } from '../switchover/tenant-switchover';
import { workerSettings } from '../worker-settings';
import { MoveSaga } from './move.saga';
import { OperationFailed } from './saga-runner';

const SUBSCRIPTION = '3c9d2e71-5a4b-4f0e-8d6c-1b2a3f4e5d6c';
const serverPath = (server: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-mv/providers/Microsoft.Sql/servers/${server}`;
const SOURCE_POOL = `${serverPath('sql-mv-1')}/elasticPools/pool-a`;
const TARGET_POOL = `${serverPath('sql-mv-2')}/elasticPools/pool-a`;

const addressOf = (elasticPoolId: string): PoolAddress => {
  const server = /servers\/([^/]+)/.exec(elasticPoolId)![1];
  return { engine: 'azure-sql', host: `${server}.database.windows.net`, port: 1433, elasticPoolId, location: 'westeurope' };
};

describe('MoveSaga to another Azure SQL logical server: geo-secondary, freeze, planned failover, switch (real admin database and Redis, the ARM double)', () => {
  const db = useSagaRunner();
  let arm: ArmSqlDouble;
  let engines: EngineRegistry;
  let redis: Redis;
  let moving: MoveSaga;
  let switchover: TenantSwitchover;
  let source: DatabasePoolEntity;
  let target: DatabasePoolEntity;
  const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

  beforeAll(async () => {
    const { env, registry, runner } = db;
    const worker = env.settings(workerSettings).worker;
    // Azure's operations end in their own time, whether anyone polls them or not (a killed worker does not).
    arm = await startArmSqlDouble({ operationSeconds: 0.05, seedingReads: 2 });
    engines = new EngineRegistry([
      new AzureSqlEngine({ ...armDoubleEngineOptions(arm, credential, { firstDelayMs: 10, maxDelayMs: 20, budgetMs: 200 }), environment: worker.environment }),
    ]);
    redis = new Redis(env.settings(redisSettings).url, { keyPrefix: env.settings(redisSettings).keyPrefix });
    switchover = new TenantSwitchover(registry, engines, new TenantCacheInvalidator(redis, env.settings(tenantCacheSettings)), worker);
    // The contained user travels inside the database: the saga never needs the tenant's password here.
    moving = new MoveSaga(runner, registry, engines, switchover, {} as SecretProtector, worker);
    const r = registry.repositories;
    const register = async (name: string, elasticPoolId: string) =>
      r.pools.upsert({ name, serverId: await testServerId(r, addressOf(elasticPoolId)), address: addressOf(elasticPoolId), maxDatabases: 100, dedicated: false });
    source = await register('mv-1-a', SOURCE_POOL);
    target = await register('mv-2-a', TARGET_POOL);
  });

  afterAll(async () => {
    redis?.disconnect();
    await engines?.close();
    await arm?.close();
  });

  afterEach(() => {
    expect(arm.violations).toEqual([]);
    arm.clearFaults();
  });

  const stateIn = (server: string, databaseName: string) => arm.databases.get(`${serverPath(server)}/databases/${databaseName}`.toLowerCase());
  const linksOf = (server: string, databaseName: string) => {
    const id = `${serverPath(server)}/databases/${databaseName}`.toLowerCase();
    return [...arm.links.values()].filter((link) => link.primary === id || link.secondary === id);
  };

  /** An active tenant with its database Online in the source pool, and a move of it to the target pool, its slot taken as the admin API takes it. */
  async function movingTenant(code: string) {
    const r = db.registry.repositories;
    const tenant = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'weu' });
    const names = tenantDatabaseNames(code, db.env.settings(workerSettings).worker.environment);
    await r.databases.place({ tenantId: tenant.id, poolId: source.id, address: source.address, ...names });
    await engines.get('azure-sql').createDatabase({ tenantId: tenant.id, tenantCode: code, address: source.address, ...names });
    const plan: MovePlan = {
      pool: target.name,
      from: { poolId: source.id, address: source.address, databaseName: names.databaseName },
      to: { poolId: target.id, address: target.address, databaseName: names.databaseName },
    };
    const operation = await r.operations.insert({ tenantId: tenant.id, kind: 'move', requestedBy: 'test', params: { ...plan } });
    expect(await r.pools.reserveExtra(target.id)).toBe(true);
    return { tenant, operation, databaseName: names.databaseName };
  }

  const usedSlots = async (pool: DatabasePoolEntity) => (await db.registry.repositories.pools.findById(pool.id))!.usedSlots;
  const postsTo = (pattern: RegExp) => arm.calls.filter((call) => call.method === 'POST' && pattern.test(call.path));

  /** The tenant serves from its source, alone: the registry there with writes open, the database primary and unlinked, nothing left on the target, the slot given back. */
  async function expectOnSource(tenantId: string, databaseName: string, targetSlots: number) {
    expect(await db.registry.repositories.databases.findByTenant(tenantId)).toMatchObject({
      poolId: source.id,
      address: { host: 'sql-mv-1.database.windows.net' },
      writesFrozenAt: null,
    });
    expect(stateIn('sql-mv-1', databaseName)).toMatchObject({ status: 'Online', elasticPoolId: SOURCE_POOL });
    expect(stateIn('sql-mv-1', databaseName)?.secondaryType).toBeUndefined();
    expect(stateIn('sql-mv-2', databaseName)).toBeUndefined();
    expect(linksOf('sql-mv-1', databaseName)).toEqual([]);
    expect(await usedSlots(target)).toBe(targetSlots - 1);
  }

  it('moves the tenant: a geo-secondary seeded in the target pool, a planned failover while frozen, the registry switched, the link removed, the source retired', async () => {
    const { tenant, operation, databaseName } = await movingTenant('voyager');
    const slots = await usedSlots(target);

    expect(await moving.run(operation.id, 3)).toBe('succeeded');

    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row?.completedSteps.map((step) => [step.step, step.detail])).toEqual([
      ['prepare_target', 'replica: a geo-secondary in the target pool, seeding'],
      ['replicate', 'replica: replicated by the engine since prepare_target'],
      ['initial_copy', 'replica: seeded'],
      ['checksum_base', 'replica: the engine checks its own copy'],
      ['catch_up', 'replica: kept in step'],
      ['freeze', undefined],
      ['verify', 'replica: promoted by a planned failover (fully synchronized before the roles switched)'],
      [MOVE_POINT_OF_NO_RETURN, 'replica: replication ended, the source retired'],
    ]);
    expect(await db.registry.repositories.databases.findByTenant(tenant.id)).toMatchObject({
      poolId: target.id,
      databaseName,
      address: { host: 'sql-mv-2.database.windows.net', elasticPoolId: TARGET_POOL },
      writesFrozenAt: null,
    });
    // The tenant's database in the target pool stands alone as primary; the source is kept (retired) for the retention.
    expect(stateIn('sql-mv-2', databaseName)).toMatchObject({ status: 'Online', elasticPoolId: TARGET_POOL, secondaryType: undefined });
    expect(stateIn('sql-mv-1', databaseName)).toMatchObject({ status: 'Online', elasticPoolId: SOURCE_POOL, secondaryType: undefined });
    expect(linksOf('sql-mv-2', databaseName)).toEqual([]);
    expect(await db.registry.repositories.retiredDatabases.findKept(tenant.id, 'sql-mv-1.database.windows.net', 1433, databaseName)).toMatchObject({
      operationId: operation.id,
    });
    // The slot taken for the move is the tenant's now.
    expect(await usedSlots(target)).toBe(slots);
    expect(postsTo(new RegExp(`/databases/${databaseName}/replicationLinks/[^/]+/failover$`))).toHaveLength(1);
  });

  it('leaves the tenant on its source, serving, when the target refuses the geo-secondary (its elastic pool is full)', async () => {
    const { tenant, operation, databaseName } = await movingTenant('stayer');
    const slots = await usedSlots(target);
    arm.limitPool(TARGET_POOL, 0);
    try {
      await expect(moving.run(operation.id, 3)).rejects.toBeInstanceOf(OperationFailed);
    } finally {
      arm.limitPool(TARGET_POOL, 1_000);
    }
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'failed', step: 'prepare_target', attempts: 1 });
    await expectOnSource(tenant.id, databaseName, slots);
  });

  it('rolls back when the planned failover fails while frozen: writes thawed, the replica dropped, the source primary as before', async () => {
    const { tenant, operation, databaseName } = await movingTenant('unsettled');
    const slots = await usedSlots(target);
    arm.fail({ method: 'POST', path: /\/replicationLinks\/[^/]+\/failover$/, code: 'IncorrectReplicationLinkState' });
    await expect(moving.run(operation.id, 3)).rejects.toBeInstanceOf(OperationFailed);
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'verify' });
    expect(row?.lastError).toContain('while frozen');
    await expectOnSource(tenant.id, databaseName, slots);
  });

  it('rolls back on a cancel that comes after the failover and before the switch: fails back to the source, thaws, drops the replica', async () => {
    const { tenant, operation, databaseName } = await movingTenant('hesitant');
    const slots = await usedSlots(target);
    // The platform admin cancels between the failover and the switch.
    const saga = new MoveSaga(db.runner, db.registry, engines, switchover, {} as SecretProtector, db.env.settings(workerSettings).worker);
    saga.steps.splice(saga.steps.length - 1, 0, {
      name: 'admin_cancels',
      run: async (context) => {
        expect(stateIn('sql-mv-1', databaseName)?.secondaryType).toBe('Geo');
        expect(await db.registry.repositories.operations.requestCancel(context.operation.id, MOVE_POINT_OF_NO_RETURN)).toBe(true);
      },
    });

    await expect(saga.run(operation.id, 3)).rejects.toBeInstanceOf(OperationFailed);
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'failed', step: MOVE_POINT_OF_NO_RETURN });
    await expectOnSource(tenant.id, databaseName, slots);
    // Failed over once to the replica, once back to the source.
    expect(postsTo(new RegExp(`/databases/${databaseName}/replicationLinks/[^/]+/failover$`)).map((call) => /servers\/([^/]+)/.exec(call.path)![1])).toEqual([
      'sql-mv-2',
      'sql-mv-1',
    ]);
  });

  it('converges when attempts are cut short (a killed worker): no second secondary, no second failover, one switch', async () => {
    const { tenant, operation, databaseName } = await movingTenant('resilient');
    // The geo-secondary's creation is accepted, then its polls fail past the retry budget: the attempt ends with Azure creating it.
    arm.fail({ method: 'GET', path: /databaseAzureAsyncOperation/, status: 500, times: 1_000 });
    await expect(moving.run(operation.id, 5)).rejects.toMatchObject({ statusCode: 500 });
    arm.clearFaults();
    // The link's removal after the switch fails: the step is tried again, the switch is not made twice.
    arm.fail({ method: 'DELETE', path: /\/replicationLinks\/[^/]+$/, status: 500, times: 1_000 });
    await expect(moving.run(operation.id, 5)).rejects.toMatchObject({ statusCode: 500 });
    expect(await db.registry.repositories.databases.findByTenant(tenant.id)).toMatchObject({ poolId: target.id });
    arm.clearFaults();

    expect(await moving.run(operation.id, 5)).toBe('succeeded');
    const puts = arm.calls.filter((call) => call.method === 'PUT' && call.path === `${serverPath('sql-mv-2')}/databases/${databaseName}`);
    expect(puts).toHaveLength(1);
    expect(postsTo(new RegExp(`/databases/${databaseName}/replicationLinks/[^/]+/failover$`))).toHaveLength(1);
    expect(linksOf('sql-mv-2', databaseName)).toEqual([]);
    expect(stateIn('sql-mv-2', databaseName)).toMatchObject({ status: 'Online', secondaryType: undefined });
    const retired = await db.dataSource.query(`SELECT count(*)::int AS n FROM retired_databases WHERE tenant_id = $1`, [tenant.id]);
    expect(retired).toEqual([{ n: 1 }]);
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'succeeded' });
  });
});
