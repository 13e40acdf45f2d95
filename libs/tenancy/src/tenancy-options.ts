export const TENANCY_OPTIONS = Symbol('TENANCY_OPTIONS');

export interface TenancyOptions {
  /** Redis entry lifetime for a resolved tenant (the value stays encrypted). */
  cacheTtlSeconds: number;
  /** Connections per tenant pool. */
  poolSize: number;
  /** Tenant pools kept open at most; the least recently used is closed beyond it. */
  maxPools: number;
}
