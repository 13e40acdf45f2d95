import { DomainError } from '@tenantry/common';

/** Every tenant connection of this process is busy and none freed up in time: a 503, never a hang. */
export class TenantConnectionsExhausted extends DomainError {
  readonly code = 'TENANT_CONNECTIONS_EXHAUSTED';
  readonly category = 'unavailable';
}
