import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { redisSettings, withTimeout } from '@tenantry/common';
import { TenancyModule, tenancySettings, TenantResolver } from '@tenantry/tenancy';
import { tenantCacheKeys } from '@tenantry/tenant-cache';
import { createTestEnv } from '@tenantry/common/testing';
import { circuitBreaker, ConsecutiveBreaker, handleAll, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { ClsModule } from 'nestjs-cls';
import { setTimeout as sleep } from 'node:timers/promises';
import { line, machine, timed } from './bench-support';
import { CircuitBreaker } from './baseline/circuit-breaker';
import { TtlLru } from './baseline/ttl-lru';
import { createFleet } from './fleet';

// bench:resolver-hit. The resolver's own code on its two fast paths, where a library in place of a
// hand-written piece could cost something: (1) an in-process hit (TenantResolver.resolveActive on a
// warm tenant, no I/O) against the floor of any such call, an async function returning a Map entry;
// (2) a Redis hit (the process entry dropped first) against a bare MGET of the same two keys;
// (3) the in-process LRU alone: lru-cache as the resolver has it (defaults), and reading its clock on
// every get (it caches it for a millisecond behind a timer by default), against the hand-written LRU
// it replaced (bench/baseline), full at the resolver's default bound: hits over 100 hot keys back to
// back and 1 ms apart, as a service's requests may arrive, and inserts that each evict; (4) what
// guards each Redis call, alone around a call that answers at once: cockatiel's circuit breaker with
// common's withTimeout, as TenantCacheStore has them, and with cockatiel's own timeout policy, against
// the hand-written breaker and withTimeout they replaced.
// Rounds alternate the two sides, so a busier moment of this shared machine lands on both.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HITS = Number(process.env.BENCH_HITS ?? 100_000);
const REDIS_HITS = Number(process.env.BENCH_REDIS_HITS ?? 5_000);
const SPACED_HITS = Number(process.env.BENCH_SPACED_HITS ?? 1_000);
const LRU_ENTRIES = 10_000;
const LRU_TTL_MS = 5_000;

interface Lru {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** The three LRUs, full, each as the resolver would hold its tenants. */
function lrus(): Record<'handWritten' | 'lruCache' | 'lruCacheEveryClock', Lru> {
  const handWritten = new TtlLru<unknown>(LRU_ENTRIES);
  const all = {
    handWritten: { get: (key: string) => handWritten.get(key), set: (key: string, value: unknown) => handWritten.set(key, value, LRU_TTL_MS) },
    lruCache: new LRUCache<string, {}>({ max: LRU_ENTRIES, ttl: LRU_TTL_MS }),
    lruCacheEveryClock: new LRUCache<string, {}>({ max: LRU_ENTRIES, ttl: LRU_TTL_MS, ttlResolution: 0 }),
  };
  for (const lru of Object.values(all)) for (let i = 0; i < LRU_ENTRIES; i += 1) lru.set(`tenant-${i}`, { i });
  return all;
}

/** Times `work` call by call, synchronously (an LRU call is well under a microsecond; no await in the way). */
function timedSync(iterations: number, work: (i: number) => unknown): number[] {
  const samples: number[] = new Array(iterations);
  for (let i = 0; i < iterations; i += 1) {
    const started = process.hrtime.bigint();
    work(i);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return samples;
}

@Module({})
class ResolverHitBenchModule {}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:resolver-hit on ${machine()}; Redis and PostgreSQL on loopback\n` +
      `${TENANTS} tenants, ${ROUNDS} rounds alternating each measurement with its baseline; ${HITS} in-process hits and ${REDIS_HITS} Redis hits per round\n`,
  );
  const env = createTestEnv({ LOG_LEVEL: 'warn' });
  const app = await NestFactory.createApplicationContext(
    { module: ResolverHitBenchModule, imports: [ClsModule.forRoot({ global: true }), TenancyModule.forRoot(env.settings(tenancySettings))] } as DynamicModule,
    { logger: false },
  );
  const { url, keyPrefix } = env.settings(redisSettings);
  const redis = new Redis(url, { keyPrefix });
  try {
    const ids = (await createFleet(env, TENANTS, { codePrefix: 'h' })).map((tenant) => tenant.id);
    const resolver = app.get(TenantResolver);
    const floorMap = new Map<string, unknown>();
    for (const id of ids) floorMap.set(id, await resolver.resolveActive(id));
    const floor = async (id: string) => floorMap.get(id);
    const at = (i: number) => ids[i % ids.length];

    const samples = { floor: [] as number[], local: [] as number[], mget: [] as number[], redisHit: [] as number[] };
    const lruGets = { handWritten: [] as number[], lruCache: [] as number[], lruCacheEveryClock: [] as number[] };
    const lruSets = { handWritten: [] as number[], lruCache: [] as number[], lruCacheEveryClock: [] as number[] };
    const lruSpaced = { handWritten: [] as number[], lruCache: [] as number[], lruCacheEveryClock: [] as number[] };
    const guards = { handWritten: [] as number[], cockatielBreaker: [] as number[], cockatielBoth: [] as number[] };
    const handWrittenBreaker = new CircuitBreaker({ failureThreshold: 5, openMs: 5_000 });
    const cockatielBreaker = circuitBreaker(handleAll, { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(5) });
    const cockatielBoth = wrap(
      circuitBreaker(handleAll, { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(5) }),
      timeout(250, TimeoutStrategy.Aggressive),
    );
    const answer = async () => 'value';
    let inserted = LRU_ENTRIES;
    for (let round = 0; round < ROUNDS; round += 1) {
      const caches = lrus();
      const kinds = Object.keys(caches) as Array<keyof typeof caches>;
      // A different one goes first each round, so warm-up and collections do not favour one.
      for (const kind of [...kinds.slice(round % kinds.length), ...kinds.slice(0, round % kinds.length)]) {
        lruGets[kind].push(...timedSync(HITS, (i) => caches[kind].get(`tenant-${i % 100}`)));
        lruSets[kind].push(...timedSync(HITS, () => caches[kind].set(`tenant-${inserted++}`, { inserted })));
        lruSpaced[kind].push(...(await timed(SPACED_HITS, () => sleep(1), async (i) => caches[kind].get(`tenant-${i % 100}`))));
      }
      guards.handWritten.push(
        ...(await timed(REDIS_HITS, () => undefined, async () => {
          if (!handWrittenBreaker.allows()) return;
          await withTimeout(answer(), 250, 'bench call');
          handWrittenBreaker.succeeded();
        })),
      );
      guards.cockatielBreaker.push(...(await timed(REDIS_HITS, () => undefined, () => cockatielBreaker.execute(() => withTimeout(answer(), 250, 'bench call')))));
      guards.cockatielBoth.push(...(await timed(REDIS_HITS, () => undefined, () => cockatielBoth.execute(answer))));
      samples.floor.push(...(await timed(HITS, () => undefined, (i) => floor(at(i)))));
      samples.local.push(...(await timed(HITS, () => undefined, (i) => resolver.resolveActive(at(i)))));
      samples.mget.push(...(await timed(REDIS_HITS, () => undefined, (i) => redis.mget(tenantCacheKeys.entry('connection', at(i)), tenantCacheKeys.generation(at(i))))));
      samples.redisHit.push(...(await timed(REDIS_HITS, (i) => resolver.invalidate(at(i)), (i) => resolver.resolveActive(at(i)))));
    }
    process.stdout.write('\n(1) in-process hit\n');
    process.stdout.write(line('baseline: async Map.get', samples.floor));
    process.stdout.write(line('TenantResolver.resolveActive, warm', samples.local, samples.floor));
    process.stdout.write('\n(2) Redis hit\n');
    process.stdout.write(line('baseline: MGET entry + generation (ioredis)', samples.mget));
    process.stdout.write(line('TenantResolver.resolveActive, Redis hit', samples.redisHit, samples.mget));
    process.stdout.write(`\n(3) the LRU alone, ${LRU_ENTRIES} entries, ${LRU_TTL_MS / 1000} s lifetime\n`);
    process.stdout.write(line('baseline: hand-written TtlLru, get (hit)', lruGets.handWritten));
    process.stdout.write(line('lru-cache defaults, get (hit)', lruGets.lruCache, lruGets.handWritten));
    process.stdout.write(line('lru-cache ttlResolution 0, get (hit)', lruGets.lruCacheEveryClock, lruGets.handWritten));
    process.stdout.write(line('baseline: hand-written TtlLru, get 1 ms apart', lruSpaced.handWritten));
    process.stdout.write(line('lru-cache defaults, get 1 ms apart', lruSpaced.lruCache, lruSpaced.handWritten));
    process.stdout.write(line('lru-cache ttlResolution 0, get 1 ms apart', lruSpaced.lruCacheEveryClock, lruSpaced.handWritten));
    process.stdout.write(line('baseline: hand-written TtlLru, set (evicts)', lruSets.handWritten));
    process.stdout.write(line('lru-cache defaults, set (evicts)', lruSets.lruCache, lruSets.handWritten));
    process.stdout.write(line('lru-cache ttlResolution 0, set (evicts)', lruSets.lruCacheEveryClock, lruSets.handWritten));
    process.stdout.write('\n(4) the guard around one Redis call, alone\n');
    process.stdout.write(line('baseline: hand-written breaker + withTimeout', guards.handWritten));
    process.stdout.write(line('cockatiel breaker + withTimeout (as the store)', guards.cockatielBreaker, guards.handWritten));
    process.stdout.write(line('cockatiel breaker + cockatiel timeout', guards.cockatielBoth, guards.handWritten));
  } finally {
    redis.disconnect();
    await app.close();
    await env.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
