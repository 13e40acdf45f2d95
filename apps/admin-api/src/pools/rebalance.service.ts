import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@tenantry/common';
import { type FleetFill, overfullPools, planRebalance, type ProposedMove, type RebalancePlan, RegistryUnitOfWork } from '@tenantry/registry';
import { ADMISSION_OPTIONS, type AdmissionOptions, REBALANCE_OPTIONS, type RebalanceOptions } from '../admin-api-settings';
import type { Actor } from '../tenants/actor';
import { operationView } from '../tenants/tenant.view';
import { TenantsService } from '../tenants/tenants.service';
import { RebalanceInProgress } from './pool-errors';

export interface RebalanceRun extends RebalancePlan {
  concurrency: number;
  /** Moves already running when this call began, across the fleet. */
  movesUnderWay: number;
  started: Array<ProposedMove & { operation: ReturnType<typeof operationView> }>;
  /** Proposed, but the cap was reached: a later call starts them (if they are still needed then). */
  deferred: ProposedMove[];
  /** Proposed, but the move operation refused it (the target filled meanwhile, the tenant changed status): its reason. */
  refused: Array<ProposedMove & { refusal: string }>;
}

// One key for the whole fleet: the cap counts every move under way.
const REBALANCE_LOCK = 'rebalance:start';

/**
 * Rebalance plans: the registry's fill figures (servers and pools, then the movable tenants of the
 * overfull pools only), planned by the pure planner under admission's own limits. A plan is advice
 * read at one moment; a run starts its moves through the move operation (POST /tenants/:code/move),
 * which checks each target again.
 */
@Injectable()
export class RebalanceService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly tenants: TenantsService,
    @Inject(ADMISSION_OPTIONS) private readonly admission: AdmissionOptions,
    @Inject(REBALANCE_OPTIONS) private readonly options: RebalanceOptions,
  ) {}

  async plan(thresholdPercent = this.options.thresholdPercent): Promise<RebalancePlan> {
    return (await this.planned(thresholdPercent)).plan;
  }

  /**
   * Starts the plan's moves, in its order, while fewer than `concurrency` moves are under way across
   * the fleet; the rest is deferred. A run does not wait for its moves: calling again (by hand or on
   * a schedule) goes on once some have ended, from a fresh plan that counts the moves still running.
   * Two runs never start at once (an advisory lock), so together they keep to the cap.
   */
  async run(actor: Actor, thresholdPercent = this.options.thresholdPercent, concurrency = this.options.concurrentMoves): Promise<RebalanceRun> {
    const locked = await this.registry.withLock(REBALANCE_LOCK, async () => {
      const { plan, fill } = await this.planned(thresholdPercent);
      const run: RebalanceRun = { ...plan, concurrency, movesUnderWay: fill.movesUnderWay, started: [], deferred: [], refused: [] };
      for (const move of plan.moves) {
        if (fill.movesUnderWay + run.started.length >= concurrency) {
          run.deferred.push(move);
          continue;
        }
        try {
          run.started.push({ ...move, operation: operationView(await this.tenants.move(move.tenant.code, move.to.pool, actor)) });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          run.refused.push({ ...move, refusal: error.message });
        }
      }
      return run;
    });
    if (!locked.acquired) throw new RebalanceInProgress();
    return locked.value;
  }

  private async planned(thresholdPercent: number): Promise<{ plan: RebalancePlan; fill: FleetFill }> {
    const { fill } = this.registry.repositories;
    const fleet = await fill.fleet();
    const tenants = await fill.movableTenants(overfullPools(fleet, thresholdPercent).map((pool) => pool.id));
    return { plan: planRebalance(fleet, tenants, { thresholdPercent, engines: this.admission.engines }), fill: fleet };
  }
}
