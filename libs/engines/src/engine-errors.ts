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

/**
 * Azure refused a database for want of room: the elastic pool holds no more databases (or storage,
 * or guaranteed vCores), or a subscription or server quota is used up. Retrying cannot help until
 * someone changes the pool's registration or the quota; the message says which.
 */
export class AzureCapacityRefused extends DomainError {
  readonly code = 'AZURE_CAPACITY_REFUSED';
  readonly category = 'capacity';
}

/** A tenant database exists but is not Online (still coming up past the wait, or in a state it does not leave by itself); the message says which. */
export class TenantDatabaseNotReady extends DomainError {
  readonly code = 'TENANT_DATABASE_NOT_READY';
  readonly category = 'unavailable';
}

/**
 * An export cannot go on by itself: its blob already exists (an earlier attempt of the same operation
 * wrote it, and whether that export completed is not known). Retrying the same way cannot help.
 */
export class ExportBlocked extends DomainError {
  readonly code = 'EXPORT_BLOCKED';
  readonly category = 'conflict';
}

/** The control plane cannot sign in to a server: it is not registered at that address, or no credential for it is stored; the message says which. */
export class ServerNotReachable extends DomainError {
  readonly code = 'SERVER_NOT_REACHABLE';
  readonly category = 'unavailable';
}

/** The engine cannot make or restore from this kind of backup (a dump of Azure SQL, a point in time on PostgreSQL); the message says what it can do. */
export class RestoreUnsupported extends DomainError {
  readonly code = 'RESTORE_UNSUPPORTED';
  readonly category = 'invalid';
}

/** The service no longer keeps a dropped database restorable (its backup retention passed): there is nothing to bring back. */
export class DroppedDatabaseGone extends DomainError {
  readonly code = 'DROPPED_DATABASE_GONE';
  readonly category = 'conflict';
}

/**
 * A move the engine cannot make the way it was asked: in place to a pool of another server (the
 * database has to be copied or replicated there), or as a replica on its own server (it moves in
 * place there); the message says which way fits.
 */
export class UnsupportedMove extends DomainError {
  readonly code = 'UNSUPPORTED_MOVE';
  readonly category = 'conflict';
}
