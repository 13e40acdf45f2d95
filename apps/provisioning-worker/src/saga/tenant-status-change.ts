import type { AuditActor, RegistryUnitOfWork, TenantStatus } from '@tenantry/registry';
import type { SagaContext } from './saga-step';

export const SYSTEM_ACTOR: AuditActor = { name: 'system:provisioning-worker' };

/**
 * A tenant status change made by a saga, with its audit entry, in one transaction. A tenant
 * deleted, or failed before it was placed, gives its pool slot back; one that failed once placed
 * keeps it (its database may exist, and a retry resumes there) until it is offboarded.
 */
export function changeTenantStatus(
  registry: RegistryUnitOfWork,
  context: SagaContext,
  status: TenantStatus,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return registry.transaction(async (r) => {
    await r.tenants.setStatus(context.tenant.id, status);
    if (status === 'deleted' || (status === 'failed' && !(await r.databases.findByTenant(context.tenant.id)))) {
      await r.pools.release(context.tenant.id);
    }
    await r.audit.record({ actor: SYSTEM_ACTOR, action, tenant: context.tenant, operation: context.operation, details });
  });
}
