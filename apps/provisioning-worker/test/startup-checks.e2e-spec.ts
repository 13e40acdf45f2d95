import { spawn, spawnSync } from 'node:child_process';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { spawnWorker } from '@tenantry/test-support';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe('the worker refuses a Redis that may evict queue keys', () => {
  let env: TestEnv;
  let redis: ReturnType<typeof spawn> | undefined;
  const port = 16_379 + (process.pid % 1000);

  beforeAll(async () => {
    env = createTestEnv();
    if (!hasRedisServer) return;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], {
      stdio: 'ignore',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  afterAll(async () => {
    redis?.kill('SIGTERM');
    await env?.cleanup();
  });

  it('exits with a message naming the policy and the fix', async () => {
    if (!hasRedisServer) {
      console.warn('skipped: no redis-server binary on this machine to run an evicting Redis with');
      return;
    }
    const worker = spawnWorker({ ...env.rawEnv, REDIS_URL: `redis://127.0.0.1:${port}` });
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    expect(worker.output()).toContain('Redis maxmemory-policy is "allkeys-lru"; BullMQ needs "noeviction"');
  });
});
