import { DomainError } from '@tenantry/common';

/** A tenant migration or schema query met a database it has no SQL for. */
export class DialectUnsupported extends DomainError {
  readonly code = 'TENANT_SCHEMA_DIALECT_UNSUPPORTED';
  readonly category = 'invalid';
}
