import type { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { testRedisUrl } from '@tenantry/common/testing';
import { startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { createWorker } from '../src/create-worker';
import { workerSettings } from '../src/worker-settings';

// Redis database 7 (of the test server) belongs to this file alone, so emptying it cannot disturb the files running beside it.
const REDIS_URL = testRedisUrl(7);

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

describe('the admin DB, not Redis, is the source of truth; concurrency never provisions twice', () => {
  let plane: ControlPlane;
  let secondWorker: INestApplicationContext;

  beforeAll(async () => {
    plane = await startControlPlane({
      env: { REDIS_URL, RECONCILE_INTERVAL_MS: '300', RECONCILE_AFTER_MS: '500', WORKER_CONCURRENCY: '4' },
    });
    secondWorker = await createWorker(plane.env.settings(workerSettings));
  });

  afterAll(async () => {
    await secondWorker?.close();
    await plane?.stop();
  });

  it('every tenant still ends active after Redis loses everything (FLUSHALL of its database) with operations in flight', async () => {
    const codes = Array.from({ length: 12 }, (_, i) => `flushed_${i}`);
    const created = await Promise.all(codes.map((code) => plane.admin('POST', '/tenants', { code, name: code })));
    expect(created.every((response) => response.status === 202)).toBe(true);
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();

    const operations = await Promise.all(created.map((response) => plane.waitForOperation(response.body.operation.id)));
    expect(operations.map((operation) => operation.status)).toEqual(codes.map(() => 'succeeded'));
    const listed = await plane.admin('GET', '/tenants?status=active&pageSize=100');
    expect(listed.body.items.map((t: { code: string }) => t.code)).toEqual(expect.arrayContaining(codes));
  });

  it('two workers and 50 tenants: each provisioned exactly once', async () => {
    const codes = Array.from({ length: 50 }, (_, i) => `pair_${i}`);
    const created = await inBatches(codes, 10, (code) => plane.admin('POST', '/tenants', { code, name: code }));
    const operations = await Promise.all(created.map((response) => plane.waitForOperation(response.body.operation.id, 240_000)));
    for (const operation of operations) {
      expect(operation.status).toBe('succeeded');
      expect(operation.attempts).toBe(1);
      const steps = operation.steps.map((s: { step: string }) => s.step);
      expect(new Set(steps).size).toBe(steps.length);
    }
    const databases = await plane.env.sql('SELECT datname FROM pg_database WHERE datname LIKE $1', [`tenant\\_pair\\_%\\_${plane.env.label}`]);
    expect(databases).toHaveLength(50);
    const logins = await plane.env.sql('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`tenant\\_pair\\_%\\_${plane.env.label}\\_app`]);
    expect(logins).toHaveLength(50);
  });

  it('two POST /tenants with one code at the same moment: one 202, one 409', async () => {
    const answers = await Promise.all([
      plane.admin('POST', '/tenants', { code: 'samecode', name: 'first' }),
      plane.admin('POST', '/tenants', { code: 'samecode', name: 'second' }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    const registered = await plane.env.sql(`SELECT count(*)::int AS n FROM tenants WHERE code = 'samecode'`, [], plane.env.adminDatabase);
    expect(registered[0].n).toBe(1);
  });
});
