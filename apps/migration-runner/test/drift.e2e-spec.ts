import { childProcessEnv, httpRequest } from '@tenantry/common/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('npm run drift (the built CLI), its results in the admin API and its metrics', () => {
  let plane: ControlPlane;
  const reports = mkdtempSync(join(tmpdir(), 'tenantry-drift-report-'));
  const reportFile = join(reports, 'report.json');

  beforeAll(async () => {
    if (!existsSync(BUILT.drift)) throw new Error(`${BUILT.drift} is missing: run "npm run build" first (npm test does)`);
    plane = await startControlPlane();
    await Promise.all(['dr_a', 'dr_b', 'dr_c'].map((code) => plane.provision(code)));
  });

  afterAll(async () => {
    await plane?.stop();
    rmSync(reports, { recursive: true, force: true });
  });

  const drift = (...args: string[]) =>
    run(process.execPath, [BUILT.drift, '--report', reportFile, ...args], { env: childProcessEnv(plane.env.rawEnv) }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  const db = (code: string) => `tenant_${code}_${plane.env.label}`;
  const metrics = async () => (await httpRequest(`${plane.adminUrl}/metrics`, { method: 'GET' })).text;

  it('an in-sync fleet reports none: every tenant in sync, exit 0, and so say GET /drift and the metrics', async () => {
    const { code, stdout } = await drift();
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 tenants scanned in [\d.]+ s: 3 in sync, 0 drifted, 0 unknown/);
    const fleet = await plane.admin('GET', '/drift');
    expect(fleet.status).toBe(200);
    expect(fleet.body).toMatchObject({ counts: { in_sync: 3, drifted: 0, unknown: 0, unscanned: 0 }, drifted: [] });
    const one = await plane.admin('GET', '/tenants/dr_a/drift');
    expect(one.body).toMatchObject({ code: 'dr_a', status: 'in_sync', schemaVersion: CURRENT_TENANT_SCHEMA_VERSION, differences: [] });
    expect(one.body.fingerprint).toBe(one.body.expectedFingerprint);
    expect(await metrics()).toMatch(/tenantry_tenant_schema_drift\{status="in_sync",service="admin-api"\} 3/);
  });

  it('finds a hand-made change and an unreachable database: each difference in words, exit 1, recorded per tenant', async () => {
    await plane.env.sql('DROP INDEX orders_created_at', [], db('dr_b'));
    await plane.env.sql(`ALTER TABLE customers ALTER COLUMN email TYPE varchar(200)`, [], db('dr_b'));
    // dr_c's database is gone from under the registry: unreadable, so unknown, not in sync.
    await plane.env.sql(`DROP DATABASE ${db('dr_c')} WITH (FORCE)`);
    const { code, stdout } = await drift('--concurrency', '2');
    expect(code).toBe(1);
    expect(stdout).toMatch(/1 in sync, 1 drifted, 1 unknown/);
    expect(stdout).toContain('    column customers.email is character varying(200), expected text\n    index orders_created_at on orders missing\n');
    expect(stdout).toMatch(/dr_c \(unknown, version \w+\):\n\s+the database could not be read: database "tenant_dr_c_\w+" does not exist/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { results: Array<{ code: string; status: string }> };
    expect(Object.fromEntries(report.results.map((r) => [r.code, r.status]))).toEqual({ dr_a: 'in_sync', dr_b: 'drifted', dr_c: 'unknown' });

    const b = await plane.admin('GET', '/tenants/dr_b/drift');
    expect(b.body).toMatchObject({
      status: 'drifted',
      differences: [
        { object: 'column', name: 'customers.email', problem: 'changed' },
        { object: 'index', name: 'orders_created_at', problem: 'missing' },
      ],
    });
    const fleet = await plane.admin('GET', '/drift');
    expect(fleet.body).toMatchObject({ counts: { in_sync: 1, drifted: 1, unknown: 1 }, drifted: [{ code: 'dr_b', differences: 2 }] });
    expect(await metrics()).toMatch(/tenantry_tenant_schema_drift\{status="drifted",service="admin-api"\} 1/);
  });

  it('scans one tenant with --tenant; refuses an unknown tenant and a bad flag (exit 2); 404 for a tenant never scanned', async () => {
    const one = await drift('--tenant', 'dr_a');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/1 tenants scanned in [\d.]+ s: 1 in sync/);
    expect(await drift('--tenant', 'nobody')).toMatchObject({ code: 2, stderr: expect.stringContaining('tenant "nobody" is not an active tenant') });
    expect((await drift('--concurrency', '0')).code).toBe(2);
    await plane.provision('dr_new');
    const unscanned = await plane.admin('GET', '/tenants/dr_new/drift');
    expect(unscanned.status).toBe(404);
    expect(unscanned.body).toMatchObject({ error: 'DRIFT_NOT_SCANNED', message: expect.stringContaining('npm run drift -- --tenant dr_new') });
    expect((await plane.admin('GET', '/tenants/nobody/drift')).status).toBe(404);
  });

  it('scheduled: the runner in scheduled mode scans the fleet every DRIFT_SCAN_INTERVAL_MS, and stops cleanly on SIGTERM', async () => {
    const checkedAt = async () => new Date((await plane.admin('GET', '/tenants/dr_a/drift')).body.checkedAt as string).getTime();
    const before = await checkedAt();
    // A cron that does not fire during the test: only the drift scans run.
    const runner = spawn(process.execPath, [BUILT.migrationRunner, '--schedule', '0 0 1 1 *'], {
      env: childProcessEnv({ ...plane.env.rawEnv, DRIFT_SCAN_INTERVAL_MS: '1000' }),
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    try {
      // A deadline for the event only: the runner's start-up alone takes seconds on a loaded machine.
      const deadline = Date.now() + 120_000;
      while ((await checkedAt()) <= before) {
        if (Date.now() > deadline) throw new Error('no scheduled drift scan was recorded within 120 s');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect((await plane.admin('GET', '/drift')).body.counts).toMatchObject({ drifted: 1, unknown: 1 });
    } finally {
      runner.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
