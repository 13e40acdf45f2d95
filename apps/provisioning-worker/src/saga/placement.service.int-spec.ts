import { PoolCapacityExhausted } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { EngineRegistry, enginesSettings, PostgresEngine } from '@tenantry/engines';
import {
  adminDatabaseSettings,
  migrateRegistry,
  registryDataSourceOptions,
  registrySettings,
  RegistryUnitOfWork,
  reserveSlot,
  slotReservationSettings,
  type TenantEntity,
} from '@tenantry/registry';
import { testServerId } from '@tenantry/registry/testing';
import { DataSource } from 'typeorm';
import { workerSettings } from '../worker-settings';
import { PlacementService } from './placement.service';

describe('PlacementService (real admin database)', () => {
  let env: TestEnv;
  let dataSource: DataSource;
  let registry: RegistryUnitOfWork;
  let engines: EngineRegistry;
  let placement: PlacementService;

  beforeAll(async () => {
    env = createTestEnv();
    await migrateRegistry(env.settings(adminDatabaseSettings));
    dataSource = await new DataSource(registryDataSourceOptions(env.settings(registrySettings))).initialize();
    registry = new RegistryUnitOfWork(dataSource);
    engines = new EngineRegistry([new PostgresEngine({ adminUrl: env.settings(enginesSettings).postgres.adminUrl, exportDir: '/tmp' })]);
    placement = new PlacementService(registry, engines, env.settings(workerSettings).worker, env.settings(slotReservationSettings));
    for (const [name, maxDatabases] of [
      ['roomy', 10],
      ['tight', 1],
    ] as const) {
      const address = { engine: 'postgres' as const, host: 'h', port: 5432, elasticPoolId: null, location: null };
      await registry.repositories.pools.upsert({
        name,
        serverId: await testServerId(registry.repositories, address),
        address,
        maxDatabases,
        dedicated: false,
      });
    }
  });

  afterAll(async () => {
    await engines?.close();
    await dataSource?.destroy();
    await env?.cleanup();
  });

  const newTenant = (code: string) => registry.repositories.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
  const reload = async (tenant: TenantEntity) => (await registry.repositories.tenants.findById(tenant.id)) as TenantEntity;
  const usedSlots = async () => Object.fromEntries((await registry.repositories.pools.usage()).map(({ pool }) => [pool.name, pool.usedSlots]));

  it('places a tenant in the pool whose slot it took at admission, taking no second slot, however often it runs', async () => {
    const tenant = await newTenant('admitted');
    await registry.transaction((r) => reserveSlot(r, tenant.id, { pool: 'tight', engines: ['postgres'], region: 'local', lockTimeoutMs: 1000 }));
    const before = await usedSlots();
    await placement.place(await reload(tenant));
    await placement.place(await reload(tenant));
    expect(await registry.repositories.databases.findByTenant(tenant.id)).toMatchObject({ poolId: (await reload(tenant)).slotPoolId });
    expect(await usedSlots()).toEqual(before);
  });

  it('gives a tenant that holds no slot (retried after failing unplaced, or admitted before slots) one now, or refuses when the pool is full', async () => {
    const legacy = await newTenant('legacy');
    await placement.place(legacy);
    expect((await reload(legacy)).slotPoolId).toBe((await registry.repositories.pools.findByName('roomy'))?.id);
    expect(await usedSlots()).toEqual({ roomy: 1, tight: 1 });

    const late = await newTenant('late');
    await expect(placement.place(late, 'tight')).rejects.toBeInstanceOf(PoolCapacityExhausted);
    expect(await registry.repositories.databases.findByTenant(late.id)).toBeNull();
    expect(await usedSlots()).toEqual({ roomy: 1, tight: 1 });
  });
});
