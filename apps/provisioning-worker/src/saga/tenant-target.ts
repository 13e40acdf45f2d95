import type { TenantDatabaseTarget } from '@tenantry/engines';
import { databaseTarget } from '@tenantry/registry';
import { PermanentStepFailure, type SagaContext } from './saga-step';

/** The engine's view of a placed tenant database; steps after placement cannot run without one. */
export function targetOf(context: SagaContext): TenantDatabaseTarget {
  if (!context.database) throw new PermanentStepFailure(`tenant ${context.tenant.code} has not been placed`);
  return databaseTarget(context.tenant, context.database);
}
