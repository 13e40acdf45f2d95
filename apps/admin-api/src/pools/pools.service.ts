import { Inject, Injectable } from '@nestjs/common';
import { CONFIGURED_POOL_OPTIONS, RegistryUnitOfWork, type ConfiguredPoolOptions, type PoolUsage } from '@tenantry/registry';
import type { Actor } from '../tenants/actor';
import type { RegisterPoolDto } from './dto/register-pool.dto';
import { poolAddress } from './pool-address';

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
      await r.pools.upsert({ name, ...address, maxDatabases: input.maxDatabases, dedicated: input.dedicated ?? false });
      await r.audit.record({ actor: actor.name, action: 'pool.register', details: { name, ...input }, requestId: actor.requestId ?? null });
    });
    return (await this.list()).find(({ pool }) => pool.name === name) as PoolUsage;
  }
}
