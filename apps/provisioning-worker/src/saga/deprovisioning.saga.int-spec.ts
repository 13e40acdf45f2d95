import { Logger } from '@nestjs/common';
import { redisSettings } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { AzureSqlEngine, DirectoryBackupStore, EngineRegistry } from '@tenantry/engines';
import { adminDatabaseSettings, migrateRegistry, registryDataSourceOptions, registrySettings, RegistryUnitOfWork, TenantCacheInvalidator } from '@tenantry/registry';
import { testServerId } from '@tenantry/registry/testing';
import { LocalAesGcmProtector } from '@tenantry/secrets';
import { tenantCacheSettings } from '@tenantry/tenant-cache';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { TenantBackups } from '../backups/tenant-backups';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { workerSettings } from '../worker-settings';
import { DeprovisioningSaga } from './deprovisioning.saga';
import { FailPoints } from './fail-points';
import { OperationFailed, SagaRunner } from './saga-runner';

describe('DeprovisioningSaga (real admin database and Redis)', () => {
  let env: TestEnv;
  let dataSource: DataSource;
  let registry: RegistryUnitOfWork;
  let redis: Redis;
  let saga: DeprovisioningSaga;

  beforeAll(async () => {
    // The runner logs the failed step; this failure is on purpose.
    Logger.overrideLogger(false);
    env = createTestEnv();
    await migrateRegistry(env.settings(adminDatabaseSettings));
    dataSource = await new DataSource(registryDataSourceOptions(env.settings(registrySettings))).initialize();
    registry = new RegistryUnitOfWork(dataSource);
    redis = new Redis(env.settings(redisSettings).url, { keyPrefix: env.settings(redisSettings).keyPrefix });
    // The azure-sql engine as a deployment without AZURE_SQL_EXPORT_URL has it: no ARM request is ever made here.
    const azureSql = new AzureSqlEngine({
      environment: env.label,
      credential: { getToken: async () => null },
      armEndpoint: 'https://management.invalid',
      sqlAuth: { kind: 'entra' },
      trustServerCertificate: false,
    });
    saga = new DeprovisioningSaga(
      new SagaRunner(registry, new FailPoints(env.settings(workerSettings).worker), new WorkerMetrics(new Registry())),
      registry,
      new EngineRegistry([azureSql]),
      new TenantCacheInvalidator(redis, env.settings(tenantCacheSettings)),
      new LocalAesGcmProtector(randomBytes(32), 'test'),
      // Azure SQL keeps its own backups: the store is never written here.
      new TenantBackups(registry, new EngineRegistry([azureSql]), new DirectoryBackupStore(tmpdir()), env.settings(workerSettings).worker),
    );
  });

  afterAll(async () => {
    redis?.disconnect();
    await dataSource?.destroy();
    await env?.cleanup();
  });

  it('fails an export with no destination configured at once, saying so, and drops nothing', async () => {
    const tenant = await registry.repositories.tenants.insert({ code: 'leaving', name: 'leaving', plan: 'standard', region: 'local' });
    const subscription = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
    const address = {
      engine: 'azure-sql' as const,
      host: 'sql-weu-1.database.windows.net',
      port: 1433,
      elasticPoolId: `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a`,
      location: 'westeurope',
    };
    const pool = await registry.repositories.pools.upsert({
      name: `elastic-${env.label}`,
      serverId: await testServerId(registry.repositories, address),
      address,
      maxDatabases: 100,
      dedicated: false,
    });
    await registry.repositories.databases.place({
      tenantId: tenant.id,
      poolId: pool.id,
      address,
      databaseName: `tenant_leaving_${env.label}`,
      loginName: `tenant_leaving_${env.label}`,
    });
    const operation = await registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 'test', params: { export: true } });

    // Five attempts allowed, and the first is the last: no configuration appears between retries.
    await expect(saga.run(operation.id, 5)).rejects.toBeInstanceOf(OperationFailed);

    const row = await registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'failed', step: 'export', attempts: 1 });
    expect(row?.completedSteps.map((done) => done.step)).toEqual(['invalidate_cache']);
    expect(row?.lastError).toMatch(/exporting an azure-sql database needs AZURE_SQL_EXPORT_URL/);
    expect(await registry.repositories.databases.findByTenant(tenant.id)).toMatchObject({ droppedAt: null });
  });
});
