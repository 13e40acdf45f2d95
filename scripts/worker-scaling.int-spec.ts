import { queueConnectionOptions, TENANT_OPERATIONS_QUEUE, type TenantOperationJob } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { operationQueueSettings } from '@tenantry/registry';
import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backlogKeys } from './testing/bicep';

const main = readFileSync(join(__dirname, '..', 'infra', 'main.bicep'), 'utf8');
const PER_REPLICA = 4;

/**
 * What KEDA's redis scaler reads for one rule: TYPE, then LLEN for a list (or a missing key), ZCARD
 * for a sorted set (kedacore/keda pkg/scalers/redis_scaler.go, getRedisListLength, since v2.0).
 */
async function scalerLength(redis: Redis, key: string): Promise<number> {
  const type = await redis.type(key);
  if (type === 'list' || type === 'none') return redis.llen(key);
  if (type === 'zset') return redis.zcard(key);
  throw new Error(`${key} is a ${type}, which the scaler does not count as BullMQ stores it`);
}

describe("the worker's KEDA rules against a real BullMQ queue (real Redis)", () => {
  let env: TestEnv;
  let queue: Queue<TenantOperationJob>;
  let worker: Worker<TenantOperationJob>;
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    env = createTestEnv();
    const settings = env.settings(operationQueueSettings);
    prefix = settings.prefix;
    const connection = queueConnectionOptions(settings.redisUrl);
    queue = new Queue(TENANT_OPERATIONS_QUEUE, { connection, prefix });
    // No processor: jobs are taken by hand, as a busy worker holds them.
    worker = new Worker(TENANT_OPERATIONS_QUEUE, null, { connection, prefix });
    redis = env.redis();
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await env?.cleanup();
  });

  /** Per rule, as main.bicep writes them: the entries its key holds. */
  async function ruleLengths(): Promise<Record<string, number>> {
    const lengths: Record<string, number> = {};
    for (const key of backlogKeys(main)) lengths[key] = await scalerLength(redis, `${prefix}:${TENANT_OPERATIONS_QUEUE}:${key}`);
    return lengths;
  }

  /** Several rules: the replica count is the largest any of them asks for. */
  const replicas = (lengths: Record<string, number>) => Math.max(0, ...Object.values(lengths).map((length) => Math.ceil(length / PER_REPLICA)));

  it('asks for a replica while only a retry waits out its backoff, or only a prioritized job waits', async () => {
    expect(replicas(await ruleLengths())).toBe(0);

    // As the admin API enqueues: attempts with a backoff, so a failed attempt becomes a delayed job.
    await queue.add('provision', { operationId: 'op-retry', tenantId: 't-1' }, { attempts: 5, backoff: { type: 'fixed', delay: 60_000 } });
    const token = 'scaling-test';
    const taken = await worker.getNextJob(token);
    await taken?.moveToFailed(new Error('transient'), token);
    expect(await taken?.getState()).toBe('delayed');
    expect(await ruleLengths()).toMatchObject({ delayed: 1 });
    expect(replicas(await ruleLengths())).toBe(1);
    await taken?.remove();

    await queue.add('suspend', { operationId: 'op-urgent', tenantId: 't-2' }, { priority: 1 });
    expect(await ruleLengths()).toEqual({ wait: 0, prioritized: 1, delayed: 0, active: 0 });
    expect(replicas(await ruleLengths())).toBe(1);
  });

  it('sees every job of the backlog in exactly one watched key: waiting, prioritized, delayed and running alike', async () => {
    await queue.add('resume', { operationId: 'op-plain', tenantId: 't-3' });
    const running = await worker.getNextJob('scaling-test-2');
    expect(await running?.getState()).toBe('active');
    await queue.add('resume', { operationId: 'op-plain-2', tenantId: 't-4' });
    await queue.add('resume', { operationId: 'op-later', tenantId: 't-5' }, { delay: 60_000 });

    const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const lengths = await ruleLengths();
    expect(Object.values(lengths).reduce((sum, length) => sum + length, 0)).toBe(total);
    expect(lengths).toEqual({ wait: counts.wait, prioritized: counts.prioritized, delayed: counts.delayed, active: counts.active });
    expect(Object.values(lengths).every((length) => length > 0)).toBe(true);
  });
});
