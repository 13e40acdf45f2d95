import { InvalidPoolAddress, InvalidPoolCapacity } from '@tenantry/common';

/** The parts of an elastic pool's ARM resource id that the SQL management API addresses. */
export interface ElasticPoolRef {
  subscriptionId: string;
  resourceGroup: string;
  server: string;
  pool: string;
}

// Resource group: letters, digits, _ - . ( ), not ending in a dot. Server: lowercase letters, digits and
// hyphens, 1-63, not starting or ending with a hyphen. Pool: no <>*%&:\/? characters, at most 128.
const ELASTIC_POOL_ID = new RegExp(
  '^/subscriptions/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})' +
    '/resourceGroups/([-\\w.()]{0,89}[-\\w()])' +
    '/providers/Microsoft\\.Sql/servers/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)' +
    '/elasticPools/([^<>*%&:\\\\/?]{1,128})$',
  'i',
);

/** Refuses anything but `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/elasticPools/<pool>`. */
export function parseElasticPoolId(id: string): ElasticPoolRef {
  const match = ELASTIC_POOL_ID.exec(id);
  if (!match) {
    throw new InvalidPoolAddress(
      `elasticPoolId "${id}" is not an elastic pool resource id: expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Sql/servers/<server>/elasticPools/<pool>`,
    );
  }
  const [, subscriptionId, resourceGroup, server, pool] = match;
  return { subscriptionId, resourceGroup, server: server.toLowerCase(), pool };
}

/** ARM compares resource ids without regard to case, and returns them in the case it likes. */
export function sameResourceId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The public-cloud DNS name of a logical server (other clouds use other suffixes; give the host explicitly there). */
export function defaultServerHost(server: string): string {
  return `${server}.database.windows.net`;
}

export const AZURE_SQL_PORT = 1433;

/**
 * The most databases Azure accepts in one elastic pool, in any tier: 500 for vCore pools from 6 vCores
 * (100 at 2, 200 at 4) and for Basic/Standard DTU pools from 200 eDTUs; Premium DTU pools allow 100
 * and Hyperscale pools 25. A registration above it could never be filled, so it is refused.
 * https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-elastic-pools
 * https://learn.microsoft.com/azure/azure-sql/database/resource-limits-dtu-elastic-pools
 */
export const AZURE_SQL_MAX_DATABASES_PER_POOL = 500;

/** SQL Server refuses a 32,768th database on one instance. */
export const SQL_SERVER_MAX_DATABASES = 32_767;

/** An elastic pool holds at most AZURE_SQL_MAX_DATABASES_PER_POOL databases, a plain SQL Server SQL_SERVER_MAX_DATABASES. */
export function assertAzureSqlCapacity(maxDatabases: number, inElasticPool: boolean): void {
  const limit = inElasticPool ? AZURE_SQL_MAX_DATABASES_PER_POOL : SQL_SERVER_MAX_DATABASES;
  if (maxDatabases > limit) {
    const holder = inElasticPool ? 'Azure allows in one elastic pool' : 'one SQL Server holds';
    throw new InvalidPoolCapacity(`maxDatabases ${maxDatabases} is more than ${holder} (${limit})`);
  }
}
