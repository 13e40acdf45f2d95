import { InvalidPoolAddress, type PoolAddress } from '@tenantry/common';
import { assertAzureSqlCapacity, AZURE_SQL_PORT, defaultServerHost, parseElasticPoolId } from '@tenantry/engines';
import type { RegisterPoolDto } from './dto/register-pool.dto';

/**
 * Where a registered pool's databases live, with the defaults each engine allows: on `server` when
 * one is named (its host and port, unless given the same). A postgres pool is a share of a
 * PostgreSQL server at host:port; an azure-sql pool is an elastic pool (resource id and region, host
 * derived from the server) or, without an id, a plain SQL Server at host:port.
 */
export function poolAddress(request: RegisterPoolDto, registered?: { engine: string; host: string; port: number }): PoolAddress {
  if (registered && registered.engine !== request.engine)
    throw new InvalidPoolAddress(`server ${request.server} is an ${registered.engine} server, not ${request.engine}`);
  const input = registered ? { ...request, host: request.host ?? registered.host, port: request.port ?? registered.port } : request;
  const { engine, host, port, elasticPoolId, location, sku, maxDatabases } = input;
  if (engine === 'postgres') {
    if (elasticPoolId || location || sku) throw new InvalidPoolAddress('elasticPoolId, location and sku belong to azure-sql pools');
    if (!host || !port) throw new InvalidPoolAddress('a postgres pool needs its server (or its host and port)');
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
