import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { generatePassword, SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';
import { targetOf } from './tenant-target';

const PREPARE = 'prepare_credentials';
const SET_ON_LOGIN = 'set_login_password';
const STORE = 'store_credentials';

/**
 * A new password for the tenant's login, in three steps that provisioning and rotation share: it is
 * protected and kept on the operation as pending, then set on the login, then swapped into the
 * registry. The stored secret is thus always one the login accepted, and a step run again after a
 * crash reuses the pending one. Between the second and third steps the login has the new password
 * and the registry the old one; that lasts one registry write, or until `restore` after a failure.
 */
@Injectable()
export class Credentials {
  readonly steps: SagaStep[] = [
    { name: PREPARE, run: (c) => this.prepare(c) },
    { name: SET_ON_LOGIN, run: (c) => this.setOnLogin(c) },
    { name: STORE, run: (c) => this.store(c) },
  ];

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  /**
   * After a permanent failure: unless the registry took the pending secret, the login gets the
   * stored one back and the three steps are undone, so a retry starts them again. Throws when the
   * server cannot be reached, and the operation is then tried again rather than left half-changed.
   */
  async restore(context: SagaContext): Promise<void> {
    if (!context.operation.pendingSecret) return;
    const stored = (await this.registry.repositories.databases.findByTenant(context.tenant.id))?.secret;
    if (stored) {
      const target = targetOf(context);
      await (await this.engines.on(target.address)).setLoginPassword(target, await this.protector.unprotect(stored, context.tenant.id));
    }
    await this.registry.repositories.operations.undoCredentialChange(context.operation.id, [PREPARE, SET_ON_LOGIN, STORE]);
    context.operation.pendingSecret = null;
    context.operation.passwordChangedAt = null;
  }

  private async prepare(context: SagaContext): Promise<void> {
    if (context.operation.pendingSecret) return;
    const secret = await this.protector.protect(generatePassword(), context.tenant.id);
    await this.registry.repositories.operations.setPendingSecret(context.operation.id, secret);
    context.operation.pendingSecret = secret;
  }

  private async setOnLogin(context: SagaContext): Promise<void> {
    const pending = context.operation.pendingSecret;
    if (!pending) throw new PermanentStepFailure(`operation ${context.operation.id} has no pending secret to set`);
    const target = targetOf(context);
    const changedAt = await (await this.engines.on(target.address)).setLoginPassword(target, await this.protector.unprotect(pending, context.tenant.id));
    context.operation.passwordChangedAt = await this.registry.repositories.operations.notePasswordChanged(context.operation.id, changedAt);
  }

  /** Registry and operation change in one transaction; nothing pending means an earlier run swapped it before it crashed. */
  private async store(context: SagaContext): Promise<void> {
    const pending = context.operation.pendingSecret;
    if (!pending) return;
    await this.registry.transaction(async (r) => {
      await r.databases.setSecret(context.tenant.id, pending);
      await r.operations.setPendingSecret(context.operation.id, null);
    });
    context.operation.pendingSecret = null;
  }
}
