/** The database engines Tenantry drives: a pool names one, and so does each tenant database placed on it. */
export const ENGINE_KINDS = ['postgres', 'azure-sql'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** Where a pool serves its databases; each tenant database placed on it keeps a copy, as it was then. */
export interface PoolAddress {
  engine: EngineKind;
  host: string;
  port: number;
  /** Azure SQL: the elastic pool's ARM resource id; null for a PostgreSQL server or a plain SQL Server. */
  elasticPoolId: string | null;
  /** The Azure region of that elastic pool. */
  location: string | null;
}

/** Where one tenant's database lives and the login that reaches it: what the registry keeps and the engines act on. */
export interface TenantDatabaseLocation {
  tenantId: string;
  address: PoolAddress;
  databaseName: string;
  loginName: string;
}
