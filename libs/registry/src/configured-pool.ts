import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CONFIGURED_POOL_OPTIONS, type ConfiguredPoolOptions } from './registry-options';
import { RegistryUnitOfWork } from './registry-unit-of-work';

/**
 * Registers the server this deployment is configured with as a pool, so a fresh machine has
 * somewhere to place tenants. Only when absent: a capacity changed later through PUT /pools stays.
 * Off (TENANT_PG_POOL_REGISTER=false) where that server only holds the registry, as on Azure.
 */
@Injectable()
export class ConfiguredPool implements OnApplicationBootstrap {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly pool: ConfiguredPoolOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { register, name, host, port, maxDatabases } = this.pool;
    if (!register) return;
    await this.registry.repositories.pools.insertIfAbsent({
      name,
      address: { engine: 'postgres', host, port, elasticPoolId: null, location: null },
      maxDatabases,
      dedicated: false,
    });
  }
}
