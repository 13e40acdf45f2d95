import { Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import type { SagaContext, SagaStep } from './saga-step';
import { SessionDrain } from './session-drain';
import { targetOf } from './tenant-target';
import { whileSuspended } from './while-suspended';

/**
 * The admin API has already made the tenant `suspended` and invalidated the caches, so business
 * services refuse it at once; this takes the database's side: disable the login -> end its
 * sessions, after the grace business services need to close their pools. A database error is
 * retried with the operation's attempts; a suspension that gives up fails loudly, never silently.
 */
@Injectable()
export class SuspensionSaga {
  readonly steps: SagaStep[] = [
    { name: 'disable_login', run: (c) => whileSuspended(c, () => this.disableLogin(c)) },
    { name: 'end_sessions', run: (c) => whileSuspended(c, () => this.sessions.drain(targetOf(c))) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly engines: EngineRegistry,
    private readonly sessions: SessionDrain,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: async () => undefined });
  }

  private async disableLogin(context: SagaContext): Promise<void> {
    const target = targetOf(context);
    await (await this.engines.on(target.address)).setLoginEnabled(target, false);
  }
}
