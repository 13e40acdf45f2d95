import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { choosePool, RegistryUnitOfWork, type TenantEntity } from '@tenantry/registry';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

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
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  /** Idempotent: a tenant already placed keeps its place. Serialised so two tenants never take the last slot. */
  async place(tenant: TenantEntity, requestedPool?: string): Promise<void> {
    await this.registry.transaction(async (r) => {
      if (await r.databases.findByTenant(tenant.id)) return;
      await r.pools.lockAll();
      const usage = await r.pools.usage();
      const pool = choosePool(requestedPool ? usage : usage.filter(({ pool }) => this.engines.has(pool.engine)), requestedPool);
      const names = this.engines.get(pool.engine).namesFor(tenant.code, this.options.environment);
      await r.databases.place({
        tenantId: tenant.id,
        poolId: pool.id,
        engine: pool.engine,
        host: pool.host,
        port: pool.port,
        elasticPoolId: pool.elasticPoolId,
        location: pool.location,
        databaseName: names.databaseName,
        loginName: names.loginName,
      });
    });
  }
}
