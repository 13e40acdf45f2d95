import { Logger } from '@nestjs/common';
import { withTimeout } from '@tenantry/common';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll } from 'cockatiel';
import type Redis from 'ioredis';
import { tenantCacheKeys, type TenantCacheEntry } from './tenant-cache-keys';
import type { TenantCacheOptions } from './tenant-cache-options';

export interface TenantCacheStoreOptions extends TenantCacheOptions {
  /** Longest a read or write may wait for Redis. */
  timeoutMs: number;
  /** Failures in a row after which Redis is skipped, and for how long before one trial call. */
  breakerFailures: number;
  breakerOpenMs: number;
}

/** What Redis holds for one entry of a tenant: its value if cached, and the generation to write back under. */
export interface CachedEntry {
  value: string | null;
  generation: string;
}

// Writes only if no invalidation happened since the read that produced the value: an invalidation
// bumps the generation, so a resolver that read the registry just before a suspension cannot put
// the tenant back as active for the entry's lifetime.
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

type RedisWithScript = Redis & {
  tenantrySetIfGeneration(entryKey: string, generationKey: string, value: string, generation: string, ttl: number): Promise<number>;
};

/**
 * The reading side of the tenant cache: an entry with its generation, and the write guarded by that
 * generation. Cache-aside that fails open: a call may slow a request, never fail it or hang it.
 * Every call is bounded by `timeoutMs`, and after `breakerFailures` failures in a row the circuit
 * skips Redis for `breakerOpenMs`, then lets one trial call decide; while that trial runs, other
 * calls skip Redis too rather than queue behind it (cockatiel would make them wait for its outcome).
 */
export class TenantCacheStore {
  private readonly logger = new Logger(TenantCacheStore.name);
  private readonly redis: RedisWithScript;
  // The breaker is cockatiel's; the timeout inside it (a timed-out call is a failure of the circuit)
  // is common's withTimeout, not cockatiel's timeout policy: bench:resolver-hit measured the policy at
  // about 6 µs a call against 1 µs for the whole of this guard (docs/benchmarks.md).
  private readonly breaker = circuitBreaker(handleAll, {
    halfOpenAfter: this.options.breakerOpenMs,
    breaker: new ConsecutiveBreaker(this.options.breakerFailures),
  });
  private breakUnannounced = false;

  constructor(
    redis: Redis,
    private readonly options: TenantCacheStoreOptions,
  ) {
    redis.defineCommand('tenantrySetIfGeneration', { numberOfKeys: 2, lua: SET_IF_GENERATION });
    this.redis = redis as RedisWithScript;
    this.breaker.onBreak(() => (this.breakUnannounced = true));
    this.breaker.onReset(() => this.logger.log('tenant cache reachable again'));
  }

  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  /** `undefined` means Redis did not answer (or is being skipped). */
  async read(entry: TenantCacheEntry, tenantId: string): Promise<CachedEntry | undefined> {
    if (this.breaker.state === CircuitState.HalfOpen) return undefined;
    try {
      const [value, generation] = await this.breaker.execute(() =>
        withTimeout(this.redis.mget(tenantCacheKeys.entry(entry, tenantId), tenantCacheKeys.generation(tenantId)), this.options.timeoutMs, 'tenant cache read'),
      );
      return { value, generation: generation ?? '0' };
    } catch (error) {
      this.failed(tenantId, error);
      return undefined;
    }
  }

  /** Fire and forget: the request that produced the value does not wait for the cache. */
  write(entry: TenantCacheEntry, tenantId: string, value: string, generation: string): void {
    if (this.breaker.state === CircuitState.HalfOpen) return;
    this.breaker
      .execute(() =>
        withTimeout(
          this.redis.tenantrySetIfGeneration(tenantCacheKeys.entry(entry, tenantId), tenantCacheKeys.generation(tenantId), value, generation, this.options.ttlSeconds),
          this.options.timeoutMs,
          'tenant cache write',
        ),
      )
      .catch((error: unknown) => this.failed(tenantId, error));
  }

  /** Says once per opening that the circuit opened, with the tenant whose call found it so. */
  private failed(tenantId: string, error: unknown): void {
    if (!this.breakUnannounced) return;
    this.breakUnannounced = false;
    this.logger.warn({ tenant_id: tenantId, err: error }, `tenant cache unavailable; resolving from the registry without it for ${this.options.breakerOpenMs} ms`);
  }
}
