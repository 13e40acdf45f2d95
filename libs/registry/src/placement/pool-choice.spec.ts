import { PoolCapacityExhausted, PoolNotRegistered } from '@tenantry/common';
import type { DatabasePoolEntity } from '../entities/database-pool.entity';
import type { PoolUsage } from '../repositories/pool.repository';
import { assertRoomFor, choosePool } from './pool-choice';

const pool = (name: string, maxDatabases: number, databases: number, extra: Partial<DatabasePoolEntity> = {}, reserved = 0): PoolUsage => ({
  pool: { id: name, name, engine: 'postgres', host: 'h', port: 5432, maxDatabases, dedicated: false, createdAt: new Date(), ...extra },
  databases,
  reserved,
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

describe('assertRoomFor', () => {
  it('counts tenants already accepted but not placed yet', () => {
    expect(() => assertRoomFor([pool('a', 3, 1)], undefined, 1)).not.toThrow();
    expect(() => assertRoomFor([pool('a', 3, 1)], undefined, 2)).toThrow(PoolCapacityExhausted);
    expect(() => assertRoomFor([pool('own', 2, 1, { dedicated: true }, 1)], 'own', 0)).toThrow('already queued');
  });
});
