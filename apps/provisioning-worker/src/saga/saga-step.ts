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
  /** May return a word about how it went (e.g. which creation path), kept with the step's timing. */
  run(context: SagaContext): Promise<unknown>;
}

/** A failure that retrying cannot fix: the operation fails at once instead of using up its attempts. */
export class PermanentStepFailure extends Error {}

/** Runs `work`; a failure of one of the `permanent` kinds, which retrying cannot fix, fails the operation at once, saying why. */
export async function forGood<T>(work: () => Promise<T>, permanent: Array<abstract new (...args: never[]) => Error>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (permanent.some((kind) => error instanceof kind)) throw new PermanentStepFailure((error as Error).message);
    throw error;
  }
}
