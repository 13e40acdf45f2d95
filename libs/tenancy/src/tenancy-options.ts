import { authSettings, type AuthOptions } from '@tenantry/auth';
import {
  combineSettings,
  defineSettings,
  mapSettings,
  postgresUrlVariable,
  redisSettings,
  sharedVariables,
  tenantServerAddressSettings,
  type Settings,
} from '@tenantry/common';
import { adminDatabaseSettings } from '@tenantry/registry';
import { secretsSettings, type SecretsOptions } from '@tenantry/secrets';
import { tenantCacheOptions, tenantCacheSettings } from '@tenantry/tenant-cache';
import { TENANT_ENTITIES, versionTimestamp, type SchemaVersionRange } from '@tenantry/tenant-schema';
import type { DataSourceOptions } from 'typeorm';
import { z } from 'zod';

/** What a business service tells TenancyModule; everything but where things are has a default. */
export interface TenancyModuleOptions {
  /** The admin database holding the registry: read once per cold tenant, through a small pool. */
  registry: { url: string; poolSize?: number; timeoutMs?: number };
  /** Cache and invalidations. `keyPrefix` must match the control plane's REDIS_KEY_PREFIX. */
  redis: { url: string; keyPrefix?: string; timeoutMs?: number };
  /** How tenant credentials are protected at rest (the control plane's setting). */
  secrets: SecretsOptions;
  /** Token verification (the Keycloak realm). */
  auth: AuthOptions;
  cache?: Partial<TenancyCacheOptions>;
  connections?: Partial<TenancyConnectionOptions>;
  /** The entities of the tenant databases (default: the sample orders schema). */
  entities?: DataSourceOptions['entities'];
  /** Tenants on SQL Server (the azure-sql engine): accept a self-signed server certificate (a local server only). */
  sqlServer?: { trustServerCertificate: boolean };
  /**
   * Set, PostgreSQL tenants are reached through poolers (README, "Connection budget"): the one
   * registered in front of their server (PUT /servers), else this one for the server it forwards to
   * (`serves`, the configured first server). Absent: every tenant's server directly.
   */
  pooler?: PoolerAddress;
  /**
   * The tenant schema versions this service works with (migration names, e.g. CreateOrders1764000001000,
   * or their timestamps), either bound open: a tenant outside is refused with a 503 rather than served
   * against a schema the code does not know (a rolling upgrade, old and new replicas side by side).
   * Default: both open (every version served).
   */
  schemaVersions?: Partial<SchemaVersionRange>;
}

export interface PoolerAddress {
  host: string;
  port: number;
  /** The server behind it (TENANT_PG_URL's, else DATABASE_URL's), as tenant databases on it are registered. */
  serves: { host: string; port: number };
}

export interface TenancyCacheOptions {
  /** In-process entries: how many, and for how long (seconds, so a missed invalidation heals quickly). */
  localMaxEntries: number;
  localTtlMs: number;
  /** How long an unknown tenant id is remembered as unknown. */
  negativeTtlMs: number;
  /** Redis entries' lifetime; must match the control plane's TENANT_CACHE_TTL_SECONDS (both default to the tenant cache's). */
  redisTtlSeconds: number;
  /** Redis failures in a row that make resolution skip Redis, and for how long. */
  breakerFailures: number;
  breakerOpenMs: number;
}

export interface TenancyConnectionOptions {
  /** Tenant pools (DataSources) kept at most; the least recently used is closed beyond it. */
  maxPools: number;
  /** Connections one tenant's pool may open. */
  poolSize: number;
  /** Connections to tenant database servers this process may hold in all (PostgreSQL direct, SQL Server), whatever the number of tenants. */
  maxConnections: number;
  /**
   * Client connections to the pooler this process may hold in all. They hold no backend (the
   * pooler's own limits are the server's budget), so the cap can keep one per hot tenant rather
   * than closing one tenant's connection to open another's.
   */
  maxPoolerConnections: number;
  /** A pool unused this long is closed. */
  poolIdleMs: number;
  /** A connection idle this long is closed (its slot under the cap freed). */
  connectionIdleMs: number;
  /** How long a query waits for a free slot under the cap before it fails with a 503. */
  acquireTimeoutMs: number;
}

