import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { RawEnv } from '@tenantry/common';
import { childProcessEnv } from '@tenantry/common/testing';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';

const cli = BUILT.migrationRunner;
const LEASE_MS = 3_000;

// Only a hang detector: each test starts CLI processes, which a busy machine makes slow. Nothing here bounds a wall-clock time.
jest.setTimeout(300_000);

interface Runner {
  pid: number;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
  signal(name: NodeJS.Signals): void;
}

describe('fleet runs that meet a locked tenant, a signal, a kill -9 or a broken registry (the built CLI)', () => {
  let plane: ControlPlane;
  const codes = ['fault_a', 'fault_b', 'fault_c'];
  const db = (code: string) => `tenant_${code}_${plane.env.label}`;
  const holders: Client[] = [];
  const runners: Runner[] = [];
  const reportFile = (name: string) => join(tmpdir(), `tenantry-faults-${process.pid}-${name}.json`);

  function start(name: string, args: string[] = [], env: RawEnv = {}): Runner {
    const child = spawn(process.execPath, [cli, '--report', reportFile(name), ...args], { env: childProcessEnv({ ...plane.env.rawEnv, ...env }) });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, stdout })),
    );
    const runner = { pid: child.pid!, stdout: () => stdout, exited, signal: (name: NodeJS.Signals) => void child.kill(name) };
    runners.push(runner);
    return runner;
  }

  /** Polls until `probe` holds; the test's own timeout says when to give up. */
  async function until(probe: () => Promise<boolean>): Promise<void> {
    while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** Someone else's open transaction holding ACCESS EXCLUSIVE on the tenant's orders table, which the pending migration references. */
  async function lockOrders(code: string): Promise<{ release(): Promise<void> }> {
    const url = new URL(plane.env.databaseUrl('postgres'));
    url.pathname = `/${db(code)}`;
    const client = new Client({ connectionString: url.toString(), application_name: 'held-by-test' });
    await client.connect();
    holders.push(client);
    await client.query('BEGIN');
    await client.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    return { release: () => client.query('ROLLBACK').then(() => undefined) };
  }

  /** A migration of the tenant is waiting on the held lock. */
  const waitingOnLock = (code: string) =>
    until(async () => (await plane.env.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [db(code)])).length > 0);

  const runStatus = async (runId: string) =>
    (await plane.admin('GET', `/migrations/runs/${runId}`)).body as { status: string; counts: Record<string, number>; startedAt: string; heartbeatAt: string };
  const latestRun = async () => (await plane.admin('GET', '/migrations/runs?pageSize=1')).body.items[0] as { id: string; status: string };
  const outcomes = (stdout: string) => Object.fromEntries([...stdout.matchAll(/^(\w+)\s+(fault_\w)\s/gm)].map(([, outcome, code]) => [code, outcome]));
  const hasOrderLines = async (code: string) => (await plane.env.sql(`SELECT 1 FROM pg_tables WHERE tablename = 'order_lines'`, [], db(code))).length > 0;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does)`);
    plane = await startControlPlane({ env: { MIGRATION_RUN_LEASE_MS: String(LEASE_MS), SHUTDOWN_TIMEOUT_MS: '60000' } });
    for (const code of codes) await plane.provision(code);
  });

  beforeEach(async () => {
    // Every tenant one migration behind, as after a release; the pending migration references orders.
    for (const code of codes) {
      await plane.env.sql(`DROP TABLE IF EXISTS order_lines; DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], db(code));
    }
    await plane.env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], plane.env.adminDatabase);
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) {
      runner.signal('SIGKILL');
      await runner.exited;
    }
    for (const client of holders.splice(0)) await client.end();
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('answers --help without any setting, and refuses a bad setting with exit 2 before running anything', async () => {
    const help = await start('help', ['--help'], { SECRETS_KEY: '' }).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/exit codes:[\s\S]*143: by SIGTERM/);
    const bad = await start('bad-setting', [], { TENANT_MIGRATION_LOCK_TIMEOUT_MS: 'soon' }).exited;
    expect(bad.code).toBe(2);
    expect(await latestRun()).toBeUndefined();
  });

  it('a tenant locked by another session fails after the lock timeout, naming the table; the others migrate and the run ends', async () => {
    await lockOrders('fault_b');
    const { code, stdout } = await start('locked', ['--lock-timeout', '1s', '--canary', '0']).exited;
    expect(code).toBe(1);
    expect(outcomes(stdout)).toEqual({ fault_a: 'migrated', fault_b: 'failed', fault_c: 'migrated' });
    expect(stdout).toMatch(/fault_b: failed: lock timeout after 1 s waiting for a lock on orders \(AccessExclusiveLock held by pid \d+, held-by-test, idle in transaction/);
    expect((await latestRun()).status).toBe('failed');
  });

  it('SIGTERM: starts no more tenants, lets the one in flight finish, records the run interrupted, reports, exits 143', async () => {
    const lock = await lockOrders('fault_a');
    const runner = start('sigterm', ['--lock-timeout', '60s', '--concurrency', '1', '--canary', '0']);
    await waitingOnLock('fault_a');
    runner.signal('SIGTERM');
    await until(async () => runner.stdout().includes('SIGTERM: starting no more tenants'));
    await lock.release();
    const { code, stdout } = await runner.exited;
    expect(code).toBe(143);
    expect(outcomes(stdout)).toEqual({ fault_a: 'migrated', fault_b: 'skipped', fault_c: 'skipped' });
    expect(stdout).toMatch(/fault_b: skipped: interrupted by SIGTERM/);
    const report = JSON.parse(readFileSync(reportFile('sigterm'), 'utf8')) as { runId: string; status: string; results: unknown[] };
    expect(report).toMatchObject({ status: 'interrupted', error: 'interrupted by SIGTERM' });
    expect(report.results).toHaveLength(3);
    expect(await runStatus(report.runId)).toMatchObject({ status: 'interrupted', counts: { migrated: 1, skipped: 2 } });
    expect(await hasOrderLines('fault_b')).toBe(false);
  });

  it('a second SIGINT stops waiting: the tenant in flight is reported interrupted and its migration never commits; exits 130', async () => {
    const lock = await lockOrders('fault_a');
    const runner = start('sigint', ['--lock-timeout', '60s', '--concurrency', '1', '--canary', '0']);
    await waitingOnLock('fault_a');
    runner.signal('SIGINT');
    await until(async () => runner.stdout().includes('SIGINT: starting no more tenants'));
    runner.signal('SIGINT');
    const { code, stdout } = await runner.exited;
    expect(code).toBe(130);
    expect(outcomes(stdout)).toEqual({ fault_a: 'interrupted', fault_b: 'skipped', fault_c: 'skipped' });
    expect(stdout).toMatch(/fault_a: interrupted: interrupted by SIGINT while this tenant was still in flight/);
    expect((await latestRun()).status).toBe('interrupted');
    await lock.release();
    // The dead runner's session ends once it has the lock and finds its client gone.
    await until(async () => (await plane.env.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'held-by-test'`, [db('fault_a')])).length === 0);
    expect(await hasOrderLines('fault_a')).toBe(false);
  });

  it('kill -9: the run stays running while its runner lives, shows abandoned once the lease lapses, and the next runner records it', async () => {
    const lock = await lockOrders('fault_a');
    const runner = start('killed', ['--lock-timeout', '60s', '--concurrency', '1', '--canary', '0']);
    await waitingOnLock('fault_a');
    const run = await latestRun();
    // Its runner renews the lease while it waits: a heartbeat after the start, read while the run is running.
    await until(async () => {
      const seen = await runStatus(run.id);
      return seen.status === 'running' && Date.parse(seen.heartbeatAt) > Date.parse(seen.startedAt);
    });

    runner.signal('SIGKILL');
    expect((await runner.exited).signal).toBe('SIGKILL');
    await until(async () => (await runStatus(run.id)).status === 'abandoned');
    await lock.release();

    const next = await start('after-kill').exited;
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(new RegExp(`run ${run.id} \\(cli:[^,]+, started [^)]+\\) was abandoned: its runner stopped renewing its lease at`));
    const [row] = await plane.env.sql(`SELECT status FROM migration_runs WHERE id = $1`, [run.id], plane.env.adminDatabase);
    expect(row).toEqual({ status: 'abandoned' });
  });

  it('a registry that stops taking results mid-run: the run starts no more tenants and ends crashed, prints and reports what it did, exits 3', async () => {
    const admin = plane.env.adminDatabase;
    const lock = await lockOrders('fault_a');
    const runner = start('crash', ['--lock-timeout', '60s', '--concurrency', '1', '--canary', '0']);
    await waitingOnLock('fault_a');
    await plane.env.sql(`ALTER TABLE migration_run_results RENAME TO migration_run_results_away`, [], admin);
    try {
      await lock.release();
      const { code, stdout } = await runner.exited;
      expect(code).toBe(3);
      const { fault_a, ...rest } = outcomes(stdout);
      expect(fault_a).toBe('migrated');
      // fault_b may just have started when fault_a's result was refused: interrupted, or else skipped.
      expect(Object.keys(rest).sort()).toEqual(['fault_b', 'fault_c']);
      expect(Object.values(rest).filter((outcome) => outcome !== 'interrupted' && outcome !== 'skipped')).toEqual([]);
      expect(stdout).toMatch(/: crashed \(the runner failed: relation "migration_run_results" does not exist\)/);
      expect(JSON.parse(readFileSync(reportFile('crash'), 'utf8'))).toMatchObject({ status: 'crashed', results: [{}, {}, {}] });
    } finally {
      await plane.env.sql(`ALTER TABLE migration_run_results_away RENAME TO migration_run_results`, [], admin);
    }
    expect((await latestRun()).status).toBe('crashed');
  });
});
