import { DomainError } from '@tenantry/common';

export class OrderNotFound extends DomainError {
  readonly code = 'ORDER_NOT_FOUND';
  readonly category = 'not_found';
  constructor(id: string) {
    super(`order "${id}" does not exist`);
  }
}
