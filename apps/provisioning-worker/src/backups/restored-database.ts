import { Inject, Injectable } from '@nestjs/common';
import { EngineRegistry, type TenantDatabaseTarget } from '@tenantry/engines';
import { RegistryUnitOfWork, type TenantRestoreEntity } from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { PermanentStepFailure, type SagaContext } from '../saga/saga-step';
import { targetOf } from '../saga/tenant-target';

const KNOWN_VERSIONS = new Set(TENANT_MIGRATIONS.map((migration) => migration.name));

/** The restore an operation acts on (its params name it) and the engine's view of the database it restored. */
@Injectable()
export class RestoredDatabase {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  async of(context: SagaContext): Promise<{ restore: TenantRestoreEntity; target: TenantDatabaseTarget }> {
    const id = context.operation.params.restoreId;
    const restore = typeof id === 'string' ? await this.registry.repositories.restores.findById(id) : null;
    if (!restore || restore.tenantId !== context.tenant.id) throw new PermanentStepFailure(`operation ${context.operation.id} names no restore of this tenant`);
    return { restore, target: { ...targetOf(context), databaseName: restore.databaseName } };
  }

  /** The tenant's current password, which its login has on every database of the tenant. */
  async password(context: SagaContext): Promise<string> {
    const secret = context.database?.secret;
    if (!secret) throw new PermanentStepFailure(`tenant ${context.tenant.code} has no stored credentials`);
    return this.protector.unprotect(secret, context.tenant.id);
  }

  /**
   * There is nothing to compare with (the data is meant to differ): the restored database must open
   * with the tenant's login and be at a schema version the registry knows. Returns that version.
   */
  async check(context: SagaContext, target: TenantDatabaseTarget): Promise<string> {
    const engine = await this.engines.on(target.address);
    const version = await engine.schemaVersionAsTenant(target, await this.password(context));
    if (!version || !KNOWN_VERSIONS.has(version)) {
      throw new PermanentStepFailure(`database ${target.databaseName} is at schema version ${version ?? '(none)'}, which no tenant migration of this version names`);
    }
    return version;
  }
}
