import type { INestApplicationContext } from '@nestjs/common';
import { DependencyUnavailable, redisSettings, TenantNotActive, TenantNotFound } from '@tenantry/common';
import { TenantCacheInvalidator, TenantDirectory } from '@tenantry/registry';
import { tenantCacheKeys, tenantCacheSettings } from '@tenantry/tenant-cache';
import { CircuitState } from 'cockatiel';
import { createTestEnv, startTcpProxy, waitFor, type TcpProxy, type TestEnv } from '@tenantry/common/testing';
import Redis from 'ioredis';
import { bootTenancy, seedTenants, type SeededTenant } from '@tenantry/tenancy/testing';
import { TENANCY_REDIS } from './tenancy-redis';
import { TenantResolver } from './tenant-resolver';
import { TenantRouteCache } from './tenant-route.cache';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function elapsed<T>(work: () => Promise<T>): Promise<{ ms: number; result?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const result = await work();
    return { ms: performance.now() - started, result };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('TenantResolver: in-process LRU -> Redis -> registry', () => {
  let env: TestEnv;
  let tenants: SeededTenant[];
  let redis: Redis;
  let invalidator: TenantCacheInvalidator;
  const apps: INestApplicationContext[] = [];

  const boot = async (overrides: Parameters<typeof bootTenancy>[1] = {}) => {
    const app = await bootTenancy(env, { cache: { localTtlMs: 300, negativeTtlMs: 300 }, ...overrides });
    apps.push(app);
    const lookups = jest.spyOn(app.get(TenantDirectory), 'lookup');
    return { app, resolver: app.get(TenantResolver), lookups };
  };

  const setStatus = (id: string, status: string) =>
    env.sql(`UPDATE tenants SET status = $2 WHERE id = $1`, [id, status], env.adminDatabase);

  beforeAll(async () => {
    env = createTestEnv();
    tenants = await seedTenants(env, 12);
    redis = new Redis(env.settings(redisSettings).url, { keyPrefix: env.settings(redisSettings).keyPrefix });
    invalidator = new TenantCacheInvalidator(redis, env.settings(tenantCacheSettings));
  });

  // Each test's apps close with it: their pools hold real connections, and the server has a hundred.
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    invalidator?.onApplicationShutdown();
    redis?.disconnect();
    await env.cleanup();
  });

  it('serves a warm tenant from the process, then from Redis (secret still protected), then from the registry', async () => {
    const [tenant] = tenants;
    const { resolver, lookups } = await boot();
    const first = await resolver.resolveActive(tenant.id);
    expect(first).toMatchObject({ tenantId: tenant.id, code: tenant.code, status: 'active', database: { name: tenant.database, login: tenant.login } });
    expect(lookups).toHaveBeenCalledTimes(1);

    const stored = await redis.get(tenantCacheKeys.entry('connection', tenant.id));
    expect(JSON.parse(stored as string).database.secret).toMatch(/^v1\.k1\./);
    expect(stored).not.toContain(`password-of-${tenant.code}`);
    const ttl = await redis.ttl(tenantCacheKeys.entry('connection', tenant.id));
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);

    // Change the registry behind the caches' back: the in-process entry still answers...
    await setStatus(tenant.id, 'suspended');
    await expect(resolver.resolveActive(tenant.id)).resolves.toMatchObject({ status: 'active' });
    await sleep(350);
    // ...then Redis, once the in-process entry has expired...
    await expect(resolver.resolveActive(tenant.id)).resolves.toMatchObject({ status: 'active' });
    expect(lookups).toHaveBeenCalledTimes(1);
    // ...and the registry once Redis has nothing either.
    await redis.del(tenantCacheKeys.entry('connection', tenant.id));
    await sleep(350);
    await expect(resolver.resolveActive(tenant.id)).rejects.toBeInstanceOf(TenantNotActive);
    expect(lookups).toHaveBeenCalledTimes(2);
    await setStatus(tenant.id, 'active');
  });

  it('runs one registry query per cold tenant however many requests arrive at once', async () => {
    const { resolver, lookups } = await boot();
    const [a, b] = [tenants[1], tenants[2]];
    const answers = await Promise.all(
      Array.from({ length: 400 }, (_, i) => resolver.resolveActive(i % 2 === 0 ? a.id : b.id)),
    );
    expect(new Set(answers.map((answer) => answer.tenantId))).toEqual(new Set([a.id, b.id]));
    expect(lookups).toHaveBeenCalledTimes(2);
    expect(lookups.mock.calls.map(([id]) => id).sort()).toEqual([a.id, b.id].sort());
  });

  it('remembers an unknown tenant briefly, and forgets it when the registry announces it', async () => {
    const { resolver, lookups } = await boot();
    const id = '7d9f0e2a-5b1c-4c3d-8e4f-a1b2c3d4e5f6';
    for (let round = 0; round < 3; round += 1) {
      const refused = await Promise.allSettled(Array.from({ length: 50 }, () => resolver.resolveActive(id)));
      expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof TenantNotFound)).toBe(true);
    }
    expect(lookups).toHaveBeenCalledTimes(1);
    await sleep(350);
    await expect(resolver.resolveActive(id)).rejects.toBeInstanceOf(TenantNotFound);
    expect(lookups).toHaveBeenCalledTimes(2);

    // The tenant appears (provisioned): the worker's invalidation makes it resolvable at once.
    const admin = env.adminDatabase;
    await env.sql(`INSERT INTO tenants (id, code, name, plan, region, status) VALUES ($1, 'late', 'late', 'standard', 'local', 'active')`, [id], admin);
    await env.sql(
      `INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name, secret)
       SELECT $1, pool_id, engine, host, port, database_name, 'late_app', secret FROM tenant_databases LIMIT 1`,
      [id],
      admin,
    );
    await invalidator.invalidate(id);
    await waitFor(async () => (await resolver.resolve(id)) !== null, 30_000);
  });

  it('never lets ids chosen to collide with a tenant reach its entry (case, braces, separators, Unicode)', async () => {
    const { resolver, lookups } = await boot();
    const tenant = tenants[3];
    await resolver.resolveActive(tenant.id);
    const lookalikes = [
      tenant.id.toUpperCase(),
      `{${tenant.id}}`,
      tenant.id.replace(/-/g, ''),
      `${tenant.id} `,
      `${tenant.id}:`,
      `${tenant.id}\u0000`,
      `tenant:connstr:${tenant.id}`,
      // Homoglyphs that every id has (a random id may hold no 'a' at all): a fullwidth first character, a Unicode hyphen.
      tenant.id.replace(/^./, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
      tenant.id.replace('-', '\u2010'),
      tenant.id.replace(/^./, (c) => `${c}\u0301`),
      `${tenant.id}\ud800`,
    ];
    for (const id of lookalikes) {
      await expect(resolver.resolveActive(id)).rejects.toBeInstanceOf(TenantNotFound);
    }
    // PostgreSQL would have matched several of these to the tenant; they never got that far.
    expect(lookups).toHaveBeenCalledTimes(1);
    const keys = await redis.keys(`${env.settings(redisSettings).keyPrefix}tenant:*`);
    for (const key of keys) expect(key).toMatch(/^[^:]+:tenant:(connstr|gen):[0-9a-f-]{36}$/);
    // Invalidating the tenant's canonical id leaves no spelling of it behind.
    await setStatus(tenant.id, 'suspended');
    await invalidator.invalidate(tenant.id);
    await waitFor(async () => (await resolver.resolve(tenant.id))?.status === 'suspended', 30_000);
    await setStatus(tenant.id, 'active');
    await invalidator.invalidate(tenant.id);
  });

  it('drops a tenant from every process once the invalidation arrives, long before its cache would', async () => {
    const tenant = tenants[4];
    const localTtlMs = 600_000;
    const processes = await Promise.all([boot({ cache: { localTtlMs } }), boot({ cache: { localTtlMs } })]);
    for (const { resolver } of processes) await resolver.resolveActive(tenant.id);
    await setStatus(tenant.id, 'suspended');
    const started = performance.now();
    await invalidator.invalidate(tenant.id);
    await Promise.all(
      processes.map(({ resolver }) => waitFor(async () => (await resolver.resolve(tenant.id))?.status === 'suspended', 60_000)),
    );
    // Only the invalidation can have done it: both processes would have kept the tenant ten minutes.
    expect(performance.now() - started).toBeLessThan(localTtlMs);
    await setStatus(tenant.id, 'active');
    await invalidator.invalidate(tenant.id);
  });

  it('does not cache what a load read before an invalidation it overlapped, in the process or in Redis', async () => {
    const { app, resolver } = await boot();
    const cache = app.get(TenantRouteCache);
    const reads = jest.spyOn(cache, 'read');
    const tenant = tenants[5];
    const loading = resolver.resolve(tenant.id);
    resolver.invalidate(tenant.id);
    await loading;
    await resolver.resolve(tenant.id);
    // The second resolve found nothing in the process: it had to ask the next tier again.
    expect(reads).toHaveBeenCalledTimes(2);

    const other = tenants[6];
    await redis.del(tenantCacheKeys.entry('connection', other.id));
    const before = await cache.read(other.id);
    const route = await app.get(TenantDirectory).lookup(other.id);
    await invalidator.invalidate(other.id);
    cache.write(other.id, route!, before!.generation);
    await sleep(100);
    expect(await redis.exists(tenantCacheKeys.entry('connection', other.id))).toBe(0);
    const after = await cache.read(other.id);
    cache.write(other.id, route!, after!.generation);
    await waitFor(async () => (await redis.exists(tenantCacheKeys.entry('connection', other.id))) === 1, 30_000);
  });

  describe('when a dependency fails', () => {
    let redisProxy: TcpProxy;
    let registryProxy: TcpProxy;

    beforeAll(async () => {
      redisProxy = await startTcpProxy(Number(new URL(env.settings(redisSettings).url).port || 6379));
      registryProxy = await startTcpProxy(Number(new URL(env.databaseUrl(env.adminDatabase)).port || 5432));
    });

    afterAll(async () => {
      await redisProxy?.close();
      await registryProxy?.close();
    });

    it('Redis hung: falls back to the registry within the timeout, then the circuit skips Redis entirely', async () => {
      const { app, resolver } = await boot({
        redis: { url: `redis://127.0.0.1:${redisProxy.port}`, keyPrefix: env.settings(redisSettings).keyPrefix, timeoutMs: 200 },
        cache: { localTtlMs: 1, negativeTtlMs: 1, breakerFailures: 3, breakerOpenMs: 60_000 },
      });
      await resolver.resolveActive(tenants[7].id);
      redisProxy.set('blackhole');
      const cache = app.get(TenantRouteCache);
      const reads = jest.spyOn(app.get<Redis>(TENANCY_REDIS), 'mget');
      let resolvesWhileOpen = 0;
      let readsWhileOpen = 0;
      for (const tenant of tenants.slice(7, 12)) {
        await sleep(5);
        const open = cache.circuitState === CircuitState.Open;
        const readsBefore = reads.mock.calls.length;
        // Redis never answers: a resolve that returns at all was cut short by the Redis timeout.
        expect((await resolver.resolveActive(tenant.id)).tenantId).toBe(tenant.id);
        if (open) {
          resolvesWhileOpen += 1;
          readsWhileOpen += reads.mock.calls.length - readsBefore;
        }
      }
      expect(cache.circuitState).toBe(CircuitState.Open);
      // The first ones asked Redis and gave up; once the circuit opened, none asked it at all.
      expect(reads).toHaveBeenCalled();
      expect(resolvesWhileOpen).toBeGreaterThanOrEqual(2);
      expect(readsWhileOpen).toBe(0);
      redisProxy.set('forward');
    });

    it('registry down: serves what is cached until it expires, then refuses clearly and quickly', async () => {
      const registryUrl = new URL(env.databaseUrl(env.adminDatabase));
      registryUrl.port = String(registryProxy.port);
      const { resolver } = await boot({ registry: { url: registryUrl.toString(), timeoutMs: 500 }, cache: { localTtlMs: 200 } });
      const [warm, cold] = [tenants[8], tenants[9]];
      await redis.del(tenantCacheKeys.entry('connection', cold.id));
      await resolver.resolveActive(warm.id);
      registryProxy.set('blackhole');

      await expect(resolver.resolveActive(warm.id)).resolves.toMatchObject({ tenantId: warm.id });
      await sleep(250);
      await expect(resolver.resolveActive(warm.id)).resolves.toMatchObject({ tenantId: warm.id });
      const refused = await elapsed(() => resolver.resolveActive(cold.id));
      expect(refused.error).toBeInstanceOf(DependencyUnavailable);
      // The registry never answers: a refusal at all is the registry timeout at work.
      expect((refused.error as Error).message).toContain('registry is unavailable');

      await redis.del(tenantCacheKeys.entry('connection', warm.id));
      await sleep(250);
      await expect(resolver.resolveActive(warm.id)).rejects.toBeInstanceOf(DependencyUnavailable);

      registryProxy.set('forward');
      await expect(resolver.resolveActive(cold.id)).resolves.toMatchObject({ tenantId: cold.id });
    });
  });
});
