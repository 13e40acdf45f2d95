import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { tenantCacheKeys } from '@tenantry/common';
import { TenancyModule, tenancyOptionsFromConfig, TenantResolver } from '@tenantry/tenancy';
import { createTestEnv } from '@tenantry/testing';
import Redis from 'ioredis';
import { ClsModule } from 'nestjs-cls';
import { line, machine, timed } from './bench-support';
import { createFleet } from './fleet';

// bench:resolver-hit. The resolver's own code on its two fast paths, where a library in place of a
// hand-written piece could cost something: (1) an in-process hit (TenantResolver.resolveActive on a
// warm tenant, no I/O) against the floor of any such call, an async function returning a Map entry;
// (2) a Redis hit (the process entry dropped first) against a bare MGET of the same two keys.
// Rounds alternate the two sides, so a busier moment of this shared machine lands on both.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HITS = Number(process.env.BENCH_HITS ?? 100_000);
const REDIS_HITS = Number(process.env.BENCH_REDIS_HITS ?? 5_000);

@Module({})
class ResolverHitBenchModule {}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:resolver-hit on ${machine()}; Redis and PostgreSQL on loopback\n` +
      `${TENANTS} tenants, ${ROUNDS} rounds alternating each measurement with its baseline; ${HITS} in-process hits and ${REDIS_HITS} Redis hits per round\n`,
  );
  const env = createTestEnv({ LOG_LEVEL: 'warn' });
  const app = await NestFactory.createApplicationContext(
    { module: ResolverHitBenchModule, imports: [ClsModule.forRoot({ global: true }), TenancyModule.forRoot(tenancyOptionsFromConfig(env.config))] } as DynamicModule,
    { logger: false },
  );
  const redis = new Redis(env.config.redis.url, { keyPrefix: env.config.redis.keyPrefix });
  try {
    const ids = (await createFleet(env, TENANTS, { codePrefix: 'h' })).map((tenant) => tenant.id);
    const resolver = app.get(TenantResolver);
    const floorMap = new Map<string, unknown>();
    for (const id of ids) floorMap.set(id, await resolver.resolveActive(id));
    const floor = async (id: string) => floorMap.get(id);
    const at = (i: number) => ids[i % ids.length];

    const samples = { floor: [] as number[], local: [] as number[], mget: [] as number[], redisHit: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      samples.floor.push(...(await timed(HITS, () => undefined, (i) => floor(at(i)))));
      samples.local.push(...(await timed(HITS, () => undefined, (i) => resolver.resolveActive(at(i)))));
      samples.mget.push(...(await timed(REDIS_HITS, () => undefined, (i) => redis.mget(tenantCacheKeys.connection(at(i)), tenantCacheKeys.generation(at(i))))));
      samples.redisHit.push(...(await timed(REDIS_HITS, (i) => resolver.invalidate(at(i)), (i) => resolver.resolveActive(at(i)))));
    }
    process.stdout.write('\n(1) in-process hit\n');
    process.stdout.write(line('baseline: async Map.get', samples.floor));
    process.stdout.write(line('TenantResolver.resolveActive, warm', samples.local, samples.floor));
    process.stdout.write('\n(2) Redis hit\n');
    process.stdout.write(line('baseline: MGET entry + generation (ioredis)', samples.mget));
    process.stdout.write(line('TenantResolver.resolveActive, Redis hit', samples.redisHit, samples.mget));
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
