import { DomainError } from '@tenantry/common';

export class PoolNotFound extends DomainError {
  readonly code = 'POOL_NOT_FOUND';
  readonly category = 'not_found';
  constructor(name: string) {
    super(`database pool "${name}" does not exist`);
  }
}

const SHOWN_TENANTS = 5;

export class PoolInUse extends DomainError {
  readonly code = 'POOL_IN_USE';
  readonly category = 'conflict';
  constructor(name: string, tenantCodes: string[]) {
    const count = tenantCodes.length;
    const shown = tenantCodes.slice(0, SHOWN_TENANTS).join(', ') + (count > SHOWN_TENANTS ? `, and ${count - SHOWN_TENANTS} more` : '');
    super(`database pool "${name}" is in use by ${count} ${count === 1 ? 'tenant' : 'tenants'} (${shown}): offboard them (DELETE /tenants/:code) before removing it`, {
      pool: name,
      tenants: count,
    });
  }
}

/** The processes register their configured server as a pool whenever they start: removing it would not last. */
export class ConfiguredPoolNotRemovable extends DomainError {
  readonly code = 'POOL_CONFIGURED';
  readonly category = 'conflict';
  constructor(name: string) {
    super(
      `database pool "${name}" is the server this deployment is configured with (TENANT_POOL_NAME) and would be registered again at the next start; set TENANT_PG_POOL_REGISTER=false first`,
      { pool: name },
    );
  }
}

/** Another POST /pools/rebalance is starting its moves: two at once could pass the concurrency cap together. */
export class RebalanceInProgress extends DomainError {
  readonly code = 'REBALANCE_IN_PROGRESS';
  readonly category = 'conflict';
  constructor() {
    super('another rebalance is starting its moves right now; try again in a moment');
  }
}
