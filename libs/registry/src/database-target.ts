import type { TenantDatabaseEntity } from './entities/tenant-database.entity';
import type { TenantEntity } from './entities/tenant.entity';

/** The registry's record of a tenant database with its tenant's code: the shape engines act on (TenantDatabaseTarget). */
export function databaseTarget(tenant: Pick<TenantEntity, 'id' | 'code'>, database: TenantDatabaseEntity) {
  const { address, databaseName, loginName } = database;
  return { tenantId: tenant.id, tenantCode: tenant.code, address, databaseName, loginName };
}
