import { Inject, Injectable, Logger } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork, type RetiredDatabaseEntity } from '@tenantry/registry';
import { RepeatingPass } from '../repeating-pass';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

const BATCH = 50;

/**
 * Drops the databases switchovers left behind once their retention is over. Workers may all sweep:
 * a drop is idempotent, and a database that is (again) the tenant's current one is never dropped,
 * only its retirement closed. The login goes too when the tenant has no database left on that server.
 */
@Injectable()
export class RetiredDatabaseSweeper extends RepeatingPass {
  private readonly logger = new Logger(RetiredDatabaseSweeper.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {
    super();
  }

  protected interval(): number {
    return this.options.retiredDatabaseSweepIntervalMs;
  }

  /** One pass; returns how many retired databases it closed. */
  sweepOnce(): Promise<number> {
    return this.once();
  }

  protected async pass(): Promise<number> {
    let closed = 0;
    try {
      for (const retired of await this.registry.repositories.retiredDatabases.due(BATCH)) {
        try {
          await this.drop(retired);
          closed += 1;
        } catch (error) {
          this.logger.warn({ tenant_id: retired.tenantId, err: error }, `retired database ${retired.databaseName} not dropped yet`);
        }
      }
    } catch (error) {
      this.logger.error({ err: error }, 'retired database sweep failed');
    }
    return closed;
  }

  private async drop(retired: RetiredDatabaseEntity): Promise<void> {
    const r = this.registry.repositories;
    const [tenant, current] = await Promise.all([r.tenants.findById(retired.tenantId), r.databases.findByTenant(retired.tenantId)]);
    const sameServer = current?.address.host === retired.address.host && current.address.port === retired.address.port;
    if (!(sameServer && current.databaseName === retired.databaseName && current.droppedAt === null)) {
      const target = {
        tenantId: retired.tenantId,
        tenantCode: tenant?.code ?? '',
        address: retired.address,
        databaseName: retired.databaseName,
        loginName: retired.loginName,
      };
      const engine = await this.engines.on(retired.address);
      await engine.dropDatabase(target);
      if (!sameServer) await engine.dropLogin(target);
      this.logger.log({ tenant_id: retired.tenantId }, `retired database ${retired.databaseName} dropped after its retention`);
    }
    await r.retiredDatabases.markDropped(retired.id);
  }
}
