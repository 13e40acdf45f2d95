import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry, tenantDatabaseNames } from '@tenantry/engines';
import { RegistryUnitOfWork, reserveSlot, SLOT_RESERVATION_OPTIONS, type SlotReservationOptions, type TenantEntity } from '@tenantry/registry';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/**
 * Records where a new tenant database goes: the pool whose slot the tenant took at admission. A
 * tenant without one (its provisioning failed before placement and was retried, or it was admitted
 * before slots were kept) takes one now, as admission would: the pool it named, else the shared
 * pool with the most room among those whose engine this worker drives (naming a pool of an engine
 * it lacks fails with EngineNotConfigured).
 */
@Injectable()
export class PlacementService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(SLOT_RESERVATION_OPTIONS) private readonly slots: SlotReservationOptions,
  ) {}

  /** Idempotent: a tenant already placed keeps its place. An undeleted tenant, whose database was dropped, is placed again where a new one of its code would be. */
  async place(tenant: TenantEntity, requestedPool?: string): Promise<void> {
    await this.registry.transaction(async (r) => {
      const existing = await r.databases.findByTenant(tenant.id);
      if (existing && !existing.droppedAt) return;
      const current = await r.tenants.findById(tenant.id, true);
      const poolId =
        current?.slotPoolId ??
        (await reserveSlot(r, tenant.id, { pool: requestedPool, engines: this.engines.kinds(), region: tenant.region, lockTimeoutMs: this.slots.lockTimeoutMs }));
      // The slot's foreign key keeps its pool registered.
      const pool = (await r.pools.findById(poolId))!;
      // A pool of an engine this worker cannot drive (named, or taken at admission) fails the placement, before anything is placed on it.
      this.engines.assertConfigured(pool.address.engine);
      const names = tenantDatabaseNames(tenant.code, this.options.environment);
      const row = { tenantId: tenant.id, poolId: pool.id, address: pool.address, databaseName: names.databaseName, loginName: names.loginName };
      await (existing ? r.databases.placeAgain(row) : r.databases.place(row));
    });
  }
}
