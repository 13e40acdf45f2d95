import { booleanVariable, combineSettings, defineSettings, mapSettings, sharedVariables, tenantServerAddressSettings, type Settings } from '@tenantry/common';
import { tenantCacheSettings, type TenantCacheOptions } from '@tenantry/tenant-cache';
import { z } from 'zod';

/** The admin database: where the registry lives. */
export interface AdminDatabaseOptions {
  url: string;
  name: string;
}

/** This process's own connections to the admin database, which its requests and jobs queue for. */
export interface RegistryConnectionOptions {
  poolSize: number;
  /** How long a transaction waits for a connection before RegistryBusy (a 503). */
  waitMs: number;
}

export interface RegistryOptions {
  adminDb: AdminDatabaseOptions;
  connections: RegistryConnectionOptions;
  /** Registry writes invalidate the tenant cache; a failed invalidation is retried for as long as an entry lives. */
  tenantCache: TenantCacheOptions;
}

/** The server this deployment is configured with, registered as a pool so a fresh machine has somewhere to place tenants. */
export interface ConfiguredPoolOptions {
  name: string;
  maxDatabases: number;
  /** Whether the control-plane processes register it (not when it only holds the registry, as on Azure). */
  register: boolean;
  /** Where business services reach its databases. */
  host: string;
  port: number;
  /** The region of the server: tenants of that region are placed on it. */
  region: string;
  /** The server's database limit, which its pools' capacities together may not pass. */
  serverMaxDatabases: number;
}

export const CONFIGURED_POOL_OPTIONS = Symbol('CONFIGURED_POOL_OPTIONS');

/** Taking a tenant's slot in a pool: admission in the admin API, and placement in the worker for a tenant that holds none. */
export interface SlotReservationOptions {
  /** How long to wait for a pool's row that other admissions hold (lock_timeout) before RegistryBusy. */
  lockTimeoutMs: number;
}

export const SLOT_RESERVATION_OPTIONS = Symbol('SLOT_RESERVATION_OPTIONS');

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const adminDatabaseSettings = defineSettings({
  variables: {
    DATABASE_URL: sharedVariables.DATABASE_URL,
    ADMIN_DB_NAME: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL identifier')
      .default('tenantry_admin'),
  },
  build: (e): AdminDatabaseOptions => ({ url: withDatabase(e.DATABASE_URL, e.ADMIN_DB_NAME), name: e.ADMIN_DB_NAME }),
});

export const DEFAULT_ADMIN_DB_CONNECTION_WAIT_MS = 5_000;
const ADMIN_DB_CONNECTION_WAIT_MS = z.coerce.number().int().positive().default(DEFAULT_ADMIN_DB_CONNECTION_WAIT_MS);

const connectionSettings = defineSettings({
  variables: {
    ADMIN_DB_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
    ADMIN_DB_CONNECTION_WAIT_MS,
  },
  build: (e): RegistryConnectionOptions => ({ poolSize: e.ADMIN_DB_POOL_SIZE, waitMs: e.ADMIN_DB_CONNECTION_WAIT_MS }),
});

/** What migrate:admin reads: the admin database, and how long its server may take to accept a connection. */
export const adminMigrationSettings = combineSettings({
  adminDb: adminDatabaseSettings,
  waitMs: defineSettings({ variables: { ADMIN_DB_CONNECTION_WAIT_MS }, build: (e) => e.ADMIN_DB_CONNECTION_WAIT_MS }),
});

export const registrySettings: Settings<RegistryOptions> = combineSettings({
  adminDb: adminDatabaseSettings,
  connections: connectionSettings,
  tenantCache: tenantCacheSettings,
});

export const slotReservationSettings = defineSettings({
  variables: { POOL_SLOT_LOCK_TIMEOUT_MS: z.coerce.number().int().positive().default(1_000) },
  build: (e): SlotReservationOptions => ({ lockTimeoutMs: e.POOL_SLOT_LOCK_TIMEOUT_MS }),
});

// Where the configured pool is comes from the tenant server's URL, unless TENANT_PG_HOST says how business services reach it.
const poolSettings = defineSettings({
  variables: {
    TENANT_POOL_NAME: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/)
      .default('local-pg'),
    TENANT_POOL_MAX_DATABASES: z.coerce.number().int().positive().default(500),
    TENANT_PG_POOL_REGISTER: booleanVariable(true),
    // The first of TENANT_REGIONS by default, so a tenant that names no region is placed here.
    TENANT_PG_REGION: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/)
      .default('local'),
    TENANT_PG_MAX_DATABASES: z.coerce.number().int().positive().default(5_000),
  },
  build: (e, problems) => {
    if (e.TENANT_POOL_MAX_DATABASES > e.TENANT_PG_MAX_DATABASES) {
      problems.push(`TENANT_POOL_MAX_DATABASES: ${e.TENANT_POOL_MAX_DATABASES} is more than the server holds (TENANT_PG_MAX_DATABASES ${e.TENANT_PG_MAX_DATABASES})`);
    }
    return {
      name: e.TENANT_POOL_NAME,
      maxDatabases: e.TENANT_POOL_MAX_DATABASES,
      register: e.TENANT_PG_POOL_REGISTER,
      region: e.TENANT_PG_REGION,
      serverMaxDatabases: e.TENANT_PG_MAX_DATABASES,
    };
  },
});

export const configuredPoolSettings: Settings<ConfiguredPoolOptions> = mapSettings(
  combineSettings({ address: tenantServerAddressSettings, pool: poolSettings }),
  ({ address, pool }) => ({ ...pool, ...address }),
);

/** How long an offboarded tenant stays recoverable; the admin API and the worker read it alike. */
export interface RetentionOptions {
  /** An offboarded tenant may be undeleted (from its last backup) for this long after its deletion; then its backups go. */
  undeleteWindowMs: number;
}

export const RETENTION_OPTIONS = Symbol('RETENTION_OPTIONS');

const HOUR_MS = 3_600_000;

export const retentionSettings = defineSettings({
  variables: {
    UNDELETE_WINDOW_HOURS: z.coerce
      .number()
      .min(0)
      .default(30 * 24),
  },
  build: (e): RetentionOptions => ({ undeleteWindowMs: Math.round(e.UNDELETE_WINDOW_HOURS * HOUR_MS) }),
});
