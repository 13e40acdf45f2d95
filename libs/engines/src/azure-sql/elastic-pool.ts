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

/** An elastic pool's SKU as ARM and Bicep give it: its name and its vCores (vCore SKUs) or eDTUs (DTU SKUs). */
export interface ElasticPoolSku {
  name: string;
  capacity: number;
}

const VCORE_LIMITS = 'https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-elastic-pools';
const DTU_LIMITS = 'https://learn.microsoft.com/azure/azure-sql/database/resource-limits-dtu-elastic-pools';

/**
 * "Max number DBs per pool" by SKU, from the smallest capacity each row starts at: General Purpose
 * holds 100, 200 or 500 by vCores, Business Critical 50 or 100. MicrosoftDocs/sql-docs
 * azure-sql/database/resource-limits-vcore-elastic-pools.md (GP_Gen5, GP_Fsv2, GP_DC, BC_Gen5, BC_M,
 * BC_DC tables) and resource-limits-dtu-elastic-pools.md (Basic, Standard, Premium).
 */
const DATABASES_PER_POOL: Record<string, { page: string; steps: Array<[fromCapacity: number, databases: number]> }> = {
  GP_Gen5: {
    page: VCORE_LIMITS,
    steps: [
      [2, 100],
      [4, 200],
      [6, 500],
    ],
  },
  GP_Fsv2: { page: VCORE_LIMITS, steps: [[8, 500]] },
  GP_DC: {
    page: VCORE_LIMITS,
    steps: [
      [2, 100],
      [4, 400],
    ],
  },
  BC_Gen5: {
    page: VCORE_LIMITS,
    steps: [
      [4, 50],
      [6, 100],
    ],
  },
  BC_M: { page: VCORE_LIMITS, steps: [[8, 100]] },
  BC_DC: {
    page: VCORE_LIMITS,
    steps: [
      [2, 50],
      [4, 100],
    ],
  },
  BasicPool: {
    page: DTU_LIMITS,
    steps: [
      [50, 100],
      [100, 200],
      [200, 500],
    ],
  },
  StandardPool: {
    page: DTU_LIMITS,
    steps: [
      [50, 100],
      [100, 200],
      [200, 500],
    ],
  },
  PremiumPool: {
    page: DTU_LIMITS,
    steps: [
      [125, 50],
      [250, 100],
    ],
  },
};

/** SQL Server refuses a 32,768th database on one instance. */
export const SQL_SERVER_MAX_DATABASES = 32_767;

/**
 * An elastic pool holds at most what Microsoft's limits give its SKU; a plain SQL Server (no SKU)
 * SQL_SERVER_MAX_DATABASES. A registration above it could never be filled (Azure answers 400
 * ElasticPoolDatabaseCountOverLimit), so it is refused, naming the page; so is a SKU the tables do not have.
 */
export function assertAzureSqlCapacity(maxDatabases: number, sku?: ElasticPoolSku): void {
  if (!sku) {
    if (maxDatabases > SQL_SERVER_MAX_DATABASES)
      throw new InvalidPoolCapacity(`maxDatabases ${maxDatabases} is more than one SQL Server holds (${SQL_SERVER_MAX_DATABASES})`);
    return;
  }
  const limits = DATABASES_PER_POOL[sku.name];
  if (!limits) {
    throw new InvalidPoolCapacity(
      `no database limit is known for elastic pool SKU ${sku.name}: give one of ${Object.keys(DATABASES_PER_POOL).join(', ')} (${VCORE_LIMITS}, ${DTU_LIMITS})`,
    );
  }
  const step = limits.steps.filter(([from]) => sku.capacity >= from).at(-1);
  if (!step) throw new InvalidPoolCapacity(`${sku.name} pools start at ${limits.steps[0][0]}, not ${sku.capacity} (${limits.page})`);
  if (maxDatabases > step[1]) {
    throw new InvalidPoolCapacity(`maxDatabases ${maxDatabases} is more than a ${sku.name} pool of ${sku.capacity} holds (${step[1]}, ${limits.page})`);
  }
}
