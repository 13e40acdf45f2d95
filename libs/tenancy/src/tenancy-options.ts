import type { AuthOptions } from '@tenantry/auth';
import type { AppConfig } from '@tenantry/common';
import { tenantCacheOptions } from '@tenantry/tenant-cache';
import { TENANT_ENTITIES } from '@tenantry/tenant-schema';
import type { DataSourceOptions } from 'typeorm';

/** What a business service tells TenancyModule; everything but where things are has a default. */
export interface TenancyModuleOptions {
  /** The admin database holding the registry: read once per cold tenant, through a small pool. */
  registry: { url: string; poolSize?: number; timeoutMs?: number };
  /** Cache and invalidations. `keyPrefix` must match the control plane's REDIS_KEY_PREFIX. */
  redis: { url: string; keyPrefix?: string; timeoutMs?: number };
  /** How tenant credentials are protected at rest (the control plane's setting). */
  secrets: AppConfig['secrets'];
  /** Token verification (the Keycloak realm). */
  auth: AuthOptions;
  cache?: Partial<TenancyCacheOptions>;
  connections?: Partial<TenancyConnectionOptions>;
  /** The entities of the tenant databases (default: the sample orders schema). */
  entities?: DataSourceOptions['entities'];
  /** Tenants on SQL Server (the azure-sql engine): accept a self-signed server certificate (a local server only). */
  sqlServer?: { trustServerCertificate: boolean };
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
  /** Connections to tenant databases this process may hold in all, whatever the number of tenants. */
  maxConnections: number;
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
  secrets: AppConfig['secrets'];
  auth: AuthOptions;
  cache: TenancyCacheOptions;
  connections: TenancyConnectionOptions;
  entities: NonNullable<DataSourceOptions['entities']>;
  sqlServer: { trustServerCertificate: boolean };
}

export const TENANCY_OPTIONS = Symbol('TENANCY_OPTIONS');

export function resolveTenancyOptions(options: TenancyModuleOptions): ResolvedTenancyOptions {
  const resolved: ResolvedTenancyOptions = {
    registry: { poolSize: 4, timeoutMs: 2_000, ...options.registry },
    redis: { keyPrefix: '', timeoutMs: 250, ...options.redis },
    secrets: options.secrets,
    auth: options.auth,
    cache: {
      localMaxEntries: 10_000,
      localTtlMs: 5_000,
      negativeTtlMs: 5_000,
      breakerFailures: 5,
      breakerOpenMs: 5_000,
      ...options.cache,
      redisTtlSeconds: tenantCacheOptions(options.cache?.redisTtlSeconds).ttlSeconds,
    },
    connections: {
      maxPools: 1_000,
      poolSize: 5,
      maxConnections: 50,
      poolIdleMs: 300_000,
      connectionIdleMs: 30_000,
      acquireTimeoutMs: 5_000,
      ...options.connections,
    },
    entities: options.entities ?? TENANT_ENTITIES,
    sqlServer: options.sqlServer ?? { trustServerCertificate: false },
  };
  if (resolved.connections.poolSize > resolved.connections.maxConnections) {
    throw new Error(
      `tenancy: a pool of ${resolved.connections.poolSize} connections cannot fit under a cap of ${resolved.connections.maxConnections}`,
    );
  }
  return resolved;
}

/** The options a Tenantry deployment's own configuration gives (what the sample business service uses). */
export function tenancyOptionsFromConfig(config: AppConfig): TenancyModuleOptions {
  const { tenancy } = config;
  return {
    registry: { url: config.adminDb.url, timeoutMs: tenancy.registryTimeoutMs },
    redis: { url: config.redis.url, keyPrefix: config.redis.keyPrefix },
    secrets: config.secrets,
    auth: config.auth,
    cache: {
      redisTtlSeconds: tenancy.cacheTtlSeconds,
      localTtlMs: tenancy.localCacheTtlSeconds * 1000,
      localMaxEntries: tenancy.localCacheSize,
    },
    connections: {
      poolSize: tenancy.poolSize,
      maxPools: tenancy.maxPools,
      maxConnections: tenancy.maxConnections,
      poolIdleMs: tenancy.poolIdleSeconds * 1000,
      acquireTimeoutMs: tenancy.acquireTimeoutMs,
    },
    sqlServer: { trustServerCertificate: config.azureSql?.trustServerCertificate ?? false },
  };
}
