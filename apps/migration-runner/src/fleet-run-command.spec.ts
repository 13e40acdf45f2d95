import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliOptions } from './cli-options';
import type { FleetMigrator, FleetRunHooks, FleetRunOptions, TenantMigrationResult } from './fleet-migrator';
import { FleetRunCommand } from './fleet-run-command';

const migrated: TenantMigrationResult = { code: 'alpha', tenantId: 'a', outcome: 'migrated', wave: 'canary', version: 'v2', durationMs: 5 };

/** A run that reports one tenant, then waits until it is stopped from outside and ends the way the stop says. */
const stoppedRun = {
  async run(_options: FleetRunOptions, _by: string, hooks: FleetRunHooks) {
    hooks.onStart?.('run-1', []);
    hooks.onTotal?.(2);
    hooks.onResult?.(migrated);
    await hooks.stop?.released;
    const stop = hooks.stop?.requested;
    const skipped: TenantMigrationResult = { ...migrated, code: 'beta', tenantId: 'b', outcome: 'skipped', wave: 'none', error: stop?.reason };
    hooks.onResult?.(skipped);
    return { runId: 'run-1', status: stop?.status ?? 'succeeded', results: [migrated, skipped], error: stop?.reason };
  },
} as unknown as FleetMigrator;

describe('FleetRunCommand', () => {
  let dir: string;
  let output: string;
  const out = { write: (text: string) => Boolean((output += text)), isTTY: false } as Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
  const options = (): CliOptions => ({ dryRun: false, concurrency: 1, canary: 0, maxFailures: 10, report: join(dir, 'report.json') });
  const report = () => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { runId: string; status: string; error?: string; results: unknown[] };
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-run-command-'));
    output = '';
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('on SIGTERM stops, on a second SIGTERM stops waiting, then reports the run interrupted and exits 143', async () => {
    const execution = new FleetRunCommand(stoppedRun, options(), 'test', 60_000, out).execute();
    await tick();
    process.emit('SIGTERM', 'SIGTERM');
    expect(output).toContain('SIGTERM: starting no more tenants; waiting up to 60 s for those in flight (SIGTERM again: stop waiting)');
    process.emit('SIGTERM', 'SIGTERM');
    expect(await execution).toBe(143);
    expect(output).toMatch(/skipped\s+beta .*error: interrupted by SIGTERM/);
    expect(output).toContain('run run-1: interrupted (interrupted by SIGTERM)');
    expect(report()).toMatchObject({ runId: 'run-1', status: 'interrupted', results: [{ code: 'alpha' }, { code: 'beta', outcome: 'skipped' }] });
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('after a failure elsewhere in the process, ends the run as crashed: prints and reports what it has, exits 3', async () => {
    const command = new FleetRunCommand(stoppedRun, options(), 'test', 60_000, out);
    const execution = command.execute();
    await tick();
    command.crash(new Error('an error event nobody listened to'));
    expect(await execution).toBe(3);
    expect(output).toContain('1 migrated, 0 already current, 0 failed, 1 skipped');
    expect(report()).toMatchObject({ status: 'crashed', error: 'the runner crashed: an error event nobody listened to' });
  });

  it('when the run itself fails, still prints and reports the tenants it finished, and exits 3', async () => {
    const failing = {
      async run(_options: FleetRunOptions, _by: string, hooks: FleetRunHooks) {
        hooks.onStart?.('run-2', []);
        hooks.onResult?.(migrated);
        throw new Error('connection to the registry lost');
      },
    } as unknown as FleetMigrator;
    expect(await new FleetRunCommand(failing, options(), 'test', 60_000, out).execute()).toBe(3);
    expect(output).toMatch(/migrated\s+alpha/);
    expect(output).toContain('run run-2: crashed (the runner failed: connection to the registry lost)');
    expect(report()).toMatchObject({ runId: 'run-2', status: 'crashed', results: [{ code: 'alpha', outcome: 'migrated' }] });
  });

  it('on a terminal draws a bar in place and prints only the failed tenants above it; into a pipe, a line per tenant and no bar', async () => {
    const failed: TenantMigrationResult = { ...migrated, code: 'beta', tenantId: 'b', outcome: 'failed', error: 'relation "orders" does not exist' };
    const twoTenants = {
      async run(_options: FleetRunOptions, _by: string, hooks: FleetRunHooks) {
        hooks.onStart?.('run-3', []);
        hooks.onTotal?.(2);
        hooks.onResult?.(migrated);
        hooks.onResult?.(failed);
        return { runId: 'run-3', status: 'succeeded', results: [migrated, failed] };
      },
    } as unknown as FleetMigrator;
    const terminal = { write: (text: string) => Boolean((output += text)), isTTY: true, columns: 120 } as Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
    expect(await new FleetRunCommand(twoTenants, options(), 'test', 60_000, terminal).execute()).toBe(1);
    expect(output).toContain(`[${'#'.repeat(30)}] 2/2 tenants, 1 failed`);
    expect(output).toMatch(/failed\s+beta .*error: relation "orders" does not exist\n/);
    expect(output).not.toMatch(/migrated\s+alpha/);
    expect(output.search(/failed\s+beta/)).toBeGreaterThan(-1);
    expect(output.search(/failed\s+beta/)).toBeLessThan(output.lastIndexOf('2/2 tenants'));

    output = '';
    expect(await new FleetRunCommand(twoTenants, options(), 'test', 60_000, out).execute()).toBe(1);
    expect(output).toMatch(/^migrated\s+alpha .*\nfailed\s+beta .*error: relation "orders" does not exist\n/m);
    expect(output).not.toContain('tenants, 1 failed');
    expect(output).not.toContain('\u001b');
  });
});
