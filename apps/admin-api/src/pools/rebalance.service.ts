import { Inject, Injectable } from '@nestjs/common';
import { overfullPools, planRebalance, type RebalancePlan, RegistryUnitOfWork } from '@tenantry/registry';
import { ADMISSION_OPTIONS, type AdmissionOptions, REBALANCE_OPTIONS, type RebalanceOptions } from '../admin-api-settings';

/**
 * Rebalance plans: the registry's fill figures (servers and pools, then the movable tenants of the
 * overfull pools only), planned by the pure planner under admission's own limits. A plan is advice
 * read at one moment: the move operation checks its target again when it runs.
 */
@Injectable()
export class RebalanceService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(ADMISSION_OPTIONS) private readonly admission: AdmissionOptions,
    @Inject(REBALANCE_OPTIONS) private readonly options: RebalanceOptions,
  ) {}

  async plan(thresholdPercent = this.options.thresholdPercent): Promise<RebalancePlan> {
    const { fill } = this.registry.repositories;
    const fleet = await fill.fleet();
    const tenants = await fill.movableTenants(overfullPools(fleet, thresholdPercent).map((pool) => pool.id));
    return planRebalance(fleet, tenants, { thresholdPercent, engines: this.admission.engines });
  }
}
