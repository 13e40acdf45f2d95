import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { generatePassword, SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import type { SagaContext } from './saga-step';
import { targetOf } from './tenant-target';

/** A new password for the tenant's login, protected in the registry: the last steps of provisioning, and all of a rotation. */
@Injectable()
export class Credentials {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  /**
   * The protected secret is stored before the login gets the password: a crash in between leaves
   * a stored secret the login does not accept yet, and the rerun replaces both.
   */
  async replace(context: SagaContext): Promise<void> {
    const target = targetOf(context);
    const password = generatePassword();
    const secret = await this.protector.protect(password, context.tenant.id);
    await this.registry.repositories.databases.setSecret(context.tenant.id, secret);
    await this.engines.get(target.pool.engine).setLoginPassword(target, password);
  }
}
