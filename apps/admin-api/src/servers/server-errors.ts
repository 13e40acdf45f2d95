import { DomainError } from '@tenantry/common';

export class InvalidServer extends DomainError {
  readonly code = 'SERVER_INVALID';
  readonly category = 'invalid';
}

export class ServerNotRegistered extends DomainError {
  readonly code = 'SERVER_NOT_REGISTERED';
  readonly category = 'invalid';
}

/** The pools on a server hold more than it would: lowering its limit, or a pool's capacity that would pass it. */
export class ServerCapacityExceeded extends DomainError {
  readonly code = 'SERVER_CAPACITY_EXCEEDED';
  readonly category = 'conflict';
}
