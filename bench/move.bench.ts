import { startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { spawnBusinessApi, spawnWorker, startContinuousWriter, startControlPlane, type ControlPlane, type WriterReport } from '@tenantry/test-support';
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { fmt, machine, median, percentile, until, type Proc } from './bench-support';

// bench:move (issue 16): a generated tenant of BENCH_MOVE_MB under continuous writes (a client per
// business-service replica, one write every 10 ms each) moved BENCH_MOVES times between the
// configured server (DATABASE_URL) and a throwaway one, both wal_level logical. Baseline, in the
// same run: what the offline path would freeze writes for, one pg_dump | psql of the same database.
const SIZE_MB = Number(process.env.BENCH_MOVE_MB ?? 1024);
const MOVES = Number(process.env.BENCH_MOVES ?? 5);
const REPLICAS = 2;
const run = promisify(execFile);

interface MoveFigures {
  copyMs: number;
  catchUpMs: number;
  workerFreezeMs: number;
  /** Longest refused window each replica's client saw. */
  refusedMs: number[];
  /** Per replica: from the switch's commit to that replica's first acknowledged write (only the new home takes writes then). */
  routedMs: number[];
  lost: number;
  doubled: number;
  baseMs: number;
  /** The worker's freeze by step, in ms. */
  freezeSteps: string;
  /** The verify step's detail: how each side's checksums were had (ledger or full read). */
  verified: string;
}

interface Operation {
  id: string;
  status: string;
  lastError: string | null;
  steps: Array<{ step: string; durationMs: number; detail?: string }>;
}

interface TenantView {
  database: { port: number; name: string };
}

const stepMs = (operation: { steps: Array<{ step: string; durationMs: number }> }, names: string[]) =>
  operation.steps.filter((s) => names.includes(s.step)).reduce((sum, s) => sum + s.durationMs, 0);

async function generate(plane: ControlPlane, database: string): Promise<number> {
  const size = async () => Number((await plane.env.sql<{ bytes: string }>('SELECT pg_database_size($1)::text AS bytes', [database]))[0].bytes);
  // About 300 bytes a row with its index entry: batches of 100,000 until the database reaches the size.
  while ((await size()) < SIZE_MB * 1024 * 1024) {
    await plane.env.sql(
      `INSERT INTO customers (name, email) SELECT 'generated-' || g, repeat(md5(g::text), 5) || '@example.com' FROM generate_series(1, 100000) g`,
      [],
      database,
    );
  }
  return size();
}

type SqlAt = (port: number, database: string, text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

async function oneMove(plane: ControlPlane, sqlAt: SqlAt, replicas: string[], tenantId: string, code: string, pool: string, round: number): Promise<MoveFigures> {
  const writers = await Promise.all(replicas.map(async (url, i) => startContinuousWriter(url, await plane.tenantToken(tenantId), `m${round}r${i}`)));
  let reports: WriterReport[];
  let operation: Operation;
  try {
    await Promise.all(writers.map((writer) => writer.acknowledgedMore(20)));
    const move = await plane.admin<Operation>('POST', `/tenants/${code}/move`, { pool });
    if (move.status !== 202) throw new Error(`move: ${move.status} ${JSON.stringify(move.body)}`);
    operation = (await plane.waitForOperation(move.body.id, 6 * 3_600_000)) as Operation;
    if (operation.status !== 'succeeded') throw new Error(`move ${round} failed: ${operation.lastError}`);
    await Promise.all(writers.map((writer) => writer.acknowledgedMore(20)));
  } finally {
    reports = await Promise.all(writers.map((writer) => writer.stop()));
  }
  const [switched] = await plane.env.sql<{ at: Date }>(
    `SELECT at FROM audit_events WHERE operation_id = $1 AND action = 'tenant.switch'`,
    [operation.id],
    plane.env.adminDatabase,
  );
  const { database } = (await plane.admin<TenantView>('GET', `/tenants/${code}`)).body;
  const keys = await sqlAt(database.port, database.name, `SELECT name FROM customers WHERE name LIKE $1`, [`m${round}r%`]);
  const seen = new Map<string, number>();
  for (const { name } of keys as Array<{ name: string }>) seen.set(name, (seen.get(name) ?? 0) + 1);
  const acknowledged = reports.flatMap((report) => report.acknowledged);
  return {
    copyMs: stepMs(operation, ['prepare_target', 'replicate', 'initial_copy']),
    catchUpMs: stepMs(operation, ['catch_up']),
    baseMs: stepMs(operation, ['checksum_base']),
    workerFreezeMs: stepMs(operation, ['freeze', 'verify', 'switch']),
    freezeSteps: ['freeze', 'verify', 'switch'].map((step) => `${step} ${stepMs(operation, [step])}`).join(', '),
    verified: operation.steps.find((s) => s.step === 'verify')?.detail ?? '',
    refusedMs: reports.map((report) => report.longestRefusedMs),
    routedMs: reports.map((report) => {
      const first = report.outcomes.find((outcome) => outcome.status === 201 && outcome.sentAt >= switched.at.getTime());
      return first ? first.answeredAt - switched.at.getTime() : Number.NaN;
    }),
    lost: acknowledged.filter((key) => seen.get(key) !== 1).length,
    doubled: [...seen.values()].filter((n) => n > 1).length,
  };
}

async function main(): Promise<void> {
  const startLoad = loadavg()[0];
  const other: ThrowawayPostgres = await startThrowawayPostgres({ maxConnections: 200 });
  const plane = await startControlPlane({
    worker: false,
    env: { SESSION_GRACE_MS: '0', LOG_LEVEL: 'warn', RETIRED_DATABASE_RETENTION_MS: '0', RETIRED_DATABASE_SWEEP_INTERVAL_MS: '200', MOVE_COPY_TIMEOUT_MS: '21600000' },
  });
  const procs: Proc[] = [];
  try {
    procs.push(spawnWorker(plane.env.rawEnv));
    const second = spawnBusinessApi(plane.env.rawEnv);
    procs.push(second);
    const replicas = [plane.businessUrl, (await second.ready)[1]];
    await procs[0].ready;
    const put = async (path: string, body: unknown) => {
      const answer = await plane.admin('PUT', path, body);
      if (answer.status !== 200) throw new Error(`PUT ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    };
    await put('/servers/pg-other', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: other.port,
      region: 'local',
      maxDatabases: 10,
      login: 'postgres',
      password: 'trusted',
    });
    await put('/pools/pool-other', { engine: 'postgres', server: 'pg-other', maxDatabases: 5, dedicated: true });
    const code = 'bench_move';
    const tenant = await plane.provision(code);
    const database = `tenant_${code}_${plane.env.label}`;
    const generatedAt = Date.now();
    const bytes = await generate(plane, database);
    console.log(`bench:move — ${machine()}; load average at start ${fmt(startLoad, 1)}`);
    console.log(
      `tenant database ${fmt(bytes / 1024 / 1024, 0)} MB generated in ${fmt((Date.now() - generatedAt) / 1000, 1)} s; ${MOVES} moves, ${REPLICAS} business-service replicas, one client each writing every 10 ms`,
    );

    // Baseline: the offline path's freeze, one dump of the whole database restored on the other server.
    await other.sql(`CREATE DATABASE bench_offline_copy`);
    const dumpStarted = Date.now();
    await run(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        `pg_dump --no-owner --no-acl --dbname "$0" | psql --quiet --no-psqlrc --single-transaction -v ON_ERROR_STOP=1 --dbname "$1" >/dev/null`,
        plane.env.databaseUrl(database),
        other.url.replace(/\/postgres$/, '/bench_offline_copy'),
      ],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const offlineMs = Date.now() - dumpStarted;
    await other.sql(`DROP DATABASE bench_offline_copy`);

    const moves: MoveFigures[] = [];
    const configuredPort = Number(new URL(plane.env.databaseUrl('postgres')).port);
    for (let round = 1; round <= MOVES; round += 1) {
      const here = (await plane.admin<TenantView>('GET', `/tenants/${code}`)).body.database.port;
      const pool = here === configuredPort ? 'pool-other' : `pool-${plane.env.label}`;
      // The database the last move left behind must be dropped before the tenant moves back onto its server.
      await until(
        async () => (await plane.env.sql(`SELECT 1 FROM retired_databases WHERE dropped_at IS NULL`, [], plane.env.adminDatabase)).length === 0,
        'the retired database dropped',
        600_000,
      );
      const sqlAt: SqlAt = (port, db, text, params) => (port === other.port ? other.sql(text, params, db) : plane.env.sql(text, params, db));
      const figures = await oneMove(plane, sqlAt, replicas, tenant.id, code, pool, round);
      moves.push(figures);
      console.log(
        `  move ${round} -> ${pool}: copy ${fmt(figures.copyMs / 1000, 1)} s, checksum bases ${fmt(figures.baseMs / 1000, 1)} s, catch-up ${fmt(figures.catchUpMs / 1000, 2)} s, ` +
          `worker's freeze ${figures.workerFreezeMs} ms (${figures.freezeSteps}; ${figures.verified}); ` +
          `clients' longest refused window ${figures.refusedMs.join(' / ')} ms; routed to the new home ${figures.routedMs.join(' / ')} ms after the switch; lost ${figures.lost}, doubled ${figures.doubled}`,
      );
    }
    const refused = moves.flatMap((move) => move.refusedMs);
    const routed = moves.flatMap((move) => move.routedMs);
    console.log(
      `copy time (median of ${MOVES}): ${fmt(median(moves.map((m) => m.copyMs)) / 1000, 1)} s; catch-up: ${fmt(median(moves.map((m) => m.catchUpMs)) / 1000, 2)} s`,
    );
    console.log(
      `write freeze seen by the clients (${refused.length} windows): p50 ${fmt(median(refused), 0)} ms, p99 ${fmt(percentile(refused, 99), 0)} ms, max ${fmt(Math.max(...refused), 0)} ms (target p99 <= 2000 ms)`,
    );
    console.log(
      `offline baseline (pg_dump | psql of the same database, what the offline path freezes for): ${fmt(offlineMs, 0)} ms; online freeze p50 is ${fmt(median(refused) / offlineMs, 3)}x that`,
    );
    console.log(
      `every replica routed to the new home: p50 ${fmt(median(routed), 0)} ms, max ${fmt(Math.max(...routed), 0)} ms after the switch committed (target 1000 ms)`,
    );
    console.log(
      `writes lost: ${moves.reduce((sum, m) => sum + m.lost, 0)}, applied twice: ${moves.reduce((sum, m) => sum + m.doubled, 0)}; load average at end ${fmt(loadavg()[0], 1)}`,
    );
  } finally {
    await Promise.all(procs.map((proc) => proc.stop()));
    await plane.stop();
    await other.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
