import { surviveConnectionErrors } from '@tenantry/common';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { Client } from 'pg';
import { spawnWorker, startControlPlane, type ControlPlane, type WorkerProcess } from '@tenantry/test-support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A worker killed inside create_database, after its CREATE DATABASE and before it marked the
 * database as the tenant's: the unmarked database it leaves must not read as a stranger's to the
 * worker that resumes. On a server of the test's own, since the test holds a shared catalog locked.
 */
describe('a worker killed between creating a tenant database and marking it', () => {
  let server: ThrowawayPostgres;
  let plane: ControlPlane;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    plane = await startControlPlane({ worker: false, env: { DATABASE_URL: server.url } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await plane?.stop();
    await server?.cleanup();
  });

  it('a worker that resumes ends with one marked database, one login, an active tenant', async () => {
    // Comments are rows of pg_shdescription: with it locked, the worker stops right before marking.
    const blocker = new Client({ connectionString: server.url });
    surviveConnectionErrors(blocker, 'test blocker');
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE pg_shdescription IN EXCLUSIVE MODE');

    const doomed = spawnWorker(plane.env.rawEnv);
    workers.push(doomed);
    const created = await plane.admin('POST', '/tenants', { code: 'half_made', name: 'half made' });
    expect(created.status).toBe(202);
    const marking = `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COMMENT ON DATABASE%'`;
    while ((await server.sql(marking)).length === 0) await sleep(20);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // The statement it had sent would still run once the lock is free: the kill is before it was sent.
    await server.sql(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE query LIKE 'COMMENT ON DATABASE%' AND pid <> pg_backend_pid()`);
    await blocker.query('COMMIT');
    await blocker.end();
    const [unmarked] = await server.sql<{ datname: string; marker: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname LIKE 'tenantry\\_n\\_half\\_made%'`,
    );
    expect(unmarked).toEqual({ datname: `tenantry_n_half_made_${plane.env.label}`, marker: null });

    const survivor = spawnWorker(plane.env.rawEnv);
    workers.push(survivor);
    const operation = await plane.waitForOperation(created.body.operation.id, 180_000);
    expect(operation).toMatchObject({ status: 'succeeded', lastError: null });

    const tenant = await plane.admin('GET', '/tenants/half_made');
    expect(tenant.body.status).toBe('active');
    const databases = await server.sql<{ datname: string; marker: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname LIKE '%half\\_made%'`,
    );
    expect(databases).toEqual([{ datname: `tenant_half_made_${plane.env.label}`, marker: `tenantry:tenant=${tenant.body.id}` }]);
    expect(await server.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [`tenant_half_made_${plane.env.label}_app`])).toHaveLength(1);
    expect((await plane.business('GET', '/orders', await plane.tenantToken(tenant.body.id))).status).toBe(200);
  }, 300_000);
});
