import { Inject, Injectable, Logger } from '@nestjs/common';
import { EngineRegistry, type TenantDatabaseTarget } from '@tenantry/engines';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';
import { WarmPoolKeeper } from './warm-pool-keeper';

export type CreationPath = 'existing' | 'spare' | 'template' | 'plain';

/**
 * The create-database step: a warm spare (a rename), else a clone of the current template, else
 * a plain CREATE DATABASE that the schema step then migrates; the engine puts whichever it is in
 * place. Any fast path that fails falls back to the plain one; the tenant is never left without a
 * database because a shortcut broke. `existing` (engines with fast paths): the tenant's own database was in place already
 * (a database of its name that is not its own fails the step).
 */
@Injectable()
export class DatabaseCreator {
  private readonly logger = new Logger(DatabaseCreator.name);

  constructor(
    private readonly engines: EngineRegistry,
    private readonly warmPool: WarmPoolKeeper,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  async create(target: TenantDatabaseTarget): Promise<CreationPath> {
    const engine = await this.engines.on(target.address);
    // Without fast paths the engine's own look-up inside createDatabase is enough: on Azure each look is an ARM read, and reads are what a fleet runs out of.
    let path: CreationPath = engine.fastPath && (await engine.databaseExists(target)) ? 'existing' : 'plain';
    if (path === 'plain' && engine.fastPath) path = await this.tryFastPaths(target, engine.fastPath);
    await engine.createDatabase(target);
    return path;
  }

  private async tryFastPaths(target: TenantDatabaseTarget, fastPath: NonNullable<ReturnType<EngineRegistry['get']>['fastPath']>): Promise<CreationPath> {
    const { environment: env, warmPoolSize, templateEnabled } = this.options;
    try {
      if (warmPoolSize > 0 && (await fastPath.claimSpare(target, env))) {
        this.warmPool.noteClaim();
        return 'spare';
      }
      if (templateEnabled) {
        await fastPath.createFromTemplate(target, await fastPath.ensureTemplate(env));
        return 'template';
      }
    } catch (error) {
      this.logger.warn({ tenant_id: target.tenantId, err: error }, 'fast path unusable; creating the database the plain way');
    }
    return 'plain';
  }
}
