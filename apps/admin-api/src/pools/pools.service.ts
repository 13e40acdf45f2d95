import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';
import { RegistryUnitOfWork, type PoolUsage } from '@tenantry/registry';
import type { Actor } from '../tenants/actor';
import type { RegisterPoolDto } from './dto/register-pool.dto';
import { poolAddress } from './pool-address';

@Injectable()
export class PoolsService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(): Promise<PoolUsage[]> {
    return this.registry.repositories.pools.usage();
  }

  /** Registers a pool or changes its capacity; the PostgreSQL engine of a deployment drives one server. */
  async register(name: string, input: RegisterPoolDto, actor: Actor): Promise<PoolUsage> {
    const address = poolAddress(input, this.config.tenantServer);
    await this.registry.transaction(async (r) => {
      await r.pools.upsert({ name, address, maxDatabases: input.maxDatabases, dedicated: input.dedicated ?? false });
      await r.audit.record({ actor, action: 'pool.register', details: { name, ...input } });
    });
    return (await this.list()).find(({ pool }) => pool.name === name) as PoolUsage;
  }
}
