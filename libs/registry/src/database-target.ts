import type { TenantDatabaseEntity } from './entities/tenant-database.entity';
import type { TenantEntity } from './entities/tenant.entity';

/** The registry's record of a tenant database in the shape engines act on (TenantDatabaseTarget). */
export function databaseTarget(tenant: Pick<TenantEntity, 'id' | 'code'>, database: TenantDatabaseEntity) {
  const { elasticPoolId, location } = database;
  return {
    tenantId: tenant.id,
    tenantCode: tenant.code,
    pool: {
      // Engines name the pool in messages only; a dropped database's record may have let go of it.
      name: database.poolId ?? 'a removed pool',
      engine: database.engine,
      host: database.host,
      port: database.port,
      ...(elasticPoolId && location ? { elasticPool: { id: elasticPoolId, location } } : {}),
    },
    databaseName: database.databaseName,
    loginName: database.loginName,
  };
}
