import { DomainError } from '@tenantry/common';

/** This process has no adapter for the engine a pool names, or lacks a setting the operation needs; retrying cannot help. */
export class EngineNotConfigured extends DomainError {
  readonly code = 'ENGINE_NOT_CONFIGURED';
  readonly category = 'unavailable';
}

/** A tenant database of that name exists somewhere the registry did not place it (another elastic pool). */
export class TenantDatabaseConflict extends DomainError {
  readonly code = 'TENANT_DATABASE_CONFLICT';
  readonly category = 'conflict';
}
