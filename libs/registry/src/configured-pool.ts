import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = this.config.tenantServer;
    if (!server.register) return;
    await this.registry.repositories.pools.insertIfAbsent({
      name: server.pool,
      address: { engine: 'postgres', host: server.host, port: server.port, elasticPoolId: null, location: null },
      maxDatabases: server.maxDatabases,
      dedicated: false,
    });
  }
}
