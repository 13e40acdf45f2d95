import type { OperationEntity, OperationQueue } from '@tenantry/registry';
import { testServerId, useTestRegistry } from '@tenantry/registry/testing';
import { UndeleteRefused } from './restore-errors';
import { RestoresService } from './restores.service';

/** POST /tenants/:code/undelete against the real admin database, for a tenant whose engine keeps its own backups. */
describe('RestoresService.undelete of an Azure SQL tenant', () => {
  const db = useTestRegistry();
  const actor = { name: 'test-admin' };
  const address = {
    engine: 'azure-sql' as const,
    host: 'sql-undelete-api.database.windows.net',
    port: 1433,
    elasticPoolId: '/subscriptions/5b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-undelete-api/elasticPools/pool-b',
    location: 'westeurope',
  };
  const enqueued: OperationEntity[] = [];
  const queue = { enqueue: async (operation: OperationEntity) => void enqueued.push(operation) } as unknown as OperationQueue;
  const service = () => new RestoresService(db.registry, queue, { undeleteWindowMs: 3_600_000 }, { lockTimeoutMs: 5_000 }, 'test');

  /** An offboarded tenant whose database was in `pool`: dropped, no backup of ours (Azure keeps its own). */
  async function offboarded(code: string, poolName: string) {
    const r = db.registry.repositories;
    const pool = await r.pools.upsert({ name: poolName, serverId: await testServerId(r, address), address, maxDatabases: 100, dedicated: false });
    const tenant = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
    await r.databases.place({ tenantId: tenant.id, poolId: pool.id, address, databaseName: `tenant_${code}_test`, loginName: `tenant_${code}_test` });
    await r.databases.markDropped(tenant.id);
    await r.tenants.setStatus(tenant.id, 'deleted');
    return { tenant, pool };
  }

  it('queues the restore of the dropped database as Azure kept it, the tenant’s slot taken again in the pool it was in', async () => {
    const { tenant, pool } = await offboarded('azure_back', 'undelete-api-b');
    const { operation } = await service().undelete('azure_back', actor);
    expect(operation.params).toEqual({ dropped: { address, databaseName: 'tenant_azure_back_test' } });
    expect(await db.registry.repositories.tenants.findById(tenant.id)).toMatchObject({ status: 'provisioning', slotPoolId: pool.id });
    expect(enqueued.map((queued) => queued.id)).toContain(operation.id);
  });

  it('refuses, saying so, a tenant of which neither a backup nor a dropped database the service keeps remains', async () => {
    const r = db.registry.repositories;
    const tenant = await r.tenants.insert({ code: 'never_placed', name: 'never_placed', plan: 'standard', region: 'local' });
    await r.tenants.setStatus(tenant.id, 'deleted');
    const refused = service().undelete('never_placed', actor);
    await expect(refused).rejects.toBeInstanceOf(UndeleteRefused);
    await expect(refused).rejects.toThrow('no backup of its database remains to bring it back from');
  });
});
