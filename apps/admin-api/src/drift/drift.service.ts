import { Injectable } from '@nestjs/common';
import { TenantNotFound } from '@tenantry/common';
import { RegistryUnitOfWork, type DriftSummary, type TenantDriftRow } from '@tenantry/registry';
import { DriftNotScanned } from './drift-errors';

// The fleet summary lists at most this many drifted tenants (most differences first); the counts cover all.
const SUMMARY_TENANTS = 100;

/** The latest drift scans, as the runner recorded them (npm run drift, or its scheduled scan). */
@Injectable()
export class DriftService {
  constructor(private readonly registry: RegistryUnitOfWork) {}

  async ofTenant(code: string): Promise<TenantDriftRow & { code: string }> {
    const tenant = await this.registry.repositories.tenants.findByCode(code);
    if (!tenant) throw new TenantNotFound(code);
    const drift = await this.registry.repositories.drift.find(tenant.id);
    if (!drift) throw new DriftNotScanned(code);
    return { code, ...drift };
  }

  fleet(): Promise<DriftSummary> {
    return this.registry.repositories.drift.summary(SUMMARY_TENANTS);
  }
}
