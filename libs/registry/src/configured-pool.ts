import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CONFIGURED_POOL_OPTIONS, type ConfiguredPoolOptions } from './registry-options';
import { RegistryUnitOfWork } from './registry-unit-of-work';

/**
 * Registers the server this deployment is configured with (TENANT_PG_URL, the zero-configuration
 * first server) and a shared pool on it, so a fresh machine has somewhere to place tenants. Only
 * when absent: a limit, region or capacity changed later through PUT /servers or PUT /pools stays.
 * Off (TENANT_PG_POOL_REGISTER=false) where that server only holds the registry, as on Azure.
 */
@Injectable()
export class ConfiguredPool implements OnApplicationBootstrap {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly pool: ConfiguredPoolOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { register, name, host, port, maxDatabases, region, serverMaxDatabases } = this.pool;
    if (!register) return;
    await this.registry.transaction(async (r) => {
      const server = await r.servers.insertIfAbsent({
        name,
        engine: 'postgres',
        host,
        port,
        region,
        maxDatabases: serverMaxDatabases,
        credentialKind: 'configured',
        login: null,
        secret: null,
        draining: false,
      });
      if (!server) {
        throw new Error(`a server named "${name}" (TENANT_POOL_NAME) is registered at another address than ${host}:${port}: rename one of them`);
      }
      await r.pools.insertIfAbsent({
        name,
        serverId: server.id,
        address: { engine: 'postgres', host, port, elasticPoolId: null, location: null },
        maxDatabases,
        dedicated: false,
      });
    });
  }
}
