import type { TenantDatabaseEntity } from './entities/tenant-database.entity';
import type { TenantEntity } from './entities/tenant.entity';

/** The registry's record of a tenant database in the shape engines act on (TenantDatabaseTarget). */
export function databaseTarget(tenant: Pick<TenantEntity, 'id' | 'code'>, database: TenantDatabaseEntity) {
  const { engine, host, port, elasticPoolId, location } = database.address;
  return {
    tenantId: tenant.id,
    tenantCode: tenant.code,
    pool: {
      name: database.poolId,
      engine,
      host,
      port,
      ...(elasticPoolId && location ? { elasticPool: { id: elasticPoolId, location } } : {}),
    },
    databaseName: database.databaseName,
    loginName: database.loginName,
  };
}
