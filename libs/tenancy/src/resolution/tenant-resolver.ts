import { Inject, Injectable, Logger } from '@nestjs/common';
import { DependencyUnavailable, TenantNotActive, TenantNotFound, TenantSchemaUnsupported, withTimeout } from '@tenantry/common';
import { isCanonicalTenantId, TenantDirectory, type TenantDatabaseRoute, type TenantRoute } from '@tenantry/registry';
import { placeInRange } from '@tenantry/tenant-schema';
import type { LRUCache } from 'lru-cache';
import { expiringLru } from '../cache/expiring-lru';
import { SingleFlight } from '../cache/single-flight';
import { TenancyMetrics } from '../metrics/tenancy-metrics';
import { TENANCY_OPTIONS, type ResolvedTenancyOptions } from '../tenancy-options';
import { TenantRouteCache } from './tenant-route.cache';

/** A tenant that may be served now, with where its database is. */
export type ActiveTenant = TenantRoute & { status: 'active'; database: TenantDatabaseRoute };

// Longer than a registry read can take (it is bounded by the registry timeout).
const INVALIDATION_MEMORY_MS = 60_000;

/**
 * tenant id -> where its database is: an in-process LRU (seconds), then Redis (minutes, the secret
 * still protected), then the registry. Concurrent cold requests for one tenant share one registry
 * query; unknown ids are remembered briefly; an invalidation drops the tenant here at once, and a
 * load that was under way when it came is not cached (it may have read the old state).
 */
@Injectable()
export class TenantResolver {
  private readonly logger = new Logger(TenantResolver.name);
  private readonly local: LRUCache<string, TenantRoute>;
  private readonly unknown: LRUCache<string, true>;
  private readonly flights = new SingleFlight<TenantRoute | null>();
  private readonly invalidatedAt: LRUCache<string, number>;
  private epoch = 0;
  private flushedAt = 0;

  constructor(
    private readonly directory: TenantDirectory,
    private readonly cache: TenantRouteCache,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly metrics: TenancyMetrics,
  ) {
    const { localMaxEntries, localTtlMs, negativeTtlMs } = options.cache;
    this.local = expiringLru(localMaxEntries, localTtlMs);
    this.unknown = expiringLru(Math.max(1, Math.floor(localMaxEntries / 10)), negativeTtlMs);
    this.invalidatedAt = expiringLru(localMaxEntries, INVALIDATION_MEMORY_MS);
  }

  /**
   * The tenant if it may be served: TenantNotFound (404), TenantNotActive (403), DependencyUnavailable
   * (503), TenantSchemaUnsupported (503) when its schema version is outside the service's range,
   * judged on the cached route as the rest is.
   */
  async resolveActive(tenantId: string): Promise<ActiveTenant> {
    const route = await this.resolve(tenantId);
    if (!route || route.status === 'deleted') throw new TenantNotFound(tenantId);
    if (route.status !== 'active') throw new TenantNotActive(route.status);
    if (!route.database) throw new TenantNotActive('active without credentials');
    const place = placeInRange(route.database.schemaVersion, this.options.schemaVersions);
    if (place !== 'inside') {
      this.metrics.schemaVersionRefused(place);
      throw new TenantSchemaUnsupported(route.database.schemaVersion, this.options.schemaVersions);
    }
    return route as ActiveTenant;
  }

  /** The tenant as the registry knows it, whatever its status; null when there is no such tenant. */
  async resolve(tenantId: string): Promise<TenantRoute | null> {
    if (!isCanonicalTenantId(tenantId)) return null;
    const hit = this.local.get(tenantId);
    if (hit) return hit;
    if (this.unknown.get(tenantId)) return null;
    return this.flights.run(tenantId, () => this.load(tenantId));
  }

  /** Drops what this process knows of the tenant (a registry write announced a change). */
  invalidate(tenantId: string): void {
    this.epoch += 1;
    this.invalidatedAt.set(tenantId, this.epoch);
    this.local.delete(tenantId);
    this.unknown.delete(tenantId);
  }

  /** Forgets every tenant: invalidations may have been missed (the subscription was down). */
  invalidateAll(): void {
    this.epoch += 1;
    this.flushedAt = this.epoch;
    this.local.clear();
    this.unknown.clear();
  }

  private async load(tenantId: string): Promise<TenantRoute | null> {
    const startedAt = this.epoch;
    const cached = await this.cache.read(tenantId);
    let route = cached?.route ?? null;
    if (!route) {
      route = await this.fromRegistry(tenantId);
      if (route && cached) this.cache.write(tenantId, route, cached.generation);
    }
    if (this.unchangedSince(tenantId, startedAt)) {
      if (route) this.local.set(tenantId, route);
      else this.unknown.set(tenantId, true);
    }
    return route;
  }

  private unchangedSince(tenantId: string, epoch: number): boolean {
    return this.flushedAt <= epoch && (this.invalidatedAt.get(tenantId) ?? 0) <= epoch;
  }

  private async fromRegistry(tenantId: string): Promise<TenantRoute | null> {
    try {
      return await withTimeout(this.directory.lookup(tenantId), this.options.registry.timeoutMs, 'tenant registry read');
    } catch (error) {
      this.logger.error({ tenant_id: tenantId, err: error }, 'tenant registry read failed');
      throw new DependencyUnavailable('the tenant registry is unavailable and this tenant is not cached; try again shortly');
    }
  }
}
