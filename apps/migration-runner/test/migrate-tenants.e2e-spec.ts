import { childProcessEnv } from '@tenantry/common/testing';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = BUILT.migrationRunner;

describe('npm run migrate:tenants (the built CLI)', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does)`);
    plane = await startControlPlane();
    await Promise.all([plane.provision('alpha'), plane.provision('beta')]);
  });

  const reports = mkdtempSync(join(tmpdir(), 'tenantry-migration-report-'));

  afterAll(async () => {
    await plane?.stop();
    rmSync(reports, { recursive: true, force: true });
  });

  const reportFile = join(reports, 'report.json');
  const migrate = (...args: string[]) =>
    run(process.execPath, [cli, '--report', reportFile, ...args], { env: childProcessEnv(plane.env.rawEnv) }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
  const db = (code: string) => `tenant_${code}_${plane.env.label}`;

  it('reports every tenant current when nothing is pending', async () => {
    const { code, stdout } = await migrate();
    expect(code).toBe(0);
    expect(stdout).toMatch(/current\s+alpha/);
    expect(stdout).toMatch(/current\s+beta/);
    expect(stdout).toMatch(/2 tenants in [\d.]+ s: 0 migrated, 2 already current, 0 failed, 0 skipped/);
  });

  it('applies a pending migration, refuses a drifted tenant with the differences and goes on, and exits non-zero', async () => {
    // alpha lacks its last migration; beta claims it lacks it too while the table exists: its schema drifted from its version.
    await plane.env.sql(`DROP TABLE order_lines`, [], db('alpha'));
    for (const code of ['alpha', 'beta']) {
      await plane.env.sql(`DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db(code));
    }
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], plane.env.adminDatabase);
    const { code, stdout } = await migrate();
    expect(code).toBe(1);
    expect(stdout).toMatch(/migrated\s+alpha/);
    const refusal = 'refused: the schema drifted from CreateOrders1764000001000 (table order_lines unexpected); repair it, or run with --allow-drift to migrate anyway';
    expect(stdout).toContain(`beta: failed: ${refusal}`);
    expect(stdout).toMatch(/2 tenants in [\d.]+ s: 1 migrated, 0 already current, 1 failed, 0 skipped/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { results: Array<{ code: string; outcome: string; error?: string }> };
    expect(report.results.find((r) => r.code === 'beta')).toMatchObject({ outcome: 'failed', error: refusal });
    // Told to go ahead, the runner migrates it, and the migration meets the table it did not expect.
    const forced = await migrate('--tenant', 'beta', '--allow-drift');
    expect(forced.code).toBe(1);
    expect(forced.stdout).toMatch(/failed\s+beta .*already exists/);
    const tables = await plane.env.sql(`SELECT 1 FROM pg_tables WHERE tablename = 'order_lines'`, [], db('alpha'));
    expect(tables).toHaveLength(1);
  });

  it('plans with --dry-run and changes nothing; refuses an unknown tenant and a bad flag', async () => {
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], plane.env.adminDatabase);
    await plane.env.sql(`DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db('beta'));
    const before = await plane.env.sql(`SELECT count(*)::int AS n FROM tenant_migrations`, [], db('beta'));
    const plan = await migrate('--dry-run', '--tenant', 'beta');
    expect(plan.stdout).toMatch(/planned\s+beta .*would apply: CreateOrderLines1764000002000/);
    expect(plan.stdout).not.toContain('alpha');
    expect(await plane.env.sql(`SELECT count(*)::int AS n FROM tenant_migrations`, [], db('beta'))).toEqual(before);
    const versions = await plane.env.sql<{ v: string }>('SELECT DISTINCT schema_version AS v FROM tenant_databases', [], plane.env.adminDatabase);
    expect(versions.map((row) => row.v)).toEqual(['CreateOrders1764000001000']);
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrderLines1764000002000' WHERE database_name = $1`, [db('alpha')], plane.env.adminDatabase);

    expect((await migrate('--tenant', 'nobody')).code).toBe(2);
    expect((await migrate('--concurrency', '0')).code).toBe(2);
  });

  it('decides from the registry: a re-run touches only the tenant not yet at the current version', async () => {
    // Fix what broke beta; alpha is recorded as current and must not even be connected to.
    await plane.env.sql('DROP TABLE order_lines', [], db('beta'));
    const { code, stdout } = await migrate();
    expect(code).toBe(0);
    expect(stdout).toMatch(/current\s+alpha\s+0 ms/);
    expect(stdout).toMatch(/migrated\s+beta/);
    const versions = await plane.env.sql<{ v: string }>('SELECT DISTINCT schema_version AS v FROM tenant_databases', [], plane.env.adminDatabase);
    expect(versions.map((row) => row.v)).toEqual(['CreateOrderLines1764000002000']);

    const runs = await plane.admin('GET', '/migrations/runs?pageSize=100');
    expect(runs.status).toBe(200);
    expect(runs.body.items.map((run: { status: string }) => run.status)).toEqual(['succeeded', 'planned', 'failed', 'failed', 'succeeded']);
    const latest = await plane.admin('GET', `/migrations/runs/${runs.body.items[0].id}`);
    expect(latest.body).toMatchObject({ status: 'succeeded', counts: { migrated: 1, current: 1 }, targetVersion: 'CreateOrderLines1764000002000' });
    expect(latest.body.results.map((r: { tenantCode: string; outcome: string }) => [r.tenantCode, r.outcome])).toEqual([
      ['alpha', 'current'],
      ['beta', 'migrated'],
    ]);
    expect((await plane.admin('GET', '/migrations/runs/6f1d2c3b-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('scheduled mode: runs the fleet on a cron pattern, recorded like any run, and stops cleanly on SIGTERM', async () => {
    const runner = spawn(process.execPath, [cli, '--schedule', '*/1 * * * * *'], { env: childProcessEnv(plane.env.rawEnv), stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    try {
      // A deadline for the event only: the runner's start-up alone takes seconds on a loaded machine.
      const deadline = Date.now() + 120_000;
      let scheduled: { triggeredBy: string; status: string } | undefined;
      while (!scheduled) {
        if (Date.now() > deadline) throw new Error('no scheduled run was recorded within 120 s');
        await new Promise((resolve) => setTimeout(resolve, 250));
        const runs = await plane.admin('GET', '/migrations/runs?pageSize=100');
        scheduled = runs.body.items.find((run: { triggeredBy: string; status: string }) => run.triggeredBy.startsWith('schedule:') && run.status !== 'running');
      }
      expect(scheduled).toMatchObject({ triggeredBy: 'schedule:*/1 * * * * *', status: 'succeeded' });
    } finally {
      runner.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
