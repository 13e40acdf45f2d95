import { spawnWorker, startControlPlane, type ControlPlane, type WorkerProcess } from '@tenantry/test-support';

interface Restore {
  id: string;
  status: string;
  database: { name: string };
}

describe('backups, side-by-side restore and swap, and undelete (issue 17)', () => {
  let plane: ControlPlane;
  let worker: WorkerProcess;

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false });
    worker = spawnWorker(plane.env.rawEnv);
    await worker.ready;
  });

  afterAll(async () => {
    await worker?.stop();
    // The restored databases are named tenantry_r_<id>_<label>_<code>, and the backups are in its BACKUP_DIR: the environment's cleanup removes both.
    await plane?.stop();
  });

  const databaseOf = async (code: string): Promise<string> => (await plane.admin('GET', `/tenants/${code}`)).body.database.name;
  const done = async (answer: { status: number; body: { id?: string; operation?: { id: string } } }) => {
    expect(answer.status).toBe(202);
    const operation = await plane.waitForOperation(answer.body.operation?.id ?? answer.body.id!);
    expect({ status: operation.status, lastError: operation.lastError }).toEqual({ status: 'succeeded', lastError: null });
    return operation;
  };
  const order = (token: string, sku: string) => plane.business('POST', '/orders', token, { lines: [{ sku, quantity: 1, unitPriceCents: 100 }] });
  const skus = async (token: string): Promise<string[]> => {
    const listed = await plane.business('GET', '/orders?limit=100', token);
    expect(listed.status).toBe(200);
    return listed.body.flatMap((o: { lines: Array<{ sku: string }> }) => o.lines.map((line) => line.sku)).sort();
  };
  const backUp = async (code: string): Promise<string> => {
    await done(await plane.admin('POST', `/tenants/${code}/backups`));
    const listed = await plane.admin('GET', `/tenants/${code}/backups`);
    expect(listed.body.mode).toBe('dump');
    expect(listed.body.items[0]).toMatchObject({ status: 'succeeded', engine: 'postgres' });
    expect(listed.body.items[0].sizeBytes).toBeGreaterThan(0);
    return listed.body.items[0].id;
  };

  it("brings back a tenant's rows deleted by mistake, side by side first, then swapped in; its neighbour sees nothing", async () => {
    const keeper = await plane.provision('keeper');
    const neighbour = await plane.provision('neighbour');
    const keeperToken = await plane.tenantToken(keeper.id);
    const neighbourToken = await plane.tenantToken(neighbour.id);
    expect((await order(keeperToken, 'KEEP-1')).status).toBe(201);
    expect((await order(keeperToken, 'KEEP-2')).status).toBe(201);
    expect((await order(neighbourToken, 'NEXT-1')).status).toBe(201);
    const backupId = await backUp('keeper');

    // The mistake: every order gone, and one made since.
    const original = await databaseOf('keeper');
    await plane.env.sql('DELETE FROM order_lines', [], original);
    await plane.env.sql('DELETE FROM orders', [], original);
    expect((await order(keeperToken, 'AFTER-1')).status).toBe(201);

    // The neighbour is asked all along; every answer must be its own rows, unchanged.
    const neighbourAnswers: string[][] = [];
    let asking = true;
    const askNeighbour = (async () => {
      while (asking) neighbourAnswers.push(await skus(neighbourToken));
    })();

    try {
      const requested = await plane.admin('POST', '/tenants/keeper/restore', { backupId });
      const restoreOp = await done(requested);
      const restored: Restore = requested.body.restore;
      expect(restored.database.name).toMatch(new RegExp(`^tenantry_r_[0-9a-f]{8}_${plane.env.label}_keeper$`));
      expect(restoreOp.steps.find((s: { step: string }) => s.step === 'mark_ready').detail).toContain(restored.database.name);

      // Side by side: the operator inspects the restored database; the tenant is still served from its own.
      const listed = await plane.admin('GET', '/tenants/keeper/restores');
      expect(listed.body.items[0]).toMatchObject({ id: restored.id, status: 'ready', database: { name: restored.database.name, engine: 'postgres' } });
      const inspected = await plane.env.sql<{ sku: string }>('SELECT sku FROM order_lines ORDER BY sku', [], restored.database.name);
      expect(inspected.map((row) => row.sku)).toEqual(['KEEP-1', 'KEEP-2']);
      expect(await skus(keeperToken)).toEqual(['AFTER-1']);
      expect(await databaseOf('keeper')).toBe(original);

      await done(await plane.admin('POST', `/tenants/keeper/restore/${restored.id}/swap`));
      expect(await databaseOf('keeper')).toBe(restored.database.name);
      expect(await skus(keeperToken)).toEqual(['KEEP-1', 'KEEP-2']);
      expect((await order(keeperToken, 'KEEP-3')).status).toBe(201);
      expect(await skus(keeperToken)).toEqual(['KEEP-1', 'KEEP-2', 'KEEP-3']);

      // The replaced database is retired, kept for RETIRED_DATABASE_RETENTION_MS.
      const swapped = (await plane.admin('GET', '/tenants/keeper/restores')).body.items[0];
      expect(swapped).toMatchObject({ status: 'swapped', replaced: { name: original } });
      expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [original])).toHaveLength(1);
      const again = await plane.admin('POST', `/tenants/keeper/restore/${restored.id}/swap`);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('is swapped; only a ready restore can be swapped in');
    } finally {
      asking = false;
      await askNeighbour;
    }
    expect(neighbourAnswers.length).toBeGreaterThan(0);
    expect(neighbourAnswers.every((answer) => answer.join() === 'NEXT-1')).toBe(true);
    expect(await plane.env.sql('SELECT count(*)::int AS n FROM order_lines', [], await databaseOf('neighbour'))).toEqual([{ n: 1 }]);
  });

  it('refuses a restore it cannot make, saying why', async () => {
    const pointInTime = await plane.admin('POST', '/tenants/keeper/restore', { pointInTime: '2026-01-01T00:00:00Z' });
    expect(pointInTime.status).toBe(400);
    expect(pointInTime.body.message).toContain('is on PostgreSQL, which has no point-in-time history here: give a backupId');
    const neither = await plane.admin('POST', '/tenants/keeper/restore', {});
    expect(neither.status).toBe(400);
    const unknown = await plane.admin('POST', '/tenants/keeper/restore', { backupId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('has no succeeded backup');
    const neighbourBackup = (await plane.admin('GET', '/tenants/keeper/backups')).body.items[0].id;
    const foreign = await plane.admin('POST', '/tenants/neighbour/restore', { backupId: neighbourBackup });
    expect(foreign.status).toBe(404);
  });

  it('converges after the worker is killed -9 in the middle of a restore: the restore completes, no database left over', async () => {
    await plane.provision('bulky');
    const database = await databaseOf('bulky');
    // Enough rows that pg_restore is still running when the worker dies.
    await plane.env.sql(`INSERT INTO orders (status, total_cents) SELECT 'open', g FROM generate_series(1, 400000) g`, [], database);
    const backupId = await backUp('bulky');

    const requested = await plane.admin('POST', '/tenants/bulky/restore', { backupId });
    expect(requested.status).toBe(202);
    const name: string = requested.body.restore.database.name;
    for (;;) {
      const { body } = await plane.admin('GET', `/operations/${requested.body.operation.id}`);
      const exists = (await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;
      if (body.step === 'restore_database' && exists) break;
      expect(body.status).not.toBe('succeeded');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    worker.child.kill('SIGKILL');
    await worker.exited;

    worker = spawnWorker(plane.env.rawEnv);
    const operation = await plane.waitForOperation(requested.body.operation.id);
    expect({ status: operation.status, lastError: operation.lastError }).toEqual({ status: 'succeeded', lastError: null });
    expect(operation.attempts).toBeGreaterThan(1);
    const left = await plane.env.sql<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'tenantry\\_%' AND datname LIKE $1`, [`%\\_bulky`]);
    expect(left.map((row) => row.datname)).toEqual([name]);
    expect(await plane.env.sql('SELECT count(*)::int AS n FROM orders', [], name)).toEqual([{ n: 400000 }]);
    expect((await plane.admin('GET', '/tenants/bulky/restores')).body.items[0]).toMatchObject({ status: 'ready' });
  });

  it('undeletes an offboarded tenant from the backup offboarding took, under its own id', async () => {
    const phoenix = await plane.provision('phoenix');
    expect((await order(await plane.tenantToken(phoenix.id), 'RISE-1')).status).toBe(201);
    const offboarded = await done(await plane.admin('DELETE', '/tenants/phoenix'));
    expect(offboarded.steps.map((s: { step: string }) => s.step)).toContain('final_backup');
    expect((await plane.admin('GET', '/tenants/phoenix')).body.status).toBe('deleted');

    const undeleted = await plane.admin('POST', '/tenants/phoenix/undelete');
    expect(undeleted.body.tenant).toMatchObject({ id: phoenix.id, status: 'provisioning' });
    await done(undeleted);
    expect((await plane.admin('GET', '/tenants/phoenix')).body).toMatchObject({ id: phoenix.id, status: 'active', deletedAt: null, database: { status: 'present' } });
    expect(await skus(await plane.tenantToken(phoenix.id))).toEqual(['RISE-1']);
  });

  it('refuses to undelete a tenant whose code was reused, or whose window passed, saying which (409)', async () => {
    await plane.provision('reused');
    await done(await plane.admin('DELETE', '/tenants/reused'));
    const successor = await plane.provision('reused');
    const refused = await plane.admin('POST', '/tenants/reused/undelete');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'UNDELETE_REFUSED' });
    expect(refused.body.message).toContain(`tenant "reused" cannot be undeleted: its code was reused by another tenant (${successor.id}`);
    expect((await plane.admin('GET', '/tenants/reused')).body).toMatchObject({ id: successor.id, status: 'active' });

    const expired = await plane.provision('expired');
    await done(await plane.admin('DELETE', '/tenants/expired'));
    await plane.env.sql(`UPDATE tenants SET deleted_at = now() - interval '31 days' WHERE id = $1`, [expired.id], plane.env.adminDatabase);
    const late = await plane.admin('POST', '/tenants/expired/undelete');
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/^tenant "expired" cannot be undeleted: it was deleted at .*, more than the undelete window \(720 hours\) ago$/);

    const never = await plane.admin('POST', '/tenants/keeper/undelete');
    expect(never.status).toBe(409);
    expect(never.body.message).toContain('cannot undelete tenant "keeper" while it is active');
  });
});
