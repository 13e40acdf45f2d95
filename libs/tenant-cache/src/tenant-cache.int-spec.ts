import { Logger } from '@nestjs/common';
import { redisOptionsFromUrl, redisSettings, type RedisConnectionOptions } from '@tenantry/common';
import { createTestEnv, startTcpProxy, waitFor, type TcpProxy, type TestEnv } from '@tenantry/common/testing';
import { CircuitState } from 'cockatiel';
import Redis, { type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { tenantCacheKeys } from './tenant-cache-keys';
import { tenantCacheOptions } from './tenant-cache-options';
import { TenantCachePublisher } from './tenant-cache.publisher';
import { TenantCacheStore, type TenantCacheStoreOptions } from './tenant-cache.store';
import { TenantInvalidationSubscriber } from './tenant-invalidation.subscriber';

describe('the tenant cache protocol, against a real Redis', () => {
  let env: TestEnv;
  let at: RedisConnectionOptions;
  let proxy: TcpProxy;
  let redis: Redis;
  let subscriber: TenantInvalidationSubscriber;
  let heard: string[];
  // What a test makes goes with it: a client left reconnecting through the proxy would outlive the file.
  const made: Array<Redis | TenantCachePublisher> = [];
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

  /** A client of the env's Redis, straight or through the proxy, configured as the control plane's and tenancy's are. */
  const client = (through: 'direct' | 'proxy', extra: RedisOptions = {}) => {
    const url = through === 'direct' ? at.url : `redis://127.0.0.1:${proxy.port}`;
    const created = new Redis(redisOptionsFromUrl(url, { keyPrefix: at.keyPrefix, maxRetriesPerRequest: 1, ...extra }));
    made.push(created);
    return created;
  };
  const publisher = (through: 'direct' | 'proxy', ttlSeconds?: number) => {
    const created = new TenantCachePublisher(client(through, { commandTimeout: 1_000 }), tenantCacheOptions(ttlSeconds));
    made.push(created);
    return created;
  };
  /** As tenancy reads it: no offline queue, so it is used once connected. */
  const store = async (through: 'direct' | 'proxy', options: Partial<TenantCacheStoreOptions> = {}) => {
    const connection = client(through, { enableOfflineQueue: false });
    await new Promise((resolve) => connection.once('ready', resolve));
    return new TenantCacheStore(connection, { ttlSeconds: 120, timeoutMs: 1_000, breakerFailures: 5, breakerOpenMs: 5_000, ...options });
  };
  const generation = (tenantId: string) => redis.get(tenantCacheKeys.generation(tenantId));

  beforeAll(async () => {
    env = createTestEnv();
    at = env.settings(redisSettings);
    proxy = await startTcpProxy(Number(new URL(at.url).port || 6379));
    redis = new Redis(at.url, { keyPrefix: at.keyPrefix });
    heard = [];
    subscriber = new TenantInvalidationSubscriber(redis);
    await subscriber.start({ invalidated: (tenantId) => heard.push(tenantId), resubscribed: () => undefined });
  });

  afterEach(() => {
    for (const thing of made.splice(0)) thing instanceof Redis ? thing.disconnect() : thing.stop();
    proxy.set('forward');
  });

  afterAll(async () => {
    subscriber?.stop();
    redis?.disconnect();
    await proxy?.close();
    await env.cleanup();
  });

  it('gives a written entry the settings lifetime; an invalidation deletes every entry, bumps the generation and reaches subscribers', async () => {
    const tenantId = randomUUID();
    const cache = await store('direct');
    const key = tenantCacheKeys.entry('connection', tenantId);
    const read = await cache.read('connection', tenantId);
    expect(read).toEqual({ value: null, generation: '0' });
    cache.write('connection', tenantId, 'route', read!.generation);
    await waitFor(async () => (await redis.get(key)) === 'route');
    expect(await redis.ttl(key)).toBeGreaterThan(100);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(120);

    for (const entry of tenantCacheKeys.entries(tenantId)) await redis.set(entry, 'cached');
    await publisher('direct').invalidate(tenantId);
    for (const entry of tenantCacheKeys.entries(tenantId)) expect(await redis.exists(entry)).toBe(0);
    expect(await generation(tenantId)).toBe('1');
    expect(await redis.ttl(tenantCacheKeys.generation(tenantId))).toBeGreaterThan(86_000);
    await waitFor(() => heard.includes(tenantId));

    // A value read under the old generation is not written back; one read under the new one is.
    // (One connection answers in order, so the read after a write sees what the write did.)
    cache.write('connection', tenantId, 'stale', read!.generation);
    expect(await cache.read('connection', tenantId)).toEqual({ value: null, generation: '1' });
    cache.write('connection', tenantId, 'fresh', '1');
    expect(await cache.read('connection', tenantId)).toEqual({ value: 'fresh', generation: '1' });
  });

  it('retries an invalidation Redis refused in the background: the caller waits for the first attempt only', async () => {
    const tenantId = randomUUID();
    const invalidator = publisher('proxy');
    proxy.set('refuse');
    await invalidator.invalidate(tenantId);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ tenant_id: tenantId }), expect.stringContaining('retrying in the background'));
    expect(await generation(tenantId)).toBeNull();
    proxy.set('forward');
    await waitFor(async () => (await generation(tenantId)) === '1' && heard.includes(tenantId));
  });

  it('a newer invalidation of the tenant takes over the older one’s retries, and stop() ends them all', async () => {
    const [twice, stopped] = [randomUUID(), randomUUID()];
    const [invalidator, stopping] = [publisher('proxy'), publisher('proxy')];
    proxy.set('refuse');
    await invalidator.invalidate(twice);
    await invalidator.invalidate(twice);
    await stopping.invalidate(stopped);
    stopping.stop();
    proxy.set('forward');
    await waitFor(async () => (await generation(twice)) === '1');
    // Both first retries were due about 1 s after their attempts; give a late one time to show.
    await sleep(2_500);
    expect(await generation(twice)).toBe('1');
    expect(await generation(stopped)).toBeNull();
  });

  it('gives up, saying so, once the entries would have expired anyway', async () => {
    const tenantId = randomUUID();
    proxy.set('refuse');
    await publisher('proxy', 1).invalidate(tenantId);
    await waitFor(() => error.mock.calls.some(([context]) => (context as { tenant_id?: string }).tenant_id === tenantId));
    expect(error).toHaveBeenCalledWith({ tenant_id: tenantId }, expect.stringContaining('gave up invalidating the tenant cache'));
    proxy.set('forward');
    await sleep(1_500);
    expect(await generation(tenantId)).toBeNull();
  });

  it('fails open: a hung Redis opens the circuit, and while its one trial call is out the others skip Redis instead of queueing', async () => {
    const tenantId = randomUUID();
    const cache = await store('proxy', { timeoutMs: 200, breakerFailures: 2, breakerOpenMs: 300 });
    proxy.set('blackhole');
    expect(await cache.read('connection', tenantId)).toBeUndefined();
    expect(await cache.read('connection', tenantId)).toBeUndefined();
    expect(cache.circuitState).toBe(CircuitState.Open);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ tenant_id: tenantId }), expect.stringContaining('tenant cache unavailable'));

    await sleep(350);
    const reads = jest.spyOn(Redis.prototype, 'mget');
    const trial = cache.read('connection', tenantId);
    expect(cache.circuitState).toBe(CircuitState.HalfOpen);
    // The trial hangs until its 200 ms timeout; a read that queued behind it would still be waiting.
    expect(await Promise.race([cache.read('connection', tenantId), sleep(100).then(() => 'waiting for the trial')])).toBeUndefined();
    cache.write('connection', tenantId, 'skipped', '0');
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await trial).toBeUndefined();
    expect(cache.circuitState).toBe(CircuitState.Open);
    reads.mockRestore();
  });
});
