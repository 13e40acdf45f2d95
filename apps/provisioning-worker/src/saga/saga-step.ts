import type { OperationEntity, TenantDatabaseEntity, TenantEntity } from '@tenantry/registry';

/** What every step of a saga sees: the operation, its tenant, and where the tenant's database lives once placed. */
export interface SagaContext {
  operation: OperationEntity;
  tenant: TenantEntity;
  database: TenantDatabaseEntity | null;
}

/** One idempotent step: safe to run again after a crash anywhere inside it. */
export interface SagaStep {
  name: string;
  run(context: SagaContext): Promise<void>;
}

/** A failure that retrying cannot fix: the operation fails at once instead of using up its attempts. */
export class PermanentStepFailure extends Error {}
