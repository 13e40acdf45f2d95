import { PoolCapacityExhausted, PoolNotRegistered } from '@tenantry/common';
import type { DatabasePoolEntity } from '../entities/database-pool.entity';
import type { PoolUsage } from '../repositories/pool.repository';

const describe = ({ pool, databases }: PoolUsage) => `${pool.name} ${databases}/${pool.maxDatabases}`;

function named(usage: PoolUsage[], name: string): PoolUsage {
  const found = usage.find(({ pool }) => pool.name === name);
  if (!found) throw new PoolNotRegistered(name);
  return found;
}

/** Where a tenant's database goes: the pool it names, else the shared pool with the most room. */
export function choosePool(usage: PoolUsage[], requested?: string): DatabasePoolEntity {
  if (requested) {
    const pool = named(usage, requested);
    if (pool.databases >= pool.pool.maxDatabases) throw new PoolCapacityExhausted(`database pool ${describe(pool)} is full`);
    return pool.pool;
  }
  const candidates = usage
    .filter(({ pool, databases }) => !pool.dedicated && databases < pool.maxDatabases)
    .sort((a, b) => b.pool.maxDatabases - b.databases - (a.pool.maxDatabases - a.databases));
  if (candidates.length === 0) throw exhausted(usage);
  return candidates[0].pool;
}

/**
 * Whether one more tenant fits, counting the tenants already accepted but not placed yet, so a
 * full fleet refuses at the API with nothing created rather than failing later in the worker.
 */
export function assertRoomFor(usage: PoolUsage[], requested: string | undefined, waitingForAutomatic: number): void {
  if (requested) {
    const pool = named(usage, requested);
    if (pool.databases + pool.reserved >= pool.pool.maxDatabases) {
      throw new PoolCapacityExhausted(`database pool ${describe(pool)} is full (${pool.reserved} more tenants already queued for it)`);
    }
    return;
  }
  const room = usage
    .filter(({ pool }) => !pool.dedicated)
    .reduce((sum, { pool, databases }) => sum + Math.max(0, pool.maxDatabases - databases), 0);
  if (room - waitingForAutomatic <= 0) throw exhausted(usage);
}

function exhausted(usage: PoolUsage[]): PoolCapacityExhausted {
  const shared = usage.filter(({ pool }) => !pool.dedicated);
  return new PoolCapacityExhausted(
    shared.length === 0
      ? 'no shared database pool is registered'
      : `every shared database pool is full (${shared.map(describe).join(', ')}); register a pool or raise a capacity with PUT /pools/:name`,
  );
}
