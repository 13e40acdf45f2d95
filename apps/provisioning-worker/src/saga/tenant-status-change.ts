import type { AuditActor, RegistryUnitOfWork, TenantStatus } from '@tenantry/registry';
import type { SagaContext } from './saga-step';

export const SYSTEM_ACTOR: AuditActor = { name: 'system:provisioning-worker' };

/** A tenant status change made by a saga, with its audit entry, in one transaction. */
export function changeTenantStatus(
  registry: RegistryUnitOfWork,
  context: SagaContext,
  status: TenantStatus,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return registry.transaction(async (r) => {
    await r.tenants.setStatus(context.tenant.id, status);
    await r.audit.record({ actor: SYSTEM_ACTOR, action, tenant: context.tenant, operation: context.operation, details });
  });
}
