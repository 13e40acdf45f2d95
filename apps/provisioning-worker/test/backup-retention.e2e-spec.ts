import { waitFor } from '@tenantry/common/testing';
import { spawnWorker, startControlPlane, type ControlPlane, type WorkerProcess } from '@tenantry/test-support';
import { existsSync } from 'node:fs';

interface Backup {
  id: string;
  status: string;
  location: string;
}

describe('scheduled backups and what retention lets go (issue 17)', () => {
  let plane: ControlPlane;
  let worker: WorkerProcess;

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false });
    // A backup every 1.2 s, two kept; retired databases and deleted tenants' backups go at the next sweep.
    worker = spawnWorker({
      ...plane.env.rawEnv,
      BACKUP_INTERVAL_MINUTES: '0.02',
      BACKUP_KEEP_COUNT: '2',
      BACKUP_SWEEP_INTERVAL_MS: '300',
      RETIRED_DATABASE_RETENTION_MS: '0',
      RETIRED_DATABASE_SWEEP_INTERVAL_MS: '300',
      UNDELETE_WINDOW_HOURS: '0',
    });
    await worker.ready;
  });

  afterAll(async () => {
    await worker?.stop();
    await plane?.stop();
  });

  const backupsOf = async (code: string): Promise<Backup[]> => (await plane.admin('GET', `/tenants/${code}/backups`)).body.items;
  /** The schedule keeps the tenant busy with backups: a request that meets one is answered 409 and asked again. */
  const whenIdle = async (method: string, path: string, body?: unknown) => {
    for (;;) {
      const answer = await plane.admin(method, path, body);
      if (answer.status !== 409 || !String(answer.body.message).includes('busy with another operation')) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('backs every active tenant up on schedule and keeps the newest BACKUP_KEEP_COUNT, their files only', async () => {
    await plane.provision('ticker');
    await waitFor(async () => (await backupsOf('ticker')).filter((b) => b.status === 'expired').length >= 2, 120_000);
    const backups = await backupsOf('ticker');
    const succeeded = backups.filter((b) => b.status === 'succeeded');
    const expired = backups.filter((b) => b.status === 'expired');
    // The newest two, and possibly one taken since the last pass of its retention.
    expect(succeeded.length).toBeGreaterThanOrEqual(2);
    expect(succeeded.length).toBeLessThanOrEqual(3);
    expect(succeeded.every((b) => existsSync(b.location))).toBe(true);
    expect(expired.every((b) => !existsSync(b.location))).toBe(true);
    const operations = await plane.env.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM operations WHERE kind = 'backup' AND params->>'scheduled' = 'true'`,
      [],
      plane.env.adminDatabase,
    );
    expect(operations[0].n).toBeGreaterThanOrEqual(4);
  });

  it('drops the database a swap replaced once its retention has passed', async () => {
    const [backup] = (await backupsOf('ticker')).filter((b) => b.status === 'succeeded');
    const requested = await whenIdle('POST', '/tenants/ticker/restore', { backupId: backup.id });
    expect(requested.status).toBe(202);
    expect((await plane.waitForOperation(requested.body.operation.id)).status).toBe('succeeded');
    const original = (await plane.admin('GET', '/tenants/ticker')).body.database.name;
    const swapped = await whenIdle('POST', `/tenants/ticker/restore/${requested.body.restore.id}/swap`);
    expect((await plane.waitForOperation(swapped.body.id)).status).toBe('succeeded');
    expect((await plane.admin('GET', '/tenants/ticker/restores')).body.items[0]).toMatchObject({ status: 'swapped', replaced: { name: original } });
    await waitFor(async () => (await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [original])).length === 0, 120_000);
    expect((await plane.admin('GET', '/tenants/ticker')).body.database.name).toBe(requested.body.restore.database.name);
  });

  it("expires an offboarded tenant's backups once the worker's undelete window has passed, and undelete then refuses", async () => {
    const leaving = await plane.provision('leaving');
    const deleted = await whenIdle('DELETE', '/tenants/leaving');
    expect((await plane.waitForOperation(deleted.body.id)).status).toBe('succeeded');
    const finalBackup = async () =>
      (
        await plane.env.sql<{ status: string; location: string }>(
          `SELECT status, location FROM tenant_backups WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT 1`,
          [leaving.id],
          plane.env.adminDatabase,
        )
      )[0];
    await waitFor(async () => (await finalBackup()).status === 'expired', 120_000);
    expect(existsSync((await finalBackup()).location)).toBe(false);
    const refused = await plane.admin('POST', '/tenants/leaving/undelete');
    expect(refused.status).toBe(409);
    // The admin API's own window is the default; the worker's sweep, past its window of 0, left nothing to undelete from.
    expect(refused.body.message).toContain('no backup of its database remains to bring it back from');
  });
});
