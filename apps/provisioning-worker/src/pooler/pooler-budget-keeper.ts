import { Inject, Injectable, Logger } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork, serverAddress } from '@tenantry/registry';
import { RepeatingPass } from '../repeating-pass';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/**
 * Holds every PostgreSQL server's pooler under TENANT_PG_POOLER_SERVER_BUDGET server connections:
 * PgBouncer caps them per database, not across the server, so a fleet with more tenant databases than
 * the server has connections relies on server_idle_timeout alone, and a burst of cold tenants passes
 * max_connections (the server refuses, a request answers 503). With the keeper the idle timeout can be
 * long (warm tenants stay warm) while the least recently used databases give their connections back
 * when room is needed. Every worker may keep: closing an idle connection twice is harmless.
 */
@Injectable()
export class PoolerBudgetKeeper extends RepeatingPass {
  private readonly logger = new Logger(PoolerBudgetKeeper.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {
    super();
  }

  protected interval(): number {
    const { serverConnections, intervalMs } = this.options.poolerBudget;
    return serverConnections > 0 ? intervalMs : 0;
  }

  /** One look at every PostgreSQL server's pooler; returns how many databases' connections it closed. */
  keepOnce(): Promise<number> {
    return this.once();
  }

  protected async pass(): Promise<number> {
    let closed = 0;
    try {
      for (const server of await this.registry.repositories.servers.byEngine('postgres')) {
        try {
          const engine = await this.engines.on(serverAddress(server));
          const databases = await engine.holdPoolerBudget(this.options.poolerBudget.serverConnections);
          closed += databases.length;
          if (databases.length > 0) {
            this.logger.debug(
              `pooler of ${server.name}: closed the idle server connections of ${databases.length} least recently used databases to stay under the budget`,
            );
          }
        } catch (error) {
          this.logger.warn({ err: error }, `pooler of ${server.name}: its budget not kept this time`);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'pooler budget: servers not read');
    }
    return closed;
  }
}
