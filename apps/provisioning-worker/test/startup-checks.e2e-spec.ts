import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { spawnWorker } from '@tenantry/test-support';
import { spawn, spawnSync } from 'node:child_process';

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

describe('the worker refuses a restore pace it cannot keep', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('exits before it takes a job, with a line naming each setting and the fix', async () => {
    const worker = spawnWorker({ ...env.rawEnv, RESTORE_JOBS: '2', RESTORE_MAX_MB_PER_SECOND: 'slow' });
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    expect(worker.output()).toMatch(/RESTORE_MAX_MB_PER_SECOND: .*expected number/);
    const paced = spawnWorker({ ...env.rawEnv, RESTORE_JOBS: '2' });
    expect((await paced.exited).code).toBe(1);
    expect(paced.output()).toContain('RESTORE_JOBS: a paced restore runs one job; set RESTORE_MAX_MB_PER_SECOND=0 to restore with several');
  });
});
