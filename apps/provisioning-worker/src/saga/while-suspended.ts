import type { SagaContext } from './saga-step';

/**
 * Suspension and resumption may wait behind another operation of the tenant, or be retried later:
 * they act only on a tenant still suspended when its operation was claimed (not one resumed,
 * activated or being deleted meanwhile), and otherwise say why they did nothing.
 */
export async function whileSuspended(context: SagaContext, work: () => Promise<unknown>): Promise<string | undefined> {
  if (context.tenant.status !== 'suspended') return `nothing to do: the tenant is ${context.tenant.status}`;
  const done = await work();
  return typeof done === 'string' ? done : undefined;
}
