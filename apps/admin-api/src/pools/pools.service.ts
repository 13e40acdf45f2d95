import { Inject, Injectable } from '@nestjs/common';
import { CONFIGURED_POOL_OPTIONS, RegistryUnitOfWork, type ConfiguredPoolOptions, type PoolUsage } from '@tenantry/registry';
import type { Actor } from '../tenants/actor';
import type { RegisterPoolDto } from './dto/register-pool.dto';
import { poolAddress } from './pool-address';
import { ConfiguredPoolNotRemovable, PoolInUse, PoolNotFound } from './pool-errors';

@Injectable()
export class PoolsService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly configuredPool: ConfiguredPoolOptions,
  ) {}

  list(): Promise<PoolUsage[]> {
    return this.registry.repositories.pools.usage();
  }

  /** Registers a pool or changes its capacity; the PostgreSQL engine of a deployment drives one server. */
  async register(name: string, input: RegisterPoolDto, actor: Actor): Promise<PoolUsage> {
    const address = poolAddress(input, this.configuredPool);
    await this.registry.transaction(async (r) => {
      await r.pools.upsert({ name, address, maxDatabases: input.maxDatabases, dedicated: input.dedicated ?? false });
      await r.audit.record({ actor, action: 'pool.register', details: { name, ...input } });
    });
    return (await this.list()).find(({ pool }) => pool.name === name) as PoolUsage;
  }

  /**
   * Removes a pool no tenant needs. Its row stays locked to the end, and taking a slot in it updates
   * that row, so no tenant is accepted for it or placed on it between the check and the delete.
   */
  async remove(name: string, actor: Actor): Promise<void> {
    await this.registry.transaction(async (r) => {
      const pool = await r.pools.lockByName(name);
      if (!pool) throw new PoolNotFound(name);
      if (this.configuredPool.register && name === this.configuredPool.name) throw new ConfiguredPoolNotRemovable(name);
      const tenants = await r.pools.tenantsUsing(pool);
      if (tenants.length > 0) throw new PoolInUse(name, tenants);
      await r.pools.remove(pool);
      const { address, maxDatabases, dedicated } = pool;
      await r.audit.record({ actor, action: 'pool.remove', details: { name, ...address, maxDatabases, dedicated } });
    });
  }
}
