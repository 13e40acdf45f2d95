import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';
import { EngineRegistry, tenantDatabaseNames } from '@tenantry/engines';
import { choosePool, RegistryUnitOfWork, type TenantEntity } from '@tenantry/registry';

/**
 * Chooses where a new tenant database goes: the pool it named, else the shared pool with the most
 * room among those whose engine this worker drives (a pool of an engine it lacks is never chosen
 * automatically; naming one fails with EngineNotConfigured).
 */
@Injectable()
export class PlacementService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Idempotent: a tenant already placed keeps its place. Serialised so two tenants never take the last slot. */
  async place(tenant: TenantEntity, requestedPool?: string): Promise<void> {
    await this.registry.transaction(async (r) => {
      if (await r.databases.findByTenant(tenant.id)) return;
      await r.pools.lockAll();
      const usage = await r.pools.usage();
      const pool = choosePool(requestedPool ? usage : usage.filter(({ pool }) => this.engines.has(pool.address.engine)), requestedPool);
      // A named pool of an engine this worker cannot drive fails the placement, before anything is placed on it.
      this.engines.assertConfigured(pool.address.engine);
      const names = tenantDatabaseNames(tenant.code, this.config.env);
      await r.databases.place({
        tenantId: tenant.id,
        poolId: pool.id,
        address: pool.address,
        databaseName: names.databaseName,
        loginName: names.loginName,
      });
    });
  }
}
