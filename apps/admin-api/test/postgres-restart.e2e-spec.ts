import { surviveConnectionErrors } from '@tenantry/common';
import { Client } from 'pg';
import { spawnBuiltApp, startThrowawayPostgres, type BuiltApp, type ThrowawayPostgres } from '@tenantry/common/testing';
import { BUILT, spawnBusinessApi, spawnWorker, startControlPlane, type ControlPlane } from '@tenantry/test-support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  retryAfter: string | null;
}

/**
 * The registry and the tenant databases on a PostgreSQL server of this test's own, which it ends
 * every session of, restarts and stops, as a managed database's failover does. The worker, the
 * sample business service and a scheduled migration runner run as built processes against it.
 */
describe('a PostgreSQL restart or outage', () => {
  let server: ThrowawayPostgres;
  let plane: ControlPlane;
  let processes: Record<'worker' | 'business' | 'runner', BuiltApp>;
  let businessUrl: string;
  let steady: { id: string; code: string };
  let token: string;
  let provisioned = 0;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    plane = await startControlPlane({ worker: false, env: { DATABASE_URL: server.url } });
    const env = plane.env.rawEnv;
    processes = {
      worker: spawnWorker(env),
      business: spawnBusinessApi(env),
      // Every two seconds, so that its pools hold connections whenever the server goes away.
      runner: spawnBuiltApp(BUILT.migrationRunner, env, /scheduled: fleet run/, ['--schedule', '*/2 * * * * *']),
    };
    await Promise.all([processes.worker.ready, processes.runner.ready]);
    businessUrl = (await processes.business.ready)[1];
    steady = await provision('steady');
    token = await plane.tenantToken(steady.id);
    expect((await order(token)).status).toBe(201);
    // A server, three processes and a tenant: slow when the machine is busy.
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(processes ?? {}).map((app) => app.stop()));
    await plane?.stop();
    await server?.cleanup();
  });

  /** Onboards a tenant; its provisioning may meet the server coming back, and be retried with backoff. */
  async function provision(code: string): Promise<{ id: string; code: string }> {
    const created = await plane.admin('POST', '/tenants', { code, name: code });
    expect(created.status).toBe(202);
    expect(await plane.waitForOperation(created.body.operation.id, 120_000)).toMatchObject({ status: 'succeeded' });
    return created.body.tenant;
  }

  async function order(bearer: string): Promise<Answer> {
    const response = await fetch(`${businessUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerName: 'Ann', lines: [{ sku: 'A-1', quantity: 1, unitPriceCents: 100 }] }),
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  }

  /** Orders until one is taken; returns every answer on the way. */
  async function orderUntilTaken(timeoutMs = 60_000): Promise<Answer[]> {
    const answers: Answer[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await order(token);
      answers.push(answer);
      if (answer.status === 201) return answers;
      await sleep(200);
    }
    throw new Error(`no order taken within ${timeoutMs} ms: ${JSON.stringify(answers.slice(-5))}`);
  }

  function expectAllAlive(): void {
    for (const [name, app] of Object.entries(processes)) {
      if (app.child.exitCode !== null || app.child.signalCode !== null) {
        // Where an unhandled error is reported: its stack, not the inspected objects after it.
        const crash = /throw er;[\s\S]{0,1500}/.exec(app.output())?.[0] ?? app.output().slice(-1_500);
        throw new Error(`${name} exited (${app.child.exitCode ?? app.child.signalCode}):\n${crash}`);
      }
    }
  }

  /** Waits for a scheduled fleet run that started after `since` to succeed. */
  async function runnerSucceedsAfter(since: Date): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const runs = await plane.env.sql<{ status: string }>(
        `SELECT status FROM migration_runs WHERE started_at > $1 AND status = 'succeeded'`,
        [since],
        plane.env.adminDatabase,
      );
      if (runs.length > 0) return;
      await sleep(500);
    }
    throw new Error('no scheduled fleet run succeeded after the fault');
  }

  /** What every fault must leave: the three processes up, orders taken, answers on the way 201 or 503 with Retry-After, a new tenant provisioned. */
  async function expectRecovered(faultAt: Date): Promise<void> {
    await sleep(500);
    expectAllAlive();
    const answers = await orderUntilTaken();
    expect(answers.filter((a) => a.status !== 201 && !(a.status === 503 && a.retryAfter))).toEqual([]);
    provisioned += 1;
    await provision(`after_${provisioned}`);
    await runnerSucceedsAfter(faultAt);
    expectAllAlive();
  }

  it('every session ended by an administrator (pg_terminate_backend): the request in flight is a 503, nothing exits, work goes on', async () => {
    // An order held up by a lock on the tenant's customers table is mid-query when its session ends.
    const locker = new Client({ connectionString: `postgres://postgres@127.0.0.1:${server.port}/tenant_steady_${plane.env.label}` });
    surviveConnectionErrors(locker, 'test lock holder');
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    const inFlight = order(token);
    while ((await server.sql(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND usename = $1`, [`tenant_steady_${plane.env.label}_app`])).length === 0) {
      await sleep(50);
    }
    const at = new Date();
    expect(await server.terminateBackends()).toBeGreaterThan(0);
    expect(await inFlight).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    await locker.end();
    await expectRecovered(at);
  }, 240_000);

  it('a restart (pg_ctl restart -m fast): nothing exits, work goes on once the server is back', async () => {
    const at = new Date();
    await server.restart();
    await expectRecovered(at);
  }, 240_000);

  it('an outage: business requests answer 503 with Retry-After, never 500, and succeed once the server is back', async () => {
    const cold = await provision('cold');
    await server.stop();
    try {
      const during = [await order(token), await order(token), await order(await plane.tenantToken(cold.id))];
      expect(during).toEqual(during.map(() => ({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) })));
      const admission = await fetch(`${plane.adminUrl}/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await plane.adminToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'refused', name: 'refused' }),
      });
      expect({ status: admission.status, retryAfter: admission.headers.get('retry-after') }).toEqual({
        status: 503,
        retryAfter: expect.stringMatching(/^\d+$/),
      });
      await sleep(1_000);
      expectAllAlive();
    } finally {
      await server.start();
    }
    await expectRecovered(new Date());
  }, 240_000);
});
