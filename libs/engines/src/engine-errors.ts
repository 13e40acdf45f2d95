import { DomainError } from '@tenantry/common';

/** This process has no adapter for the engine a pool names, or lacks a setting the operation needs; retrying cannot help. */
export class EngineNotConfigured extends DomainError {
  readonly code = 'ENGINE_NOT_CONFIGURED';
  readonly category = 'unavailable';
}

/**
 * A database or login of the tenant's name exists that is not the tenant's own: made by hand or by
 * another role, marked for another tenant, or (Azure SQL) in another elastic pool. Never adopted.
 */
export class TenantDatabaseConflict extends DomainError {
  readonly code = 'TENANT_DATABASE_CONFLICT';
  readonly category = 'conflict';
}

/** A tenant database's migration passed one of its bounds (a lock wait, a statement, connecting); the message says which and on what. */
export class TenantMigrationTimeout extends DomainError {
  readonly code = 'TENANT_MIGRATION_TIMEOUT';
  readonly category = 'unavailable';
}
