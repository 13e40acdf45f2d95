import { InvalidPoolAddress, InvalidPoolCapacity } from '@tenantry/common';
import { assertAzureSqlCapacity, parseElasticPoolId, sameResourceId } from './elastic-pool';

const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const id = (rest: string) => `/subscriptions/${SUBSCRIPTION}${rest}`;

describe('parseElasticPoolId', () => {
  it('takes the subscription, resource group, server and pool from a well-formed id', () => {
    expect(parseElasticPoolId(id('/resourceGroups/rg-tenants.prod(1)/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a'))).toEqual({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'rg-tenants.prod(1)',
      server: 'sql-weu-1',
      pool: 'pool-a',
    });
  });

  it('accepts the case ARM sometimes answers in, and normalises the server name', () => {
    const parsed = parseElasticPoolId(id('/resourcegroups/RG/providers/microsoft.sql/servers/SQL-WEU-1/elasticpools/Pool'));
    expect(parsed).toMatchObject({ resourceGroup: 'RG', server: 'sql-weu-1', pool: 'Pool' });
  });

  it.each([
    ['a database id', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db')],
    ['no subscription guid', '/subscriptions/prod/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/elasticPools/p'],
    ['another provider', id('/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/s1/elasticPools/p')],
    ['a server name with a dot', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1.evil/elasticPools/p')],
    ['a server name ending in a hyphen', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1-/elasticPools/p')],
    ['a resource group ending in a dot', id('/resourceGroups/rg./providers/Microsoft.Sql/servers/s1/elasticPools/p')],
    ['a path after the pool', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/elasticPools/p/databases/x')],
    ['a pool name with a slash-like character', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/elasticPools/p?x=1')],
    ['no leading slash', id('/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/elasticPools/p').slice(1)],
  ])('refuses %s', (_, value) => {
    expect(() => parseElasticPoolId(value)).toThrow(InvalidPoolAddress);
    expect(() => parseElasticPoolId(value)).toThrow('is not an elastic pool resource id');
  });

  it('compares ids without regard to case', () => {
    expect(sameResourceId(id('/resourceGroups/RG/x'), id('/resourcegroups/rg/X'))).toBe(true);
    expect(sameResourceId(id('/resourceGroups/rg/a'), id('/resourceGroups/rg/b'))).toBe(false);
  });
});

describe('assertAzureSqlCapacity', () => {
  it.each<[string, number, number]>([
    // General Purpose: 100, 200, then 500 by vCores.
    ['GP_Gen5', 2, 100],
    ['GP_Gen5', 4, 200],
    ['GP_Gen5', 6, 500],
    ['GP_Gen5', 80, 500],
    ['GP_DC', 4, 400],
    // Business Critical holds far fewer.
    ['BC_Gen5', 4, 50],
    ['BC_Gen5', 8, 100],
    ['BC_M', 64, 100],
    ['PremiumPool', 125, 50],
    ['StandardPool', 200, 500],
  ])('holds a %s pool of %d to its documented %d databases', (name, capacity, limit) => {
    expect(() => assertAzureSqlCapacity(limit, { name, capacity })).not.toThrow();
    expect(() => assertAzureSqlCapacity(limit + 1, { name, capacity })).toThrow(InvalidPoolCapacity);
    expect(() => assertAzureSqlCapacity(limit + 1, { name, capacity })).toThrow(
      `more than a ${name} pool of ${capacity} holds (${limit}, https://learn.microsoft.com/azure/azure-sql/database/resource-limits-`,
    );
  });

  it('refuses a SKU the limit tables do not have, and a capacity below the smallest pool of a SKU', () => {
    expect(() => assertAzureSqlCapacity(10, { name: 'HS_Gen5', capacity: 4 })).toThrow('no database limit is known for elastic pool SKU HS_Gen5');
    expect(() => assertAzureSqlCapacity(10, { name: 'BC_Gen5', capacity: 2 })).toThrow('BC_Gen5 pools start at 4, not 2');
  });

  it('allows a plain SQL Server its own instance limit', () => {
    expect(() => assertAzureSqlCapacity(5_000)).not.toThrow();
    expect(() => assertAzureSqlCapacity(40_000)).toThrow('more than one SQL Server holds (32767)');
  });
});
