import { PoolCapacityExhausted, PoolNotRegistered, type EngineKind } from '@tenantry/common';
import type { DatabasePoolEntity } from '../entities/database-pool.entity';
import type { RegistryRepositories } from '../registry-unit-of-work';

export interface SlotRequest {
  /** The pool the tenant named (dedicated or not); without one, the shared pools of `engines`. */
  pool?: string;
  /** The engines whose pools automatic placement may choose: those the processes drive. */
  engines: EngineKind[];
  /** How long to wait for a pool's row that other admissions hold before answering RegistryBusy. */
  lockTimeoutMs: number;
}

const describe = (pool: DatabasePoolEntity) => `${pool.name} ${pool.usedSlots}/${pool.maxDatabases}`;

/**
 * Inside the caller's transaction, gives a tenant that holds no slot a place in a pool: the pool
 * it names, else the shared pool with the most room, preferring one no other admission is busy
 * with. Only the chosen pool's row is locked, so admissions to different pools never wait on each
 * other. Returns the pool's id; a full fleet is refused here, before anything is created.
 */
export async function reserveSlot(r: RegistryRepositories, tenantId: string, request: SlotRequest): Promise<string> {
  await r.pools.limitLockWaits(request.lockTimeoutMs);
  if (request.pool) {
    const taken = await r.pools.reserve(tenantId, request.pool);
    if (taken) return taken;
    const pool = await r.pools.findByName(request.pool);
    if (!pool) throw new PoolNotRegistered(request.pool);
    throw new PoolCapacityExhausted(`database pool ${describe(pool)} is full`);
  }
  const free = await r.pools.reserveFree(tenantId, request.engines);
  if (free) return free;
  // Every pool with room is busy with another admission (or none has room): wait in turn, roomiest first.
  for (const pool of await r.pools.withRoom(request.engines)) {
    const taken = await r.pools.reserve(tenantId, pool.name);
    if (taken) return taken;
  }
  throw exhausted((await r.pools.shared()).filter((pool) => request.engines.includes(pool.address.engine)));
}

function exhausted(shared: DatabasePoolEntity[]): PoolCapacityExhausted {
  return new PoolCapacityExhausted(
    shared.length === 0
      ? 'no shared database pool is registered'
      : `every shared database pool is full (${shared.map(describe).join(', ')}); register a pool or raise a capacity with PUT /pools/:name`,
  );
}
