import type { PoolAddress } from '@tenantry/common';
import type { TenantDatabaseTarget } from '../src/tenant-database-engine';
import { tenantDatabaseNames } from '../src/tenant-names';

/** Tenant `code`'s database at `address`, named as placement names it in environment `env`; its tenant id is `id-<code>` unless given. */
export function tenantTarget(
  code: string,
  env: string,
  address: Pick<PoolAddress, 'engine' | 'host' | 'port'> & Partial<PoolAddress>,
  tenantId = `id-${code}`,
): TenantDatabaseTarget {
  return { tenantId, tenantCode: code, address: { elasticPoolId: null, location: null, ...address }, ...tenantDatabaseNames(code, env) };
}

/** What a business service connects with as the tenant's own login (the tenancy library reads the same from the registry). */
export function connectionParams(target: TenantDatabaseTarget, password: string) {
  const { host, port } = target.address;
  return { host, port, database: target.databaseName, username: target.loginName, password };
}
