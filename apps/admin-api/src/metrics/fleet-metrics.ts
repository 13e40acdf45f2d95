import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY, withTimeout } from '@tenantry/common';
import { OperationQueue, RegistryUnitOfWork, TENANT_STATUSES } from '@tenantry/registry';
import { Gauge, type Registry } from 'prom-client';

/** Fleet-wide gauges read at scrape time: tenants by status and by schema drift from the registry, queue depth from BullMQ. */
@Injectable()
export class FleetMetrics {
  constructor(
    @Inject(METRICS_REGISTRY) readonly registry: Registry,
    registryDb: RegistryUnitOfWork,
    queue: OperationQueue,
  ) {
    new Gauge({
      name: 'tenantry_tenants',
      help: 'Tenants by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const counts = new Map((await registryDb.repositories.tenants.countByStatus()).map((row) => [row.status, row.count]));
        for (const status of TENANT_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'tenantry_tenant_schema_drift',
      help: 'Active tenants by their latest drift scan: in_sync, drifted, unknown (unreadable), unscanned',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        for (const [status, count] of Object.entries(await registryDb.repositories.drift.countByStatus())) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'tenantry_queue_jobs',
      help: 'Jobs in the tenant-operations queue by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await withTimeout(queue.counts(), 1000, 'queue counts');
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
  }
}
