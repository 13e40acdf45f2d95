import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/**
 * What the tenancy library counts, on a registry of its own that the service serves beside its own
 * (Registry.merge), so two services in one process never share a counter.
 */
@Injectable()
export class TenancyMetrics {
  readonly registry = new Registry();
  private readonly schemaRefusals = new Counter({
    name: 'tenantry_tenant_schema_version_refusals_total',
    help: "Requests refused because the tenant's schema version is outside the range this service works with (below, above, or unknown)",
    labelNames: ['reason'],
    registers: [this.registry],
  });

  schemaVersionRefused(reason: 'below' | 'above' | 'unknown'): void {
    this.schemaRefusals.inc({ reason });
  }
}
