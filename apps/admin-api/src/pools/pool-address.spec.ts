import { InvalidPoolAddress, InvalidPoolCapacity } from '@tenantry/common';
import type { RegisterPoolDto } from './dto/register-pool.dto';
import { poolAddress } from './pool-address';

const ELASTIC_POOL = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a';
const GP_6 = { name: 'GP_Gen5', capacity: 6 };
const address = (input: Partial<RegisterPoolDto>) => poolAddress({ engine: 'azure-sql', maxDatabases: 100, ...input });
const elastic = (input: Partial<RegisterPoolDto> = {}) => address({ elasticPoolId: ELASTIC_POOL, location: 'westeurope', sku: GP_6, ...input });

describe('poolAddress', () => {
  it('takes a postgres pool at host:port, or on the registered server it names, without Azure fields', () => {
    const managed = { host: '127.0.0.1', port: 5432 };
    expect(poolAddress({ engine: 'postgres', host: '127.0.0.1', port: 5432, maxDatabases: 10 })).toEqual({
      engine: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      elasticPoolId: null,
      location: null,
    });
    expect(poolAddress({ engine: 'postgres', server: 'pg-2', maxDatabases: 10 }, { engine: 'postgres', host: 'pg-2.internal', port: 6432 })).toMatchObject({
      host: 'pg-2.internal',
      port: 6432,
    });
    expect(() => poolAddress({ engine: 'postgres', server: 'sql', maxDatabases: 10 }, { engine: 'azure-sql', ...managed })).toThrow(
      'is an azure-sql server, not postgres',
    );
    expect(() => poolAddress({ engine: 'postgres', maxDatabases: 10 })).toThrow('a postgres pool needs its server');
    expect(() => poolAddress({ engine: 'postgres', ...managed, maxDatabases: 10, location: 'westeurope' })).toThrow('belong to azure-sql pools');
    expect(() => poolAddress({ engine: 'postgres', ...managed, maxDatabases: 10, sku: GP_6 })).toThrow('belong to azure-sql pools');
  });

  it('derives the host and port of an elastic pool from its resource id', () => {
    expect(elastic({ maxDatabases: 500 })).toEqual({
      engine: 'azure-sql',
      host: 'sql-weu-1.database.windows.net',
      port: 1433,
      elasticPoolId: ELASTIC_POOL,
      location: 'westeurope',
    });
    // Another cloud's DNS suffix, given explicitly.
    expect(elastic({ location: 'chinanorth3', host: 'sql-weu-1.database.chinacloudapi.cn' }).host).toBe('sql-weu-1.database.chinacloudapi.cn');
  });

  it.each<[string, Partial<RegisterPoolDto>, string]>([
    ['a malformed resource id', { elasticPoolId: '/subscriptions/x/elasticPools/p', location: 'westeurope', sku: GP_6 }, 'is not an elastic pool resource id'],
    ['an elastic pool without its region', { elasticPoolId: ELASTIC_POOL, sku: GP_6 }, 'needs its location'],
    ['an elastic pool without its sku', { elasticPoolId: ELASTIC_POOL, location: 'westeurope' }, 'needs its sku'],
    [
      "a host that is not the pool's server",
      { elasticPoolId: ELASTIC_POOL, location: 'westeurope', sku: GP_6, host: 'other.database.windows.net' },
      'is not the server of the elastic pool',
    ],
    ['a region without an elastic pool', { host: 'sql.local', location: 'westeurope' }, 'give its elasticPoolId too'],
    ['a sku without an elastic pool', { host: 'sql.local', sku: GP_6 }, 'give its elasticPoolId too'],
    ['a plain SQL Server without a host', {}, 'needs the host'],
  ])('refuses %s', (_, input, message) => {
    expect(() => address(input)).toThrow(InvalidPoolAddress);
    expect(() => address(input)).toThrow(message);
  });

  it('takes a plain SQL Server at host:port, 1433 by default', () => {
    expect(address({ host: 'sqlserver' })).toEqual({ engine: 'azure-sql', host: 'sqlserver', port: 1433, elasticPoolId: null, location: null });
  });

  it('refuses more databases than the elastic pool’s SKU holds: Business Critical far fewer than General Purpose', () => {
    expect(() => elastic({ maxDatabases: 501 })).toThrow(InvalidPoolCapacity);
    expect(() => elastic({ maxDatabases: 101, sku: { name: 'BC_Gen5', capacity: 8 } })).toThrow('more than a BC_Gen5 pool of 8 holds (100');
    expect(() => elastic({ maxDatabases: 201, sku: { name: 'GP_Gen5', capacity: 4 } })).toThrow('more than a GP_Gen5 pool of 4 holds (200');
    expect(() => address({ host: 'sqlserver', maxDatabases: 501 })).not.toThrow();
  });
});
