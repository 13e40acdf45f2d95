import { Injectable } from '@nestjs/common';
import { TenantCacheInvalidator } from '@tenantry/registry';
import { Credentials } from './credentials';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import { PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';
import { SessionDrain } from './session-drain';
import { targetOf } from './tenant-target';

/**
 * new password (pending, set on the login, then stored) -> invalidate caches: every business
 * service drops the tenant and reopens its pool with the new secret, pools in use finish their work
 * first -> the sessions opened with the old password end, after a grace for that work.
 */
@Injectable()
export class CredentialRotationSaga {
  readonly steps: SagaStep[] = [
    ...this.credentials.steps,
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
    { name: 'end_old_sessions', run: (c) => this.endOldSessions(c) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly credentials: Credentials,
    private readonly invalidator: TenantCacheInvalidator,
    private readonly sessions: SessionDrain,
  ) {}

  /** A failed rotation leaves the tenant as it was: the last stored secret is the one its login accepts. */
  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: (context) => this.credentials.restore(context) });
  }

  private endOldSessions(context: SagaContext): Promise<string> {
    const changedAt = context.operation.passwordChangedAt;
    if (!changedAt) throw new PermanentStepFailure(`operation ${context.operation.id} does not say when the password changed`);
    return this.sessions.drain(targetOf(context), changedAt);
  }
}
