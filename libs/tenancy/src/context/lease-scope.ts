import type { TenantLease } from '../connections/tenant-connection-manager';

/**
 * The tenant DataSources one unit of work (a request, a runInTenant call) holds. The pool behind a
 * lease is not destroyed until the scope ends, even if it is evicted or its tenant suspended meanwhile.
 */
export class LeaseScope {
  private readonly leases = new Map<string, Promise<TenantLease>>();
  private ended = false;

  /** One lease per tenant per scope, however many times the work asks for the DataSource. */
  hold(tenantId: string, take: () => Promise<TenantLease>): Promise<TenantLease> {
    if (this.ended) throw new Error('this unit of work has ended; use runInTenant() for work that outlives a request');
    let lease = this.leases.get(tenantId);
    if (!lease) {
      lease = take();
      this.leases.set(tenantId, lease);
      lease.catch(() => this.leases.delete(tenantId));
    }
    return lease;
  }

  end(): void {
    this.ended = true;
    for (const lease of this.leases.values()) {
      lease.then(
        (held) => held.release(),
        () => undefined,
      );
    }
    this.leases.clear();
  }
}
