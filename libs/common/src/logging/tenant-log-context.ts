import { type ClsService, ClsServiceManager } from 'nestjs-cls';

// Not exported: enterTenant is the only writer, so the tenant in context is always one a caller
// vouched for (a verified token's claim, a registry row), and every process keeps it the same way.
const TENANT_ID_KEY = 'tenantId';

/** Makes `tenantId` the current tenant of the active context: every log line written in it from here on carries it. */
export function enterTenant(cls: ClsService, tenantId: string): void {
  cls.set(TENANT_ID_KEY, tenantId);
}

/** The current tenant's id, when the active context has one. */
export function currentTenantId(cls: ClsService = ClsServiceManager.getClsService()): string | undefined {
  return cls.isActive() ? cls.get<string | undefined>(TENANT_ID_KEY) : undefined;
}