export interface ResolvedTenancyOptions {
  registry: { url: string; poolSize: number; timeoutMs: number };
  redis: { url: string; keyPrefix: string; timeoutMs: number };
  secrets: SecretsOptions;
  auth: AuthOptions;
  cache: TenancyCacheOptions;
  connections: TenancyConnectionOptions;
  entities: NonNullable<DataSourceOptions['entities']>;
  sqlServer: { trustServerCertificate: boolean };
  pooler: PoolerAddress | null;
  schemaVersions: SchemaVersionRange;
}

export const TENANCY_OPTIONS = Symbol('TENANCY_OPTIONS');

// What a business service gets without saying otherwise; the environment's defaults are these too.
const DEFAULTS = {
  registry: { poolSize: 4, timeoutMs: 2_000 },
  redis: { keyPrefix: '', timeoutMs: 250 },
  cache: {
    localMaxEntries: 10_000,
    localTtlMs: 5_000,
    negativeTtlMs: 5_000,
    breakerFailures: 5,
    breakerOpenMs: 5_000,
  },
  connections: {
    maxPools: 1_000,
    poolSize: 5,
    maxConnections: 50,
    maxPoolerConnections: 500,
    poolIdleMs: 300_000,
    connectionIdleMs: 30_000,
    acquireTimeoutMs: 5_000,
  },
};

/** What is wrong with a range of schema versions (a bound that names no migration timestamp, bounds the wrong way round), or null. */
function schemaVersionRangeProblem({ min, max }: SchemaVersionRange): string | null {
  for (const [name, bound] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (bound !== null && versionTimestamp(bound) === null) return `schema version ${name} "${bound}" is neither a migration name nor its 13-digit timestamp`;
  }
  if (min !== null && max !== null && versionTimestamp(min)! > versionTimestamp(max)!) return `schema version min ${min} is after max ${max}`;
  return null;
}

const poolFitsUnderCap = ({ poolSize, maxConnections, maxPoolerConnections }: Pick<TenancyConnectionOptions, 'poolSize' | 'maxConnections' | 'maxPoolerConnections'>) =>
  poolSize <= Math.min(maxConnections, maxPoolerConnections);

export function resolveTenancyOptions(options: TenancyModuleOptions): ResolvedTenancyOptions {
  const resolved: ResolvedTenancyOptions = {
    registry: { ...DEFAULTS.registry, ...options.registry },
    redis: { ...DEFAULTS.redis, ...options.redis },
    secrets: options.secrets,
    auth: options.auth,
    // The Redis lifetime's default and check are the tenant cache's own, as the control plane's are.
    cache: { ...DEFAULTS.cache, ...options.cache, redisTtlSeconds: tenantCacheOptions(options.cache?.redisTtlSeconds).ttlSeconds },
    connections: { ...DEFAULTS.connections, ...options.connections },
    entities: options.entities ?? TENANT_ENTITIES,
    sqlServer: options.sqlServer ?? { trustServerCertificate: false },
    pooler: options.pooler ?? null,
    schemaVersions: { min: options.schemaVersions?.min ?? null, max: options.schemaVersions?.max ?? null },
  };
  if (!poolFitsUnderCap(resolved.connections)) {
    const { poolSize, maxConnections, maxPoolerConnections } = resolved.connections;
    throw new Error(`tenancy: a pool of ${poolSize} connections cannot fit under a cap of ${Math.min(maxConnections, maxPoolerConnections)}`);
  }
  const rangeProblem = schemaVersionRangeProblem(resolved.schemaVersions);
  if (rangeProblem) throw new Error(`tenancy: ${rangeProblem}`);
  return resolved;
}

