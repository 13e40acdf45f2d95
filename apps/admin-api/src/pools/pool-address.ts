import { InvalidPoolAddress, type PoolAddress } from '@tenantry/common';
import { assertAzureSqlCapacity, AZURE_SQL_PORT, defaultServerHost, parseElasticPoolId } from '@tenantry/engines';
import type { RegisterPoolDto } from './dto/register-pool.dto';

/**
 * Where a registered pool's databases live, with the defaults each engine allows. A postgres pool
 * must be on the server this deployment manages; an azure-sql pool is an elastic pool (resource id
 * and region, host derived from the server) or, without an id, a plain SQL Server at host:port.
 */
export function poolAddress(input: RegisterPoolDto, managedServer: { host: string; port: number }): PoolAddress {
  const { engine, host, port, elasticPoolId, location, sku, maxDatabases } = input;
  if (engine === 'postgres') {
    if (elasticPoolId || location || sku) throw new InvalidPoolAddress('elasticPoolId, location and sku belong to azure-sql pools');
    if (host !== managedServer.host || port !== managedServer.port) {
      throw new InvalidPoolAddress(`postgres pools must be on the server this deployment manages (${managedServer.host}:${managedServer.port})`);
    }
    return { engine, host, port, elasticPoolId: null, location: null };
  }
  if (!elasticPoolId) {
    if (location || sku) throw new InvalidPoolAddress('location and sku belong to an elastic pool: give its elasticPoolId too');
    if (!host) throw new InvalidPoolAddress('a SQL Server pool without elasticPoolId needs the host of the server');
    assertAzureSqlCapacity(maxDatabases);
    return { engine, host, port: port ?? AZURE_SQL_PORT, elasticPoolId: null, location: null };
  }
  const { server } = parseElasticPoolId(elasticPoolId);
  if (!location) throw new InvalidPoolAddress('an elastic pool needs its location (the Azure region, e.g. westeurope)');
  if (!sku) throw new InvalidPoolAddress('an elastic pool needs its sku ({"name":"GP_Gen5","capacity":4}): how many databases it holds depends on it');
  assertAzureSqlCapacity(maxDatabases, sku);
  const serverHost = host ?? defaultServerHost(server);
  if (!serverHost.toLowerCase().startsWith(`${server}.`)) {
    throw new InvalidPoolAddress(`host ${serverHost} is not the server of the elastic pool (${server})`);
  }
  return { engine, host: serverHost, port: port ?? AZURE_SQL_PORT, elasticPoolId, location };
}
