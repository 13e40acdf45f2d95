import { jobIdFor, queueConnectionOptions, redisSettings, surviveConnectionErrors, TENANT_OPERATIONS_QUEUE } from '@tenantry/common';
import { operationQueueSettings } from '@tenantry/registry';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { spawnWorker, startControlPlane, type ControlPlane, type WorkerProcess } from '@tenantry/test-support';
import { workerSettings } from '../src/worker-settings';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How late this process's timers fire while it runs: on a busy machine every process's timers (the
 * workers' lock renewals and stall checks too) run late alike, so a bound on timer-driven work allows for it.
 */
function timerLag(): { worstMs(): number; stop(): void } {
  let worst = 0;
  let expected = performance.now() + 50;
  const probe = setInterval(() => {
    worst = Math.max(worst, performance.now() - expected);
    expected = performance.now() + 50;
  }, 50);
  return { worstMs: () => worst, stop: () => clearInterval(probe) };
}

describe('a second worker takes over the operation of one that died', () => {
  let plane: ControlPlane;
  let queue: Queue;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false });
    queue = new Queue(TENANT_OPERATIONS_QUEUE, { connection: queueConnectionOptions(plane.env.settings(redisSettings).url), prefix: plane.env.settings(operationQueueSettings).prefix });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    await queue?.close();
    await plane?.stop();
  });

  const attempts = async (operationId: string) =>
    (await plane.env.sql<{ attempts: number }>('SELECT attempts FROM operations WHERE id = $1', [operationId], plane.env.adminDatabase))[0].attempts;

  /**
   * Onboards `code` and holds its operation row (FOR UPDATE) so that the first worker to take the
   * job waits in it, job in hand, until `release()`. Only the row: another worker can still start.
   */
  async function onboardHeld(code: string): Promise<{ operationId: string; taken(): Promise<void>; release(): Promise<void> }> {
    const created = await plane.admin('POST', '/tenants', { code, name: code });
    expect(created.status).toBe(202);
    const operationId: string = created.body.operation.id;
    const blocker = new Client({ connectionString: plane.env.databaseUrl(plane.env.adminDatabase) });
    surviveConnectionErrors(blocker, 'test blocker');
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM operations WHERE id = $1 FOR UPDATE', [operationId]);
    return {
      operationId,
      async taken() {
        const waiting = `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE "operations"%' AND datname = $1`;
        while ((await plane.env.sql(waiting, [plane.env.adminDatabase])).length === 0) await sleep(20);
      },
      async release() {
        await blocker.query('COMMIT');
        await blocker.end();
      },
    };
  }

  it('with the default lock and stall settings, within their sum, and never two workers on the saga', async () => {
    // The settings every worker runs with unless told otherwise: the bound comes from them, not from a guess.
    const { lockDurationMs, stalledIntervalMs } = plane.env.settings(workerSettings).worker;
    const settings = { QUEUE_LOCK_DURATION_MS: String(lockDurationMs), QUEUE_STALLED_INTERVAL_MS: String(stalledIntervalMs) };
    // The dead worker's job lock expires at most a lock duration after its death, and the next stall
    // check moves the job back within one interval more; one interval again is the survivor's slack.
    const bound = lockDurationMs + 2 * stalledIntervalMs;
    expect(bound).toBeLessThanOrEqual(15_000);

    const lag = timerLag();
    const held = await onboardHeld('taken_over');
    const { operationId } = held;
    const doomed = spawnWorker({ ...plane.env.rawEnv, ...settings, TENANTRY_FAILPOINT: 'after:place' });
    workers.push(doomed);
    await held.taken();
    const survivor = spawnWorker({ ...plane.env.rawEnv, ...settings });
    workers.push(survivor);
    await survivor.ready;

    await held.release();
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const diedAt = performance.now();
    while ((await attempts(operationId)) < 2) await sleep(50);
    const takenOverAfter = performance.now() - diedAt;
    lag.stop();
    process.stdout.write(
      `operation taken over ${takenOverAfter.toFixed(0)} ms after its worker died (bound ${bound} ms, timers up to ${lag.worstMs().toFixed(0)} ms late meanwhile)\n`,
    );
    expect(takenOverAfter).toBeLessThanOrEqual(bound + lag.worstMs());

    const operation = await plane.waitForOperation(operationId, 120_000);
    expect(operation).toMatchObject({ status: 'succeeded', attempts: 2, lastError: null });
    expect(operation.steps.filter((s: { step: string }) => s.step === 'place')).toHaveLength(1);
    const database = `tenant_taken_over_${plane.env.label}`;
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database])).toHaveLength(1);
    expect(await plane.env.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${database}_app`])).toHaveLength(1);
    expect((await plane.admin('GET', '/tenants/taken_over')).body.status).toBe('active');
  }, 240_000);

  it('a job held up for twice its lock duration keeps the lock: no other worker takes the operation meanwhile', async () => {
    // The defaults: a worker renews its locks every half lock duration, so a worker late by less than that keeps them.
    const { lockDurationMs, stalledIntervalMs } = plane.env.settings(workerSettings).worker;
    const settings = { QUEUE_LOCK_DURATION_MS: String(lockDurationMs), QUEUE_STALLED_INTERVAL_MS: String(stalledIntervalMs) };
    const held = await onboardHeld('long_step');
    const { operationId } = held;
    const first = spawnWorker({ ...plane.env.rawEnv, ...settings });
    workers.push(first);
    await held.taken();
    const second = spawnWorker({ ...plane.env.rawEnv, ...settings });
    workers.push(second);
    await second.ready;
    await sleep(2 * lockDurationMs);
    await held.release();

    const operation = await plane.waitForOperation(operationId, 120_000);
    expect(operation).toMatchObject({ status: 'succeeded', attempts: 1 });
    const job = await queue.getJob(jobIdFor(operationId));
    expect({ state: await job?.getState(), stalled: job?.stalledCounter }).toEqual({ state: 'completed', stalled: 0 });
  }, 240_000);
});