const ownSettings = defineSettings({
  variables: {
    TENANT_LOCAL_CACHE_TTL_SECONDS: z.coerce
      .number()
      .positive()
      .max(60)
      .default(DEFAULTS.cache.localTtlMs / 1000),
    TENANT_LOCAL_CACHE_SIZE: z.coerce.number().int().positive().default(DEFAULTS.cache.localMaxEntries),
    TENANT_POOL_SIZE: z.coerce.number().int().positive().default(DEFAULTS.connections.poolSize),
    TENANT_MAX_POOLS: z.coerce.number().int().positive().default(DEFAULTS.connections.maxPools),
    TENANT_MAX_CONNECTIONS: z.coerce.number().int().positive().default(DEFAULTS.connections.maxConnections),
    TENANT_POOLER_MAX_CONNECTIONS: z.coerce.number().int().positive().default(DEFAULTS.connections.maxPoolerConnections),
    TENANT_POOL_IDLE_SECONDS: z.coerce
      .number()
      .int()
      .positive()
      .default(DEFAULTS.connections.poolIdleMs / 1000),
    TENANT_CONNECTION_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULTS.connections.acquireTimeoutMs),
    REGISTRY_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULTS.registry.timeoutMs),
    AZURE_SQL_TRUST_SERVER_CERTIFICATE: sharedVariables.AZURE_SQL_TRUST_SERVER_CERTIFICATE,
    TENANCY_PG_ROUTE: z.enum(['pooler', 'direct']).default('pooler'),
    TENANCY_PG_POOLER_URL: postgresUrlVariable.default('postgres://127.0.0.1:6432'),
    TENANCY_SCHEMA_VERSION_MIN: z.string().trim().optional(),
    TENANCY_SCHEMA_VERSION_MAX: z.string().trim().optional(),
  },
  build: (e, problems) => {
    const connections = {
      poolSize: e.TENANT_POOL_SIZE,
      maxPools: e.TENANT_MAX_POOLS,
      maxConnections: e.TENANT_MAX_CONNECTIONS,
      maxPoolerConnections: e.TENANT_POOLER_MAX_CONNECTIONS,
      poolIdleMs: e.TENANT_POOL_IDLE_SECONDS * 1000,
      acquireTimeoutMs: e.TENANT_CONNECTION_ACQUIRE_TIMEOUT_MS,
    };
    if (!poolFitsUnderCap(connections)) {
      problems.push(
        `TENANT_POOL_SIZE: ${e.TENANT_POOL_SIZE} does not fit under TENANT_MAX_CONNECTIONS (${e.TENANT_MAX_CONNECTIONS}) and TENANT_POOLER_MAX_CONNECTIONS (${e.TENANT_POOLER_MAX_CONNECTIONS})`,
      );
    }
    const schemaVersions = { min: e.TENANCY_SCHEMA_VERSION_MIN || null, max: e.TENANCY_SCHEMA_VERSION_MAX || null };
    const rangeProblem = schemaVersionRangeProblem(schemaVersions);
    if (rangeProblem) problems.push(`TENANCY_SCHEMA_VERSION_MIN/MAX: ${rangeProblem}`);
    return {
      registryTimeoutMs: e.REGISTRY_TIMEOUT_MS,
      cache: { localTtlMs: e.TENANT_LOCAL_CACHE_TTL_SECONDS * 1000, localMaxEntries: e.TENANT_LOCAL_CACHE_SIZE },
      connections,
      sqlServer: { trustServerCertificate: e.AZURE_SQL_TRUST_SERVER_CERTIFICATE },
      pooler: e.TENANCY_PG_ROUTE === 'pooler' ? poolerAddress(e.TENANCY_PG_POOLER_URL) : undefined,
      schemaVersions,
    };
  },
});

function poolerAddress(url: string): Omit<PoolerAddress, 'serves'> {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port || 5432) };
}

/** The options from a Tenantry deployment's environment (what the sample business service uses): only what this lib and those it brings read. */
export const tenancySettings: Settings<TenancyModuleOptions> = mapSettings(
  combineSettings({
    adminDb: adminDatabaseSettings,
    redis: redisSettings,
    secrets: secretsSettings,
    auth: authSettings,
    tenantCache: tenantCacheSettings,
    firstServer: tenantServerAddressSettings,
    own: ownSettings,
  }),
  ({ adminDb, redis, secrets, auth, tenantCache, firstServer, own }) => ({
    registry: { url: adminDb.url, timeoutMs: own.registryTimeoutMs },
    redis,
    secrets,
    auth,
    cache: { ...own.cache, redisTtlSeconds: tenantCache.ttlSeconds },
    connections: own.connections,
    sqlServer: own.sqlServer,
    pooler: own.pooler && { ...own.pooler, serves: firstServer },
    schemaVersions: own.schemaVersions,
  }),
);
