import type { OperationEntity, TenantDatabaseEntity, TenantEntity } from '@tenantry/registry';

/** What the API shows of a tenant: never its credentials. */
export function tenantView(tenant: TenantEntity, database?: TenantDatabaseEntity | null) {
  return {
    id: tenant.id,
    code: tenant.code,
    name: tenant.name,
    plan: tenant.plan,
    region: tenant.region,
    status: tenant.status,
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
    deletedAt: tenant.deletedAt,
    database: database
      ? {
          engine: database.address.engine,
          host: database.address.host,
          port: database.address.port,
          name: database.databaseName,
          login: database.loginName,
          schemaVersion: database.schemaVersion,
          // Offboarding drops the database and keeps its record: where it was, and since when it is gone.
          status: database.droppedAt ? ('dropped' as const) : ('present' as const),
          droppedAt: database.droppedAt,
        }
      : null,
    links: { self: `/tenants/${tenant.code}` },
  };
}

export function operationView(operation: OperationEntity) {
  return {
    id: operation.id,
    tenantId: operation.tenantId,
    kind: operation.kind,
    status: operation.status,
    step: operation.step,
    attempts: operation.attempts,
    lastError: operation.lastError,
    steps: operation.completedSteps,
    createdAt: operation.createdAt,
    startedAt: operation.startedAt,
    finishedAt: operation.finishedAt,
    links: { self: `/operations/${operation.id}` },
  };
}

/** A suspension or resumption: the tenant as the request left it, and the operation that changes its database login. */
export function accessChangeView(change: { tenant: TenantEntity; database: TenantDatabaseEntity | null; operation: OperationEntity }) {
  return { tenant: tenantView(change.tenant, change.database), operation: operationView(change.operation) };
}
