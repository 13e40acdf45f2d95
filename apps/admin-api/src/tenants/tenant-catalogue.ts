import { InvalidInput } from '@tenantry/common';
import type { TenantCatalogue } from '../admin-api-settings';

/**
 * The plan and region a new tenant gets: the ones it names, which must be in the configured
 * catalogue (TENANT_PLANS, TENANT_REGIONS), else the first of each.
 */
export function catalogueChoice(catalogue: TenantCatalogue, requested: { plan?: string; region?: string }): { plan: string; region: string } {
  return {
    plan: pick('plan', requested.plan, catalogue.plans),
    region: pick('region', requested.region, catalogue.regions),
  };
}

function pick(field: string, requested: string | undefined, allowed: string[]): string {
  if (requested === undefined) return allowed[0];
  if (!allowed.includes(requested)) throw new InvalidInput(`${field} must be one of: ${allowed.join(', ')}`);
  return requested;
}
