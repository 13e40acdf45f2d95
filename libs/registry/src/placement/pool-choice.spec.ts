import { PoolCapacityExhausted, PoolNotRegistered } from '@tenantry/common';
import type { DatabasePoolEntity } from '../entities/database-pool.entity';
import type { PoolUsage } from '../repositories/pool.repository';
import { assertRoomFor, choosePool } from './pool-choice';

const pool = (name: string, maxDatabases: number, databases: number, extra: Partial<DatabasePoolEntity> = {}, reserved = 0): PoolUsage => ({
  pool: {
    id: name,
    name,
    address: { engine: 'postgres', host: 'h', port: 5432, elasticPoolId: null, location: null },
    maxDatabases,
    dedicated: false,
    createdAt: new Date(),
    ...extra,
  },
  databases,
  reserved,
});

const elasticPool = (server: string, name: string): Partial<DatabasePoolEntity> => ({
  address: {
    engine: 'azure-sql',
    host: `${server}.database.windows.net`,
    port: 1433,
    elasticPoolId: `/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Sql/servers/${server}/elasticPools/${name}`,
    location: 'westeurope',
  },
});

describe('choosePool', () => {
  it('takes the shared pool with the most room', () => {
    expect(choosePool([pool('a', 10, 9), pool('b', 10, 2), pool('c', 100, 99)]).name).toBe('b');
  });

  it('never places automatically on a dedicated pool', () => {
    expect(choosePool([pool('own', 100, 0, { dedicated: true }), pool('shared', 10, 5)]).name).toBe('shared');
  });

  it('uses the named pool, dedicated or not, and says when it is full or unknown', () => {
    expect(choosePool([pool('own', 1, 0, { dedicated: true })], 'own').name).toBe('own');
    expect(() => choosePool([pool('own', 1, 1, { dedicated: true })], 'own')).toThrow('database pool own 1/1 is full');
    expect(() => choosePool([pool('a', 1, 0)], 'nope')).toThrow(PoolNotRegistered);
  });

  it('refuses with every pool listed when all shared pools are full', () => {
    expect(() => choosePool([pool('a', 2, 2), pool('b', 1, 1), pool('own', 5, 0, { dedicated: true })])).toThrow(
      'every shared database pool is full (a 2/2, b 1/1)',
    );
  });
});

describe('placement across engines', () => {
  it('fills two azure-sql elastic pools and a postgres server together, most room first, until all are full', () => {
    const usage = [pool('pg', 3, 0), pool('azure-a', 4, 0, elasticPool('sql-weu-1', 'pool-a')), pool('azure-b', 2, 0, elasticPool('sql-weu-2', 'pool-b'))];
    const placed: string[] = [];
    for (let tenant = 0; tenant < 9; tenant += 1) {
      expect(() => assertRoomFor(usage, undefined, 0)).not.toThrow();
      const chosen = choosePool(usage);
      placed.push(chosen.name);
      (usage.find((u) => u.pool.id === chosen.id) as PoolUsage).databases += 1;
    }
    // Most room first; a tie goes to the pool listed first.
    expect(placed).toEqual(['azure-a', 'pg', 'azure-a', 'pg', 'azure-a', 'azure-b', 'pg', 'azure-a', 'azure-b']);
    expect(usage.map((u) => `${u.pool.address.engine}:${u.databases}/${u.pool.maxDatabases}`)).toEqual(['postgres:3/3', 'azure-sql:4/4', 'azure-sql:2/2']);
    expect(() => assertRoomFor(usage, undefined, 0)).toThrow(PoolCapacityExhausted);
    expect(() => choosePool(usage)).toThrow('every shared database pool is full (pg 3/3, azure-a 4/4, azure-b 2/2)');
  });

  it('hands the elastic pool it chose to the caller with its id and region', () => {
    const chosen = choosePool([pool('pg', 10, 9), pool('azure-a', 500, 10, elasticPool('sql-weu-1', 'pool-a'))]);
    expect(chosen.address).toMatchObject({ engine: 'azure-sql', port: 1433, location: 'westeurope', elasticPoolId: expect.stringMatching(/elasticPools\/pool-a$/) });
  });
});

describe('assertRoomFor', () => {
  it('counts tenants already accepted but not placed yet', () => {
    expect(() => assertRoomFor([pool('a', 3, 1)], undefined, 1)).not.toThrow();
    expect(() => assertRoomFor([pool('a', 3, 1)], undefined, 2)).toThrow(PoolCapacityExhausted);
    expect(() => assertRoomFor([pool('own', 2, 1, { dedicated: true }, 1)], 'own', 0)).toThrow('already queued');
  });
});
