import { surviveConnectionErrors } from '@tenantry/common';
import { DataKeyDirectory, TenantDirectory, type RegistryQuery } from '@tenantry/registry';
import { Pool } from 'pg';
import type { ResolvedTenancyOptions } from '../tenancy-options';

export const TENANCY_REGISTRY_POOL = Symbol('TENANCY_REGISTRY_POOL');

/**
 * A small pool of its own to the admin database, bounded in time: a registry that does not answer
 * makes a cold resolve fail within `timeoutMs` instead of holding the request.
 */
export function createRegistryPool(options: ResolvedTenancyOptions): Pool {
  const { url, poolSize, timeoutMs } = options.registry;
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'tenantry:registry-reader',
  });
  surviveConnectionErrors(pool, 'tenant registry pool');
  return pool;
}

const queryOf =
  (pool: Pool): RegistryQuery =>
  async (sql, params) =>
    (await pool.query(sql, params)).rows as Array<Record<string, unknown>>;

export function createTenantDirectory(pool: Pool): TenantDirectory {
  return new TenantDirectory(queryOf(pool));
}

/** The wrapped data keys tenant secrets are encrypted under, read through the same small pool. */
export function createDataKeyDirectory(pool: Pool): DataKeyDirectory {
  return new DataKeyDirectory(queryOf(pool));
}
