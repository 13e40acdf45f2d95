import { childProcessEnv } from '@tenantry/common/testing';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = BUILT.migrationRunner;
const FLEET = 30;

describe('a fleet run over 30 tenants', () => {
  let plane: ControlPlane;
  const codes = Array.from({ length: FLEET }, (_, i) => `fleet_${String(i).padStart(2, '0')}`);
  const db = (code: string) => `tenant_${code}_${plane.env.label}`;
  const reports = mkdtempSync(join(tmpdir(), 'tenantry-fleet-'));

  const migrate = (name: string, ...args: string[]) =>
    run(process.execPath, [cli, '--report', join(reports, `${name}.json`), ...args], {
      env: childProcessEnv(plane.env.rawEnv),
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  /** Puts every tenant one migration behind, as a new release would. */
  async function oneMigrationBehind(): Promise<void> {
    for (const code of codes) {
      await plane.env.sql(`DROP TABLE IF EXISTS order_lines; DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db(code));
    }
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], plane.env.adminDatabase);
  }

  const outcomes = (stdout: string) => Object.fromEntries([...stdout.matchAll(/^(\w+)\s+(fleet_\d\d)\s/gm)].map(([, outcome, code]) => [code, outcome]));

  beforeAll(async () => {
    // Two runners at once wait on each other's migration lock; under load one tenant's migration may pass the default 5 s.
    plane = await startControlPlane({ env: { TENANT_MIGRATION_LOCK_TIMEOUT_MS: '60000' } });
    for (let i = 0; i < FLEET; i += 10) await Promise.all(codes.slice(i, i + 10).map((code) => plane.provision(code)));
  });

  afterAll(async () => {
    await plane?.stop();
    rmSync(reports, { recursive: true, force: true });
  });

  it('migrates 29 tenants, reports the broken one, exits non-zero; after the fix a re-run migrates only that one', async () => {
    await oneMigrationBehind();
    // fleet_17 is broken on purpose: a stray table of the name the migration creates.
    await plane.env.sql('CREATE TABLE order_lines (stray int)', [], db('fleet_17'));
    const first = await migrate('broken', '--concurrency', '8', '--canary', '2');
    expect(first.code).toBe(1);
    const byTenant = outcomes(first.stdout);
    expect(Object.values(byTenant).filter((o) => o === 'migrated')).toHaveLength(29);
    expect(byTenant.fleet_17).toBe('failed');
    // A table the recorded version does not have: drift, refused before the migration could trip on it.
    expect(first.stdout).toMatch(/fleet_17: failed: refused: the schema drifted from CreateOrders1764000001000 \(table order_lines unexpected\)/);

    await plane.env.sql('DROP TABLE order_lines', [], db('fleet_17'));
    const second = await migrate('fixed');
    expect(second.code).toBe(0);
    const rerun = outcomes(second.stdout);
    expect(Object.entries(rerun).filter(([, o]) => o === 'migrated')).toEqual([['fleet_17', 'migrated']]);
    expect(second.stdout).toMatch(/30 tenants in [\d.]+ s: 1 migrated, 29 already current/);
  });

  it('halts after a failed canary: the rest are skipped, nothing else is touched', async () => {
    await oneMigrationBehind();
    await plane.env.sql('CREATE TABLE order_lines (stray int)', [], db('fleet_00'));
    const result = await migrate('canary', '--canary', '1');
    expect(result.code).toBe(1);
    const byTenant = outcomes(result.stdout);
    expect(byTenant.fleet_00).toBe('failed');
    expect(Object.values(byTenant).filter((o) => o === 'skipped')).toHaveLength(29);
    expect(await plane.env.sql(`SELECT 1 FROM pg_tables WHERE tablename = 'order_lines'`, [], db('fleet_01'))).toHaveLength(0);
    await plane.env.sql('DROP TABLE order_lines', [], db('fleet_00'));
  });

  it('two runners started at once: each tenant migrated once, both exit cleanly', async () => {
    await oneMigrationBehind();
    const [a, b] = await Promise.all([migrate('a', '--concurrency', '4'), migrate('b', '--concurrency', '4')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const first = outcomes(a.stdout);
    const second = outcomes(b.stdout);
    for (const code of codes) {
      expect([first[code], second[code]].filter((o) => o === 'migrated')).toHaveLength(1);
    }
    for (const code of codes.slice(0, 3)) {
      const applied = await plane.env.sql(`SELECT count(*)::int AS n FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db(code));
      expect(applied[0].n).toBe(1);
    }
  });
});
