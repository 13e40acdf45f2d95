import { PoolCapacityExhausted, PoolNotRegistered, type EngineKind } from '@tenantry/common';
import type { DatabasePoolEntity } from '../entities/database-pool.entity';
import type { RegistryRepositories } from '../registry-unit-of-work';

export interface SlotRequest {
  /** The pool the tenant named (dedicated or not); without one, the shared pools of `engines`. */
  pool?: string;
  /** The engines whose pools automatic placement may choose: those the processes drive. */
  engines: EngineKind[];
  /** The tenant's region: only pools on servers of that region take it. */
  region: string;
  /** How long to wait for a pool's row that other admissions hold before answering RegistryBusy. */
  lockTimeoutMs: number;
}

const describe = (pool: DatabasePoolEntity) => `${pool.name} ${pool.usedSlots}/${pool.maxDatabases}`;

/**
 * Inside the caller's transaction, gives a tenant that holds no slot a place in a pool of its
 * region, on a server that is not draining: the pool it names, else the shared pool with the most
 * room, preferring one no other admission is busy with. Only the chosen pool's row is locked, so
 * admissions to different pools never wait on each other; a server's limit holds because its
 * pools' capacities together never pass it. Returns the pool's id; a full fleet is refused here,
 * before anything is created.
 */
export async function reserveSlot(r: RegistryRepositories, tenantId: string, request: SlotRequest): Promise<string> {
  const { region, engines } = request;
  await r.pools.limitLockWaits(request.lockTimeoutMs);
  if (request.pool) {
    const taken = await r.pools.reserve(tenantId, request.pool, region);
    if (taken) return taken;
    throw await namedPoolRefusal(r, request.pool, region);
  }
  const free = await r.pools.reserveFree(tenantId, engines, region);
  if (free) return free;
  // Every pool with room is busy with another admission (or none has room): wait in turn, roomiest first.
  for (const name of await r.pools.withRoom(engines, region)) {
    const taken = await r.pools.reserve(tenantId, name, region);
    if (taken) return taken;
  }
  throw exhausted(await r.pools.shared(engines), region);
}

async function namedPoolRefusal(r: RegistryRepositories, name: string, region: string): Promise<Error> {
  const pool = await r.pools.findByName(name);
  if (!pool) return new PoolNotRegistered(name);
  const server = (await r.servers.findById(pool.serverId))!;
  if (server.draining) return new PoolCapacityExhausted(`database pool ${name} is on server ${server.name}, which is draining: it takes no new tenant`);
  if (server.region !== region) return new PoolCapacityExhausted(`database pool ${name} is in region ${server.region}, not the tenant's (${region})`);
  return new PoolCapacityExhausted(`database pool ${describe(pool)} is full`);
}

function exhausted(shared: Array<DatabasePoolEntity & { region: string; draining: boolean }>, region: string): PoolCapacityExhausted {
  const inRegion = shared.filter((pool) => pool.region === region);
  const open = inRegion.filter((pool) => !pool.draining);
  if (inRegion.length === 0) return new PoolCapacityExhausted(`no shared database pool is registered in region ${region}`);
  if (open.length === 0) {
    return new PoolCapacityExhausted(
      `every server with a shared database pool in region ${region} is draining; register a server (PUT /servers/:name) or stop draining one`,
    );
  }
  return new PoolCapacityExhausted(
    `every shared database pool in region ${region} is full (${open.map(describe).join(', ')}); register a pool or raise a capacity with PUT /pools/:name`,
  );
}
