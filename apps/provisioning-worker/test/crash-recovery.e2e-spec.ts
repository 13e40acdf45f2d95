import { Client } from 'pg';
import { spawnWorker, startControlPlane, type ControlPlane } from '@tenantry/test-support';

const STEPS = [
  'place',
  'create_database',
  'create_login',
  'apply_schema',
  'prepare_credentials',
  'set_login_password',
  'store_credentials',
  'activate',
  'invalidate_cache',
];

describe('a worker killed with SIGKILL right after each saga step', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it.each(STEPS)('after %s: a restarted worker ends with one database, one login, an active tenant', async (step) => {
    const code = `crash_${step}`;
    const created = await plane.admin('POST', '/tenants', { code, name: code });
    expect(created.status).toBe(202);

    const doomed = spawnWorker({ ...plane.env.rawEnv, TENANTRY_FAILPOINT: `after:${step}` });
    const death = await doomed.exited;
    expect(death.signal).toBe('SIGKILL');
    const halfway = await plane.admin('GET', `/operations/${created.body.operation.id}`);
    expect(halfway.body.status).toBe('running');
    expect(halfway.body.steps.map((s: { step: string }) => s.step)).toContain(step);

    const survivor = spawnWorker(plane.env.rawEnv);
    try {
      const operation = await plane.waitForOperation(created.body.operation.id);
      expect(operation.status).toBe('succeeded');
      expect(operation.steps.map((s: { step: string }) => s.step)).toEqual(STEPS);
      expect(operation.attempts).toBe(2);
    } finally {
      await survivor.stop();
    }

    const database = `tenant_${code}_${plane.env.label}`;
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database])).toHaveLength(1);
    expect(await plane.env.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${database}_app`])).toHaveLength(1);
    const tenant = await plane.admin('GET', `/tenants/${code}`);
    expect(tenant.body.status).toBe('active');
    const orders = await plane.business('GET', '/orders', await plane.tenantToken(tenant.body.id));
    expect(orders.status).toBe(200);
  });

  it('finishes the job in hand on SIGTERM before exiting', async () => {
    const worker = spawnWorker(plane.env.rawEnv);
    await worker.ready;
    // Hold the placement step (its insert into tenant_databases waits; reads do not) so SIGTERM arrives mid-job.
    const blocker = new Client({ connectionString: plane.env.databaseUrl(plane.env.adminDatabase) });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE tenant_databases IN EXCLUSIVE MODE');
    const created = await plane.admin('POST', '/tenants', { code: 'graceful', name: 'graceful' });
    const deadline = Date.now() + 60_000;
    while ((await plane.admin('GET', `/operations/${created.body.operation.id}`)).body.step !== 'place') {
      if (Date.now() > deadline) throw new Error('the worker never started the job');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await plane.admin('GET', `/operations/${created.body.operation.id}`)).body.status).toBe('running');
    await blocker.query('COMMIT');
    await blocker.end();
    // Nest re-raises the signal once its shutdown hooks ran, so the process ends by SIGTERM after draining.
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGTERM' });
    // No other worker runs: the operation finished because the stopping worker drained it.
    const operation = await plane.admin('GET', `/operations/${created.body.operation.id}`);
    expect(operation.body.status).toBe('succeeded');
  });
});
