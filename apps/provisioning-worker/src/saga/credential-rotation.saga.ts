import { Injectable } from '@nestjs/common';
import { TenantCacheInvalidator } from '@tenantry/registry';
import { Credentials } from './credentials';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import type { SagaStep } from './saga-step';

/**
 * new password (protected, stored, set on the login) -> invalidate caches: every business service
 * drops the tenant and reopens its pool with the new secret; pools in use finish their work first.
 */
@Injectable()
export class CredentialRotationSaga {
  readonly steps: SagaStep[] = [
    { name: 'store_credentials', run: (c) => this.credentials.replace(c) },
    { name: 'invalidate_cache', run: (c) => this.invalidator.invalidate(c.tenant.id) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly credentials: Credentials,
    private readonly invalidator: TenantCacheInvalidator,
  ) {}

  /** A failed rotation leaves the tenant as it was: the last stored secret is the one its login accepts. */
  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: async () => undefined });
  }
}
