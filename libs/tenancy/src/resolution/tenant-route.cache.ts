import { Injectable } from '@nestjs/common';
import type { TenantRoute } from '@tenantry/registry';
import { TenantCacheStore } from '@tenantry/tenant-cache';
import type { CircuitState } from 'cockatiel';

/** What Redis said about a tenant: its route if cached, and the generation to write back under. */
export interface CachedRoute {
  route: TenantRoute | null;
  generation: string;
}

/**
 * The shared tier of tenant resolution (Redis, minutes): the tenant cache's `connection` entry,
 * read and written as a route. `undefined` means "Redis did not answer".
 */
@Injectable()
export class TenantRouteCache {
  constructor(private readonly store: TenantCacheStore) {}

  get circuitState(): CircuitState {
    return this.store.circuitState;
  }

  async read(tenantId: string): Promise<CachedRoute | undefined> {
    const cached = await this.store.read('connection', tenantId);
    return cached && { route: cached.value ? parseRoute(cached.value, tenantId) : null, generation: cached.generation };
  }

  /** Fire and forget: the request that resolved the tenant does not wait for the cache. */
  write(tenantId: string, route: TenantRoute, generation: string): void {
    this.store.write('connection', tenantId, JSON.stringify(route), generation);
  }
}

/** A value that is not a route for this tenant (corrupt, or from an older format) counts as a miss. */
function parseRoute(value: string, tenantId: string): TenantRoute | null {
  try {
    const route = JSON.parse(value) as TenantRoute;
    return route.tenantId === tenantId && typeof route.status === 'string' ? route : null;
  } catch {
    return null;
  }
}
