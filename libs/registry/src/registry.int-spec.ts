import { TenantCodeTaken } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/testing';
import { DataSource } from 'typeorm';
import { databaseTarget } from './database-target';
import { migrateRegistry, registryDataSourceOptions } from './registry-data-source';
import { RegistryUnitOfWork } from './registry-unit-of-work';
import { OperationInProgress } from './repositories/operation.repository';

describe('registry (admin database)', () => {
  let env: TestEnv;
  let dataSource: DataSource;
  let registry: RegistryUnitOfWork;

  beforeAll(async () => {
    env = createTestEnv();
    await migrateRegistry(env.config);
    dataSource = await new DataSource(registryDataSourceOptions(env.config)).initialize();
    registry = new RegistryUnitOfWork(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env.cleanup();
  });

  const newTenant = (code: string) => ({ code, name: code, plan: 'standard', region: 'local' });

  it('is made by migrations, and migrating again (even concurrently) applies nothing', async () => {
    const again = await Promise.all([migrateRegistry(env.config), migrateRegistry(env.config)]);
    expect(again).toEqual([[], []]);
    const tables = await dataSource.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.map((t: { tablename: string }) => t.tablename)).toEqual([
      'audit_events',
      'database_pools',
      'migration_run_results',
      'migration_runs',
      'operations',
      'registry_migrations',
      'tenant_databases',
      'tenants',
    ]);
  });

  it('gives one of two simultaneous registrations of a code a TenantCodeTaken', async () => {
    const results = await Promise.allSettled([
      registry.transaction((r) => r.tenants.insert(newTenant('race'))),
      registry.transaction((r) => r.tenants.insert(newTenant('race'))),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(TenantCodeTaken);
  });

  it('rolls the tenant back when the rest of its transaction fails', async () => {
    await expect(
      registry.transaction(async (r) => {
        await r.tenants.insert(newTenant('rolledback'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await registry.repositories.tenants.findByCode('rolledback')).toBeNull();
  });

  it('allows one unfinished operation per tenant', async () => {
    const tenant = await registry.repositories.tenants.insert(newTenant('busy'));
    const first = await registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 't' });
    await expect(
      registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 't' }),
    ).rejects.toBeInstanceOf(OperationInProgress);
    await registry.repositories.operations.finish(first.id, 'succeeded');
    await expect(
      registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 't' }),
    ).resolves.toMatchObject({ status: 'pending' });
  });

  it('checkpoints steps and counts attempts on the operation row', async () => {
    const tenant = await registry.repositories.tenants.insert(newTenant('steps'));
    const op = await registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 't' });
    expect((await registry.repositories.operations.claim(op.id))?.attempts).toBe(1);
    await registry.repositories.operations.completeStep(op.id, { step: 'place', startedAt: new Date().toISOString(), durationMs: 3 });
    await registry.repositories.operations.completeStep(op.id, { step: 'create_database', startedAt: new Date().toISOString(), durationMs: 70 });
    const claimedAgain = await registry.repositories.operations.claim(op.id);
    expect(claimedAgain?.attempts).toBe(2);
    expect(claimedAgain?.completedSteps.map((s) => s.step)).toEqual(['place', 'create_database']);
    await registry.repositories.operations.finish(op.id, 'succeeded');
    expect(await registry.repositories.operations.claim(op.id)).toBeNull();
  });

  it('frees a code once its tenant is deleted, keeping the old row readable', async () => {
    const old = await registry.repositories.tenants.insert(newTenant('reused'));
    await expect(registry.repositories.tenants.insert(newTenant('reused'))).rejects.toBeInstanceOf(TenantCodeTaken);
    await registry.repositories.tenants.setStatus(old.id, 'deleted');
    expect((await registry.repositories.tenants.findByCode('reused'))?.status).toBe('deleted');
    const fresh = await registry.repositories.tenants.insert(newTenant('reused'));
    expect((await registry.repositories.tenants.findByCode('reused'))?.id).toBe(fresh.id);
  });

  it('keeps an elastic pool with its resource id and region, and hands them to the engine with each tenant placed on it', async () => {
    const elasticPoolId = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a';
    const azure = { engine: 'azure-sql' as const, host: 'sql-weu-1.database.windows.net', port: 1433, maxDatabases: 500, dedicated: false };
    const pool = await registry.repositories.pools.upsert({ name: 'weu-a', ...azure, elasticPoolId, location: 'westeurope' });
    expect(pool).toMatchObject({ elasticPoolId, location: 'westeurope' });

    const tenant = await registry.repositories.tenants.insert(newTenant('pooled'));
    await registry.repositories.databases.place({
      tenantId: tenant.id,
      poolId: pool.id,
      ...azure,
      elasticPoolId,
      location: 'westeurope',
      databaseName: 'tenant_pooled_x',
      loginName: 'tenant_pooled_x_app',
    });
    const placed = await registry.repositories.databases.findByTenant(tenant.id);
    expect(databaseTarget(tenant, placed!).pool).toEqual({
      name: pool.id,
      engine: 'azure-sql',
      host: 'sql-weu-1.database.windows.net',
      port: 1433,
      elasticPool: { id: elasticPoolId, location: 'westeurope' },
    });
  });

  it('refuses half an elastic pool, or one on a postgres pool', async () => {
    const postgres = { engine: 'postgres' as const, host: 'h', port: 5432, maxDatabases: 5, dedicated: false };
    await expect(registry.repositories.pools.upsert({ name: 'half', ...postgres, engine: 'azure-sql', elasticPoolId: '/x', location: null })).rejects.toThrow(
      /database_pools_elastic_pool/,
    );
    await expect(registry.repositories.pools.upsert({ name: 'mixed', ...postgres, elasticPoolId: '/x', location: 'westeurope' })).rejects.toThrow(
      /database_pools_elastic_pool/,
    );
  });

  it('holds a per-tenant lock that a second taker cannot get', async () => {
    let inner: unknown;
    const outer = await registry.withLock('tenant:x', async () => {
      inner = await registry.withLock('tenant:x', async () => 'second');
      return 'first';
    });
    expect(outer).toEqual({ acquired: true, value: 'first' });
    expect(inner).toEqual({ acquired: false });
    expect(await registry.withLock('tenant:x', async () => 'again')).toEqual({ acquired: true, value: 'again' });
  });
});
