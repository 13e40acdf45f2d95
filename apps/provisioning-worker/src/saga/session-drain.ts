import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry, type TenantDatabaseTarget } from '@tenantry/engines';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

const POLL_MS = 100;

/**
 * Ends a login's sessions without failing requests in flight: business services close their pools
 * once the invalidation reached them and their requests finished, so the drain waits for that, at
 * most SESSION_GRACE_MS, then ends whatever session remains (one a service never let go of, or
 * one opened by someone else with the login's credentials). A pooler in front of the server is
 * first asked to release the login's pooled connections as their transactions end.
 */
@Injectable()
export class SessionDrain {
  constructor(
    private readonly engines: EngineRegistry,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  /** Returns what happened, for the step's detail. */
  async drain(target: TenantDatabaseTarget, openedBefore?: Date): Promise<string> {
    const engine = await this.engines.on(target.address);
    const deadline = Date.now() + this.options.sessionGraceMs;
    // Sessions a pooler keeps idle would otherwise hold the drain for its whole grace.
    await engine.releasePooledSessions(target);
    while ((await engine.countSessions(target, openedBefore)) > 0) {
      if (Date.now() >= deadline) return `${await engine.endSessions(target, openedBefore)} ended`;
      await sleep(POLL_MS);
    }
    return 'none left';
  }
}
