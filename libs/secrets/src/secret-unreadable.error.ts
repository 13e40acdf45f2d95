import { DomainError } from '@tenantry/common';

/** A stored secret that does not open: wrong key, wrong tenant, or altered. The message never carries secret material. */
export class SecretUnreadable extends DomainError {
  readonly code = 'SECRET_UNREADABLE';
  readonly category = 'unavailable';
}
