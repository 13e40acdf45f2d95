import { DomainError } from './domain-error';

export class InvalidTenantCode extends DomainError {
  readonly code = 'TENANT_CODE_INVALID';
  readonly category = 'invalid';
}

export class TenantCodeTaken extends DomainError {
  readonly code = 'TENANT_CODE_TAKEN';
  readonly category = 'conflict';
  constructor(code: string) {
    super(`tenant code "${code}" is already taken`, { tenantCode: code });
  }
}

export class TenantNotFound extends DomainError {
  readonly code = 'TENANT_NOT_FOUND';
  readonly category = 'not_found';
  constructor(key: string) {
    super(`tenant "${key}" does not exist`);
  }
}

export class TenantNotActive extends DomainError {
  readonly code = 'TENANT_NOT_ACTIVE';
  readonly category = 'forbidden';
  constructor(status: string) {
    super(`tenant is ${status}; only active tenants can be used`, { status });
  }
}

export class InvalidTenantTransition extends DomainError {
  readonly code = 'TENANT_INVALID_TRANSITION';
  readonly category = 'conflict';
  constructor(code: string, from: string, action: string) {
    super(`cannot ${action} tenant "${code}" while it is ${from}`, { tenantCode: code, status: from, action });
  }
}

export class OperationNotFound extends DomainError {
  readonly code = 'OPERATION_NOT_FOUND';
  readonly category = 'not_found';
  constructor(id: string) {
    super(`operation "${id}" does not exist`);
  }
}

export class PoolCapacityExhausted extends DomainError {
  readonly code = 'POOL_CAPACITY_EXHAUSTED';
  readonly category = 'capacity';
}

export class Unauthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  readonly category = 'unauthenticated';
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly category = 'forbidden';
}

export class DependencyUnavailable extends DomainError {
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  readonly category = 'unavailable';
}

export class OperationNotRetryable extends DomainError {
  readonly code = 'OPERATION_NOT_RETRYABLE';
  readonly category = 'conflict';
  constructor(id: string, status: string) {
    super(`operation "${id}" is ${status}; only a failed operation can be retried`);
  }
}

export class PoolNotRegistered extends DomainError {
  readonly code = 'POOL_NOT_REGISTERED';
  readonly category = 'invalid';
  constructor(name: string) {
    super(`database pool "${name}" is not registered (see GET /pools)`);
  }
}

export class InvalidPoolAddress extends DomainError {
  readonly code = 'POOL_ADDRESS_INVALID';
  readonly category = 'invalid';
}

export class MigrationRunNotFound extends DomainError {
  readonly code = 'MIGRATION_RUN_NOT_FOUND';
  readonly category = 'not_found';
  constructor(id: string) {
    super(`migration run "${id}" does not exist`);
  }
}

export class InvalidTenantKey extends DomainError {
  readonly code = 'TENANT_KEY_INVALID';
  readonly category = 'invalid';
}

export class InvalidPoolCapacity extends DomainError {
  readonly code = 'POOL_CAPACITY_INVALID';
  readonly category = 'invalid';
}

/** A request value the HTTP layer refuses before any handler: the message names the field and what is wrong with it. */
export class InvalidInput extends DomainError {
  readonly code = 'INPUT_INVALID';
  readonly category = 'invalid';
}

/** The registry cannot take this request now (no free connection, or a pool's row held by other admissions): a 503 the caller retries. */
export class RegistryBusy extends DomainError {
  readonly code = 'REGISTRY_BUSY';
  readonly category = 'unavailable';
}

/** A switchover holds the tenant's writes for a moment (its database is being moved); reads go on. */
export class TenantWritesFrozen extends DomainError {
  readonly code = 'TENANT_WRITES_FROZEN';
  readonly category = 'unavailable';
  override readonly retryAfterSeconds = 1;
  constructor() {
    super("the tenant's database is being moved and takes no writes for a moment; try again shortly");
  }
}

/** A move the registry cannot make: to the pool the tenant is in, to another engine, onto a database of its name that is kept there. */
export class InvalidMove extends DomainError {
  readonly code = 'MOVE_INVALID';
  readonly category = 'invalid';
}

export class OperationNotCancellable extends DomainError {
  readonly code = 'OPERATION_NOT_CANCELLABLE';
  readonly category = 'conflict';
}
/**
 * The tenant's database is at a schema version the service does not work with (a rolling upgrade:
 * this replica is older or newer than the tenant's schema). A 503: another replica, or this one
 * once the runner has migrated the tenant, can serve it.
 */
export class TenantSchemaUnsupported extends DomainError {
  readonly code = 'TENANT_SCHEMA_UNSUPPORTED';
  readonly category = 'unavailable';
  constructor(version: string | null, range: { min: string | null; max: string | null }) {
    super(
      `the tenant's database is at schema version ${version ?? '(none recorded)'}, outside the versions this service works with ` +
        `(${range.min ?? 'any'} to ${range.max ?? 'any'}); try again shortly`,
      { version, ...range },
    );
  }
}
