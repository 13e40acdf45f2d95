import { Inject, Injectable, Logger } from '@nestjs/common';
import { tenantCacheKeys, withTimeout } from '@tenantry/common';
import type { TenantRoute } from '@tenantry/registry';
import type Redis from 'ioredis';
import { CircuitBreaker, type BreakerState } from '../cache/circuit-breaker';
import { TENANCY_OPTIONS, type ResolvedTenancyOptions } from '../tenancy-options';
import { TENANCY_REDIS } from './tenancy-redis';

/** What Redis said about a tenant: its route if cached, and the generation to write back under. */
export interface CachedRoute {
  route: TenantRoute | null;
  generation: string;
}

// Writes only if no invalidation happened since the read that produced `route`: an invalidation
// bumps the generation, so a resolver that read the registry just before a suspension cannot put
// the tenant back as active for the next five minutes.
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

type RedisWithScript = Redis & {
  tenantrySetIfGeneration(routeKey: string, generationKey: string, value: string, generation: string, ttl: number): Promise<number>;
};

/**
 * The shared tier of tenant resolution (Redis, minutes). It may slow a request, never fail it or
 * hang it: every call is bounded by a timeout, and after repeated failures a circuit breaker skips
 * Redis altogether until a trial call succeeds. `undefined` means "Redis did not answer".
 */
@Injectable()
export class TenantRouteCache {
  private readonly logger = new Logger(TenantRouteCache.name);
  private readonly breaker: CircuitBreaker;
  private readonly redis: RedisWithScript;

  constructor(
    @Inject(TENANCY_REDIS) redis: Redis,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.breaker = new CircuitBreaker({ failureThreshold: options.cache.breakerFailures, openMs: options.cache.breakerOpenMs });
    redis.defineCommand('tenantrySetIfGeneration', { numberOfKeys: 2, lua: SET_IF_GENERATION });
    this.redis = redis as RedisWithScript;
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  async read(tenantId: string): Promise<CachedRoute | undefined> {
    if (!this.breaker.allows()) return undefined;
    try {
      const [value, generation] = await withTimeout(
        this.redis.mget(tenantCacheKeys.connection(tenantId), tenantCacheKeys.generation(tenantId)),
        this.options.redis.timeoutMs,
        'tenant cache read',
      );
      this.succeeded();
      return { route: value ? parseRoute(value, tenantId) : null, generation: generation ?? '0' };
    } catch (error) {
      this.failed(tenantId, error);
      return undefined;
    }
  }

  /** Fire and forget: the request that resolved the tenant does not wait for the cache. */
  write(tenantId: string, route: TenantRoute, generation: string): void {
    if (!this.breaker.allows()) return;
    withTimeout(
      this.redis.tenantrySetIfGeneration(
        tenantCacheKeys.connection(tenantId),
        tenantCacheKeys.generation(tenantId),
        JSON.stringify(route),
        generation,
        this.options.cache.redisTtlSeconds,
      ),
      this.options.redis.timeoutMs,
      'tenant cache write',
    ).then(
      () => this.succeeded(),
      (error: unknown) => this.failed(tenantId, error),
    );
  }

  private succeeded(): void {
    const wasOpen = this.breaker.state !== 'closed';
    this.breaker.succeeded();
    if (wasOpen) this.logger.log('tenant cache reachable again');
  }

  private failed(tenantId: string, error: unknown): void {
    const before: BreakerState = this.breaker.state;
    this.breaker.failed();
    if (before !== 'open' && this.breakerState === 'open') {
      this.logger.warn(
        { tenant_id: tenantId, err: error },
        `tenant cache unavailable; resolving from the registry without it for ${this.options.cache.breakerOpenMs} ms`,
      );
    }
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
