import type { EngineKind, PoolAddress } from '@tenantry/common';
import type { TenantStatus } from './entities/tenant.entity';

/**
 * Where an active tenant's database is and how its own login reaches it; `secret` is still protected.
 * The tenant cache stores it as JSON, read by every running version: renaming a field changes the
 * cache's format, so it keeps its own names rather than TenantDatabaseLocation's.
 */
export interface TenantDatabaseRoute extends Pick<PoolAddress, 'engine' | 'host' | 'port'> {
  name: string;
  login: string;
  secret: string;
  schemaVersion: string | null;
  /** True while a switchover holds the tenant's writes; absent in entries cached by versions before moves. */
  writesFrozen?: boolean;
  /** The PgBouncer registered in front of its server, if any; absent in entries cached by versions before per-server poolers. */
  pooler?: { host: string; port: number } | null;
}

/** What a business service needs to know about a tenant: whether it may be served, and where. */
export interface TenantRoute {
  tenantId: string;
  code: string;
  status: TenantStatus;
  /** Null until provisioning has stored the tenant's credentials (and again once they are retired). */
  database: TenantDatabaseRoute | null;
}

/** Runs one SQL statement on the admin database and returns its rows. */
export type RegistryQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

// The registry's ids are lowercase UUIDs. PostgreSQL would also accept upper case, braces or no
// hyphens for the same tenant: each of those spellings would be a cache key of its own, which an
// invalidation of the canonical id would not reach. Only the canonical spelling resolves.
const CANONICAL_TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isCanonicalTenantId(tenantId: string): boolean {
  return CANONICAL_TENANT_ID.test(tenantId);
}

/**
 * The registry's read side for tenant resolution: one indexed query by tenant id. It takes a query
 * function rather than a DataSource, so a business service reaches the admin database through a
 * small pool of its own and never through the application's default TypeORM connection.
 */
export class TenantDirectory {
  constructor(private readonly query: RegistryQuery) {}

  /** Null for an unknown or malformed id. */
  async lookup(tenantId: string): Promise<TenantRoute | null> {
    if (!isCanonicalTenantId(tenantId)) return null;
    const [row] = await this.query(
      `SELECT t.id, t.code, t.status, d.engine, d.host, d.port, d.database_name, d.login_name, d.secret, d.schema_version,
            d.writes_frozen_at IS NOT NULL AS writes_frozen, s.pooler_host, s.pooler_port
         FROM tenants t
         LEFT JOIN tenant_databases d ON d.tenant_id = t.id AND d.secret IS NOT NULL
         LEFT JOIN database_servers s ON (s.engine, s.host, s.port) = (d.engine, d.host, d.port)
        WHERE t.id = $1`,
      [tenantId],
    );
    if (!row) return null;
    return {
      tenantId: row.id as string,
      code: row.code as string,
      status: row.status as TenantStatus,
      database:
        row.secret === null
          ? null
          : {
              engine: row.engine as EngineKind,
              host: row.host as string,
              port: row.port as number,
              name: row.database_name as string,
              login: row.login_name as string,
              secret: row.secret as string,
              schemaVersion: row.schema_version as string | null,
              writesFrozen: row.writes_frozen === true,
              pooler: row.pooler_host === null ? null : { host: row.pooler_host as string, port: row.pooler_port as number },
            },
    };
  }
}
