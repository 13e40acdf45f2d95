import { startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { registerLocalServer, spawnWorker, startContinuousWriter, startControlPlane, type ControlPlane, type WorkerProcess } from '@tenantry/test-support';

const STEPS = ['prepare_target', 'replicate', 'initial_copy', 'checksum_base', 'catch_up', 'freeze', 'verify', 'switch'];

/**
 * A move's worker killed with SIGKILL right after each of its steps while a client writes every
 * 10 ms: another worker takes the move over and it ends with the tenant in one home, every
 * acknowledged write there once, and no replication left on either server.
 */
describe('a move whose worker is killed after each step', () => {
  let plane: ControlPlane;
  // Both wal_level logical, so every move is the online one; the configured server may not be (CI's is not).
  let a: ThrowawayPostgres;
  let b: ThrowawayPostgres;
  // Provisions each test's tenant, and takes over each move from the worker killed in it.
  let worker: WorkerProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([startThrowawayPostgres(), startThrowawayPostgres()]);
    plane = await startControlPlane({ worker: false, env: { SESSION_GRACE_MS: '0' } });
    worker = spawnWorker(plane.env.rawEnv);
    await registerLocalServer(plane, 'pg-a', a.port);
    await registerLocalServer(plane, 'pg-b', b.port);
    expect((await plane.admin('PUT', '/pools/pool-a', { engine: 'postgres', server: 'pg-a', maxDatabases: 10, dedicated: true })).status).toBe(200);
    expect((await plane.admin('PUT', '/pools/pool-b', { engine: 'postgres', server: 'pg-b', maxDatabases: 10, dedicated: true })).status).toBe(200);
  }, 900_000);

  afterAll(async () => {
    await worker?.stop();
    await plane?.stop();
    await Promise.all([a, b].map((server) => server?.cleanup()));
  });

  it.each(STEPS)('after %s: the move converges, nothing acknowledged lost or doubled', async (step) => {
    const code = `mvk_${step}`;
    const tenant = await plane.provision(code, 'pool-a');
    const writer = startContinuousWriter(plane.businessUrl, await plane.tenantToken(tenant.id), code);
    let operation;
    try {
      await writer.acknowledgedMore(20);
      await worker.stop();
      const doomed = spawnWorker({ ...plane.env.rawEnv, TENANTRY_FAILPOINT: `after:${step}` });
      const move = await plane.admin('POST', `/tenants/${code}/move`, { pool: 'pool-b' });
      expect(move.status).toBe(202);
      expect((await doomed.exited).signal).toBe('SIGKILL');
      worker = spawnWorker(plane.env.rawEnv);
      operation = await plane.waitForOperation(move.body.id, 600_000);
      await writer.acknowledgedMore(20);
    } finally {
      const report = await writer.stop();
      const view = await plane.admin('GET', `/tenants/${code}`);
      const home = view.body.database.port === b.port ? b.sql.bind(b) : a.sql.bind(a);
      const names = (await home<{ name: string }>('SELECT name FROM customers', [], view.body.database.name)).map((row) => row.name);
      const seen = new Map<string, number>();
      for (const name of names) seen.set(name, (seen.get(name) ?? 0) + 1);
      console.log(`${code}: ${report.acknowledged.length} acknowledged, ${report.refused.length} refused, longest refused window ${report.longestRefusedMs} ms`);
      expect(report.acknowledged.filter((key) => seen.get(key) !== 1)).toEqual([]);
      expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    }
    expect(operation).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await plane.admin('GET', `/tenants/${code}`)).body.database.port).toBe(b.port);
    // Only this file's tenant databases: other files move tenants on the same test server at the same time.
    expect(await a.sql(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tenantry_move_%' AND database LIKE $1`, [`%${plane.env.label}`])).toEqual([]);
    expect(await b.sql('SELECT subname FROM pg_subscription')).toEqual([]);
  });
});
