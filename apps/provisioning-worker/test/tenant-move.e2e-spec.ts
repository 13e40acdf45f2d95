import { freePort, startThrowawayPostgres, waitFor, type ThrowawayPostgres } from '@tenantry/common/testing';
import {
  errorLines,
  registerLocalServer,
  spawnWorker,
  startContinuousWriter,
  startControlPlane,
  type ControlPlane,
  type WorkerProcess,
  type WriterReport,
} from '@tenantry/test-support';

/**
 * Tenants moved between PostgreSQL servers while a client writes through the sample API every
 * 10 ms: the configured server (wal_level logical), a second throwaway one (logical: online moves)
 * and a third at wal_level replica (a tenant there moves offline). Nothing here bounds how long a
 * move or its freeze takes (a loaded machine stretches both): the test checks what was kept, and
 * prints the client's longest refused window.
 */
describe('moving a live tenant to another pool', () => {
  let plane: ControlPlane;
  // a and b: wal_level logical (online moves between them); the configured server may not be (CI's is not).
  let a: ThrowawayPostgres;
  let b: ThrowawayPostgres;
  let c: ThrowawayPostgres;
  let worker: WorkerProcess;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startThrowawayPostgres(), startThrowawayPostgres(), startThrowawayPostgres({ walLevel: 'replica' })]);
    plane = await startControlPlane({
      worker: false,
      env: { SESSION_GRACE_MS: '0', OPERATION_MAX_ATTEMPTS: '3', RETIRED_DATABASE_RETENTION_MS: '20000', RETIRED_DATABASE_SWEEP_INTERVAL_MS: '500' },
    });
    worker = spawnWorker(plane.env.rawEnv);
    await registerLocalServer(plane, 'pg-a', a.port);
    await registerLocalServer(plane, 'pg-b', b.port);
    await registerLocalServer(plane, 'pg-c', c.port);
    // Small or dedicated, so automatic placement keeps provisioning on the configured server's pool.
    const pools: Array<[string, string, number, boolean]> = [
      ['pool-a', 'pg-a', 5, true],
      ['pool-b', 'pg-b', 5, false],
      ['ded-b', 'pg-b', 1, true],
      ['tiny-b', 'pg-b', 1, true],
      ['pool-c', 'pg-c', 5, true],
    ];
    for (const [name, server, maxDatabases, dedicated] of pools) {
      expect((await plane.admin('PUT', `/pools/${name}`, { engine: 'postgres', server, maxDatabases, dedicated })).status).toBe(200);
    }
    // Three servers and a control plane: a hang guard sized for a loaded machine.
  }, 900_000);

  afterAll(async () => {
    await worker?.stop();
    await plane?.stop();
    await Promise.all([a, b, c].map((server) => server?.cleanup()));
  });

  const database = (code: string) => `tenant_${code}_${plane.env.label}`;
  const slots = async (pool: string) =>
    (await plane.env.sql<{ used: number }>('SELECT used_slots AS used FROM database_pools WHERE name = $1', [pool], plane.env.adminDatabase))[0].used;
  // Only this file's tenant databases: other files move tenants on the same test server at the same time.
  const moveSlots = (server: { sql: ThrowawayPostgres['sql'] }) =>
    server.sql(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tenantry_move_%' AND database LIKE $1`, [`%${plane.env.label}`]);
  const order = async (tenantId: string) =>
    plane.business('POST', '/orders', await plane.tenantToken(tenantId), { customerName: `probe-${Date.now()}`, lines: [{ sku: 'P', quantity: 1, unitPriceCents: 1 }] });

  /** Every acknowledged write is in `rows` once, no key twice, and every refusal was a 503 saying when to retry. */
  function expectNothingLostOrDoubled(report: WriterReport, keys: string[]) {
    const seen = new Map<string, number>();
    for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
    expect(report.acknowledged.filter((key) => seen.get(key) !== 1)).toEqual([]);
    expect([...seen.entries()].filter(([, n]) => n > 1)).toEqual([]);
    const wrong = report.refused.filter((write) => write.status !== 503 || write.retryAfter === null);
    if (wrong.length > 0) console.log(`refusals other than a 503; the business service's errors:\n${errorLines(plane.businessLog())}`);
    expect(wrong).toEqual([]);
  }

  async function moveUnderWrites(code: string, tenantId: string, pool: string) {
    const writer = startContinuousWriter(plane.businessUrl, await plane.tenantToken(tenantId), code);
    try {
      await writer.acknowledgedMore(30);
      const move = await plane.admin('POST', `/tenants/${code}/move`, { pool });
      expect(move.status).toBe(202);
      const operation = await plane.waitForOperation(move.body.id, 600_000);
      await writer.acknowledgedMore(30);
      return { operation, report: await writer.stop() };
    } finally {
      await writer.stop();
    }
  }

  it('moves a tenant written to every 10 ms to another server: no acknowledged write lost or doubled, its old database kept, then dropped', async () => {
    const tenant = await plane.provision('mv_live', 'pool-a');
    const before = { home: await slots('pool-a'), target: await slots('pool-b') };
    const { operation, report } = await moveUnderWrites('mv_live', tenant.id, 'pool-b');
    expect(operation).toMatchObject({ status: 'succeeded', kind: 'move' });
    expect(operation.steps.map((s: { step: string }) => s.step)).toEqual([
      'prepare_target',
      'replicate',
      'initial_copy',
      'checksum_base',
      'catch_up',
      'freeze',
      'verify',
      'switch',
    ]);
    expect(operation.steps.find((s: { step: string }) => s.step === 'prepare_target').detail).toContain('online');
    // The freeze read only what was written since the bases, on both sides.
    expect(operation.steps.find((s: { step: string }) => s.step === 'verify').detail).toContain('source by ledger, target by ledger');
    console.log(
      `mv_live: ${report.acknowledged.length} writes acknowledged, ${report.refused.length} refused (503), longest refused window ${report.longestRefusedMs} ms; verify: ${operation.steps.find((s: { step: string }) => s.step === 'verify').detail}`,
    );

    const view = await plane.admin('GET', '/tenants/mv_live');
    expect(view.body.database).toMatchObject({ port: b.port, name: database('mv_live'), status: 'present' });
    const rows = await b.sql<{ name: string }>('SELECT name FROM customers', [], database('mv_live'));
    expectNothingLostOrDoubled(
      report,
      rows.map((row) => row.name),
    );
    // The order number's sequence came along: numbers handed out after the switch did not start over.
    const [numbers] = await b.sql<{ orders: number; distinct: number }>(
      'SELECT count(*)::int AS orders, count(DISTINCT number)::int AS distinct FROM orders',
      [],
      database('mv_live'),
    );
    expect(numbers.distinct).toBe(numbers.orders);
    expect(await slots('pool-a')).toBe(before.home - 1);
    expect(await slots('pool-b')).toBe(before.target + 1);

    // No replication left behind on either side.
    expect(await moveSlots(a)).toEqual([]);
    expect(await b.sql('SELECT subname FROM pg_subscription')).toEqual([]);
    expect(await a.sql('SELECT pubname FROM pg_publication', [], database('mv_live'))).toEqual([]);
    // Nor the ledger in the new home, nor in the retired source.
    for (const server of [a, b]) {
      expect(await server.sql(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tenantry_move%'`, [], database('mv_live'))).toEqual([]);
      expect(await server.sql(`SELECT nspname FROM pg_namespace WHERE nspname = 'tenantry_move'`, [], database('mv_live'))).toEqual([]);
    }

    // Reads and writes go to the new home; a cancel now is too late.
    expect((await order(tenant.id)).status).toBe(201);
    expect((await plane.business('GET', '/orders', await plane.tenantToken(tenant.id))).status).toBe(200);
    expect((await plane.admin('POST', `/operations/${operation.id}/cancel`)).status).toBe(409);

    // The old database is kept (read-only) for the retention, then dropped by the worker.
    expect(await a.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database('mv_live')])).toHaveLength(1);
    await waitFor(async () => (await a.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database('mv_live')])).length === 0, 180_000);
    expect(await b.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database('mv_live')])).toHaveLength(1);
  });

  it('moves a tenant offline (dump and restore while frozen) from a server whose wal_level is not logical', async () => {
    const created = await plane.admin('POST', '/tenants', { code: 'mv_offline', name: 'offline', pool: 'pool-c' });
    expect(created.status).toBe(202);
    expect((await plane.waitForOperation(created.body.operation.id)).status).toBe('succeeded');
    const { operation, report } = await moveUnderWrites('mv_offline', created.body.tenant.id, 'pool-b');
    expect(operation.status).toBe('succeeded');
    expect(operation.steps.find((s: { step: string }) => s.step === 'prepare_target').detail).toContain('offline');
    console.log(`mv_offline: ${report.acknowledged.length} acknowledged, ${report.refused.length} refused, longest refused window ${report.longestRefusedMs} ms`);
    const rows = await b.sql<{ name: string }>('SELECT name FROM customers', [], database('mv_offline'));
    expectNothingLostOrDoubled(
      report,
      rows.map((row) => row.name),
    );
  });

  it('upgrades a shared tenant to a dedicated pool', async () => {
    const tenant = await plane.provision('mv_upgrade');
    const { operation, report } = await moveUnderWrites('mv_upgrade', tenant.id, 'ded-b');
    expect(operation.status).toBe('succeeded');
    expect(await slots('ded-b')).toBe(1);
    const [placed] = await plane.env.sql<{ pool: string }>(
      'SELECT p.name AS pool FROM tenant_databases d JOIN database_pools p ON p.id = d.pool_id WHERE d.tenant_id = $1',
      [tenant.id],
      plane.env.adminDatabase,
    );
    expect(placed.pool).toBe('ded-b');
    const rows = await b.sql<{ name: string }>('SELECT name FROM customers', [], database('mv_upgrade'));
    expectNothingLostOrDoubled(
      report,
      rows.map((row) => row.name),
    );
  });

  it('refuses with a reason: an unknown pool, the pool it is in, a full pool, a tenant not active, a second move', async () => {
    const tenant = await plane.provision('mv_refused');
    const unknown = await plane.admin('POST', '/tenants/mv_refused/move', { pool: 'nowhere' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('not registered');
    const same = await plane.admin('POST', '/tenants/mv_refused/move', { pool: `pool-${plane.env.label}` });
    expect(same.status).toBe(400);
    expect(same.body.message).toContain('already in pool');
    const badBody = await plane.admin('POST', '/tenants/mv_refused/move', {});
    expect(badBody.status).toBe(400);
    expect((await plane.admin('POST', '/tenants/nobody_here/move', { pool: 'pool-b' })).status).toBe(404);

    // tiny-b holds one database: once a tenant is there, a move into it is refused with nothing started.
    const filler = await plane.admin('POST', '/tenants', { code: 'mv_filler', name: 'filler', pool: 'tiny-b' });
    expect((await plane.waitForOperation(filler.body.operation.id)).status).toBe('succeeded');
    const full = await plane.admin('POST', '/tenants/mv_refused/move', { pool: 'tiny-b' });
    expect(full.status).toBe(422);
    expect(full.body.message).toContain('full');
    expect((await order(tenant.id)).status).toBe(201);

    const first = await plane.admin('POST', '/tenants/mv_refused/move', { pool: 'pool-b' });
    expect(first.status).toBe(202);
    const second = await plane.admin('POST', '/tenants/mv_refused/move', { pool: 'pool-c' });
    expect(second.status).toBe(409);
    expect((await plane.waitForOperation(first.body.id, 600_000)).status).toBe('succeeded');

    expect((await plane.admin('POST', '/tenants/mv_refused/suspend')).status).toBe(202);
    const suspended = await plane.admin('POST', '/tenants/mv_refused/move', { pool: 'pool-c' });
    expect(suspended.status).toBe(409);
    expect(suspended.body.message).toContain('suspended');
  });

  it('cancelled before its switch, rolls back: replication and the target database gone, the tenant writing to its source', async () => {
    const tenant = await plane.provision('mv_cancel', 'pool-a');
    const targetSlots = await slots('pool-b');
    // The move stops where a worker killed after the checksum bases left it (replicating, the ledger in the source); the cancel comes then.
    await worker.stop();
    const doomed = spawnWorker({ ...plane.env.rawEnv, TENANTRY_FAILPOINT: 'after:checksum_base' });
    const move = await plane.admin('POST', '/tenants/mv_cancel/move', { pool: 'pool-b' });
    expect(move.status).toBe(202);
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect(await moveSlots(a)).toHaveLength(1);
    const cancel = await plane.admin('POST', `/operations/${move.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    worker = spawnWorker(plane.env.rawEnv);
    const operation = await plane.waitForOperation(move.body.id, 600_000);
    expect(operation).toMatchObject({ status: 'failed', lastError: 'cancelled on request' });

    expect((await plane.admin('GET', '/tenants/mv_cancel')).body.database.port).toBe(a.port);
    expect(await moveSlots(a)).toEqual([]);
    expect(await b.sql('SELECT subname FROM pg_subscription')).toEqual([]);
    expect(await b.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database('mv_cancel')])).toEqual([]);
    expect(await a.sql(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tenantry_move%'`, [], database('mv_cancel'))).toEqual([]);
    expect(await slots('pool-b')).toBe(targetSlots);
    expect((await order(tenant.id)).status).toBe(201);
  });

  it('a target server that cannot be reached fails the move and leaves the tenant serving from its source', async () => {
    const tenant = await plane.provision('mv_unreachable');
    const port = await freePort();
    await registerLocalServer(plane, 'pg-gone', port, 5);
    expect((await plane.admin('PUT', '/pools/pool-gone', { engine: 'postgres', server: 'pg-gone', maxDatabases: 5, dedicated: true })).status).toBe(200);
    const writer = startContinuousWriter(plane.businessUrl, await plane.tenantToken(tenant.id), 'mv_unreachable');
    let report: WriterReport;
    try {
      const move = await plane.admin('POST', '/tenants/mv_unreachable/move', { pool: 'pool-gone' });
      expect(move.status).toBe(202);
      const operation = await plane.waitForOperation(move.body.id, 600_000);
      expect(operation).toMatchObject({ status: 'failed', step: 'prepare_target' });
      await writer.acknowledgedMore(20);
    } finally {
      report = await writer.stop();
    }
    // Never frozen: no write was refused.
    expect(report.refused).toEqual([]);
    expect((await plane.admin('GET', '/tenants/mv_unreachable')).body).toMatchObject({
      status: 'active',
      database: { port: Number(new URL(plane.env.databaseUrl('postgres')).port) },
    });
    expect(await slots('pool-gone')).toBe(0);
    expect(await moveSlots(plane.env)).toEqual([]);
  });
});
