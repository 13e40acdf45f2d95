import { surviveConnectionErrors } from '@tenantry/common';
import { createTestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { fmt, machine, percentile, startApp, until, type Proc } from './bench-support';

// Issue 17, point 9: one tenant of BENCH_RESTORE_MB (1 GB by default) restored side by side from its
// backup while the sample API serves its neighbours at a steady rate; the neighbours' latency while
// the restore runs against a baseline measured just before it, in the same run, once per value of
// BENCH_RESTORE_JOBS (pg_restore --jobs) and of BENCH_RESTORE_PACE (RESTORE_MAX_MB_PER_SECOND;
// `default`: the worker's own; 0: unpaced); the worker is restarted with each pair. The latencies
// are also split by window of BENCH_WINDOW_S and by what the restore's backend was doing when the
// request was sent, to see which phase of a restore the neighbours feel.
const SIZE_MB = Number(process.env.BENCH_RESTORE_MB ?? 1024);
const JOBS = (process.env.BENCH_RESTORE_JOBS ?? '1').split(',').map(Number);
const PACES = (process.env.BENCH_RESTORE_PACE ?? 'default,0').split(',').map((pace) => pace.trim());
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 5);
const NEIGHBOURS = Number(process.env.BENCH_NEIGHBOURS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 40);
const BASELINE_S = Number(process.env.BENCH_BASELINE_S ?? 30);
const ORDERS_PER_BATCH = 50_000;

interface Operation {
  id: string;
  status: string;
  step: string | null;
  lastError: string | null;
  steps: Array<{ step: string; durationMs: number }>;
  startedAt: string;
  finishedAt: string;
}

interface Answer {
  status: number;
  body: {
    id: string;
    status: string;
    tenant: { id: string; code: string };
    operation: { id: string };
    restore: { database: { name: string } };
    items: Array<{ id: string; sizeBytes: number }>;
  };
}

async function call(url: string, method: string, token: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Answer['body'] };
}

type Phase = 'copy' | 'index' | 'constraint' | 'other' | 'none';

/**
 * What the restore's backend (application_name tenantry-restore) is doing, sampled every 250 ms:
 * its rows (COPY), an index build, a constraint (a primary key builds an index too), or else; and
 * how many parallel workers it has.
 */
function restoreWatch(monitor: Client) {
  let phase: Phase = 'none';
  let mostWorkers = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await monitor.query<{ query: string; workers: number }>(
        `SELECT a.query, (SELECT count(*)::int FROM pg_stat_activity w WHERE w.leader_pid = a.pid AND w.pid <> a.pid) AS workers
           FROM pg_stat_activity a WHERE a.application_name = 'tenantry-restore' AND a.state = 'active' LIMIT 1`,
      );
      const query = rows[0]?.query.trimStart().toUpperCase() ?? '';
      phase = !rows[0]
        ? 'none'
        : query.startsWith('COPY')
          ? 'copy'
          : /^CREATE (UNIQUE )?INDEX/.test(query)
            ? 'index'
            : /^ALTER TABLE .* ADD CONSTRAINT/s.test(query)
              ? 'constraint'
              : 'other';
      mostWorkers = Math.max(mostWorkers, rows[0]?.workers ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    phase: () => phase,
    async stop() {
      running = false;
      await loop;
      return { mostWorkers };
    },
  };
}

interface Sample {
  /** Seconds from the start of the load to the request's sending. */
  at: number;
  ms: number;
  phase: Phase;
}

/** Requests at `RATE` per second over the neighbours' tokens until `stop()`; each latency (ms) and each failure kept. */
function steadyLoad(businessUrl: string, tokens: string[], phase: () => Phase = () => 'none') {
  const latencies: number[] = [];
  const samples: Sample[] = [];
  const errors = new Map<string, number>();
  const failed = (kind: string) => void errors.set(kind, (errors.get(kind) ?? 0) + 1);
  let running = true;
  let sent = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (running) {
      const due = started + (sent * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const token = tokens[sent % tokens.length];
      sent += 1;
      const t0 = performance.now();
      const sentAt = { at: (Date.now() - started) / 1000, phase: phase() };
      const request = fetch(`${businessUrl}/orders?limit=20`, { headers: { authorization: `Bearer ${token}` } })
        .then(async (response) => {
          await response.arrayBuffer();
          const ms = performance.now() - t0;
          if (response.status === 200) {
            latencies.push(ms);
            samples.push({ ...sentAt, ms });
          } else failed(String(response.status));
        })
        .catch(() => failed('network'))
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      return { latencies, samples, errors, seconds: (Date.now() - started) / 1000 };
    },
  };
}

const describeErrors = (errors: Map<string, number>) => (errors.size === 0 ? '0' : [...errors].map(([kind, n]) => `${n} ${kind}`).join(', '));

const describeLoad = (label: string, run: { latencies: number[]; errors: Map<string, number>; seconds: number }) =>
  `${label.padEnd(28)} ${String(run.latencies.length).padStart(6)} requests in ${fmt(run.seconds, 0).padStart(4)} s  p50 ${fmt(percentile(run.latencies, 50)).padStart(6)} ms  p99 ${fmt(percentile(run.latencies, 99)).padStart(6)} ms  errors ${describeErrors(run.errors)}`;

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

const loadAverage = () =>
  loadavg()
    .map((load) => fmt(load, 2))
    .join(' ');

const latencyLine = (label: string, values: number[]) =>
  `${label.padEnd(40)} ${String(values.length).padStart(6)} requests  p50 ${fmt(percentile(values, 50)).padStart(7)} ms  p99 ${fmt(percentile(values, 99)).padStart(7)} ms`;

/** The latencies during the restore by window of WINDOW_S, with the phases the restore went through in each, then by phase. */
function byWindowAndPhase(samples: Sample[]): string[] {
  const windows = new Map<number, Sample[]>();
  for (const sample of samples) {
    const window = Math.floor(sample.at / WINDOW_S);
    windows.set(window, [...(windows.get(window) ?? []), sample]);
  }
  const lines = [...windows].map(([window, inWindow]) => {
    const phases = [...new Set(inWindow.map((sample) => sample.phase))].join('+');
    return latencyLine(
      `${String(window * WINDOW_S).padStart(4)}-${window * WINDOW_S + WINDOW_S} s ${phases}`,
      inWindow.map((sample) => sample.ms),
    );
  });
  const phases = [...new Set(samples.map((sample) => sample.phase))];
  return [
    ...lines,
    ...phases.map((phase) =>
      latencyLine(
        `phase ${phase}`,
        samples.filter((sample) => sample.phase === phase).map((sample) => sample.ms),
      ),
    ),
  ];
}

async function main(): Promise<void> {
  const issuer = await LocalIssuer.start({ port: 0 });
  const backupDir = join(tmpdir(), `tenantry-bench-restore-${process.pid}`);
  const env = createTestEnv({
    AUTH_ISSUER: issuer.issuer,
    LOG_LEVEL: 'warn',
    ADMIN_API_PORT: '0',
    BUSINESS_API_PORT: '0',
    WORKER_METRICS_PORT: '0',
    TENANCY_PG_ROUTE: 'direct',
    BACKUP_DIR: backupDir,
  });
  const procs: Proc[] = [];
  const monitor = new Client({ connectionString: env.databaseUrl('postgres') });
  surviveConnectionErrors(monitor, 'bench monitor session');
  let worker: Proc | null = null;
  const startWorker = async (jobs: number, pace: string) => {
    await worker?.stop();
    const paced = pace === 'default' ? {} : { RESTORE_MAX_MB_PER_SECOND: pace };
    worker = await startApp('dist/apps/provisioning-worker/src/main.js', { ...env.rawEnv, RESTORE_JOBS: String(jobs), ...paced }, /consuming tenant-operations/);
  };
  // Several jobs restore unpaced only (the worker refuses a pace beside them).
  const runs = JOBS.flatMap((jobs) => PACES.filter((pace) => jobs === 1 || pace === '0').map((pace) => ({ jobs, pace })));
  try {
    process.stdout.write(`bench:restore on ${machine()}\n  ${uptime()}\n`);
    process.stdout.write(
      `  one tenant of ${SIZE_MB} MB (BENCH_RESTORE_MB) restored side by side from its pg_dump, pg_restore --jobs in ${JOBS.join(', ')} (BENCH_RESTORE_JOBS), ` +
        `RESTORE_MAX_MB_PER_SECOND in ${PACES.join(', ')} (BENCH_RESTORE_PACE);\n` +
        `  ${NEIGHBOURS} neighbours (BENCH_NEIGHBOURS) asked GET /orders through the sample API at ${RATE} req/s (BENCH_RATE), baseline ${BASELINE_S} s (BENCH_BASELINE_S) before each restore, ` +
        `windows of ${WINDOW_S} s (BENCH_WINDOW_S)\n`,
    );
    await monitor.connect();
    await migrateRegistry(env.settings(adminDatabaseSettings));
    const admin = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+)\s/);
    procs.push(admin);
    const business = await startApp('dist/apps/sample-business-api/src/main.js', env.rawEnv, /sample-business-api listening on (http:\/\/\S+)\s/);
    procs.push(business);
    await startWorker(runs[0].jobs, runs[0].pace);
    const adminUrl = (await admin.ready)[1];
    const businessUrl = (await business.ready)[1];
    const adminToken = await issuer.mint({ sub: 'bench-admin', roles: ['platform-admin'] }, { expiresInSeconds: 7200 });
    const adminCall = (method: string, path: string, body?: unknown) => call(`${adminUrl}${path}`, method, adminToken, body);
    const waitFor = async (operationId: string): Promise<Operation> => {
      let operation!: Operation;
      await until(
        async () => {
          operation = (await adminCall('GET', `/operations/${operationId}`)).body as unknown as Operation;
          return operation.status === 'succeeded' || operation.status === 'failed';
        },
        `operation ${operationId}`,
        1_800_000,
      );
      if (operation.status !== 'succeeded') throw new Error(`operation ${operationId} failed at ${operation.step}: ${operation.lastError}`);
      return operation;
    };
    const provision = async (code: string) => {
      const created = await adminCall('POST', '/tenants', { code, name: code });
      await waitFor(created.body.operation.id);
      return created.body.tenant;
    };

    await provision('big');
    const neighbours = [];
    for (let i = 0; i < NEIGHBOURS; i += 1) neighbours.push(await provision(`near_${i}`));
    const tokens = await Promise.all(neighbours.map((tenant) => issuer.mint({ sub: `bench-${tenant.code}`, tenantId: tenant.id }, { expiresInSeconds: 7200 })));
    for (const token of tokens) {
      for (let i = 0; i < 5; i += 1) await call(`${businessUrl}/orders`, 'POST', token, { lines: [{ sku: `N-${i}`, quantity: 1, unitPriceCents: 100 }] });
    }

    const database = `tenant_big_${env.label}`;
    const generated = Date.now();
    for (;;) {
      const [{ mb }] = (await monitor.query<{ mb: number }>(`SELECT pg_database_size($1) / 1048576 AS mb`, [database])).rows;
      if (mb >= SIZE_MB) break;
      await env.sql(
        `WITH o AS (INSERT INTO orders (total_cents) SELECT g FROM generate_series(1, ${ORDERS_PER_BATCH}) g RETURNING id)
         INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) SELECT o.id, repeat(md5(random()::text), 4), 1, 100 FROM o, generate_series(1, 4)`,
        [],
        database,
      );
    }
    const [{ size }] = (await monitor.query<{ size: string }>(`SELECT pg_size_pretty(pg_database_size($1)) AS size`, [database])).rows;
    process.stdout.write(`  generated tenant big: ${size} in ${fmt((Date.now() - generated) / 1000, 0)} s\n`);

    const backedUp = await waitFor((await adminCall('POST', '/tenants/big/backups')).body.id);
    const [backup] = (await adminCall('GET', '/tenants/big/backups')).body.items;
    // What a paced restore meters: the SQL pg_restore makes of the dump (the rows as COPY text).
    const [dumpFile] = readdirSync(backupDir).filter((name) => name.endsWith('.dump'));
    const scriptBytes = Number(execFileSync('sh', ['-c', 'pg_restore --no-owner --no-acl --file=- "$1" | wc -c', 'sh', join(backupDir, dumpFile)], { encoding: 'utf8' }));
    process.stdout.write(
      `  backup: ${fmt(backup.sizeBytes / 1048576, 0)} MB dump (custom format, compressed) in ${fmt(backedUp.steps[0].durationMs / 1000, 1)} s; ` +
        `restored, it is ${fmt(scriptBytes / 1048576, 0)} MB of SQL\n  ${uptime()}\n\n`,
    );

    // Warm: every neighbour resolved and its pool open, as in a service that has run a while.
    const warm = steadyLoad(businessUrl, tokens);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await warm.stop();

    for (const [i, { jobs, pace }] of runs.entries()) {
      if (i > 0) await startWorker(jobs, pace);
      const loadBefore = loadAverage();
      const baselineLoad = steadyLoad(businessUrl, tokens);
      await new Promise((resolve) => setTimeout(resolve, BASELINE_S * 1000));
      const baseline = await baselineLoad.stop();
      const watch = restoreWatch(monitor);
      const underLoad = steadyLoad(businessUrl, tokens, watch.phase);
      const requested = await adminCall('POST', '/tenants/big/restore', { backupId: backup.id });
      const operation = await waitFor(requested.body.operation.id);
      const during = await underLoad.stop();
      const { mostWorkers } = await watch.stop();
      const wallS = (new Date(operation.finishedAt).getTime() - new Date(operation.startedAt).getTime()) / 1000;
      const restoreStep = operation.steps.find((s) => s.step === 'restore_database')!;
      const ratio = percentile(during.latencies, 99) / percentile(baseline.latencies, 99);
      process.stdout.write(
        `  pg_restore --jobs=${jobs}, RESTORE_MAX_MB_PER_SECOND=${pace}: restored side by side in ${fmt(wallS, 1)} s ` +
          `(pg_restore ${fmt(restoreStep.durationMs / 1000, 1)} s; target <= 180 s: ${wallS <= 180 ? 'met' : 'MISSED'}); parallel index workers seen: ${mostWorkers}\n` +
          `    ${describeLoad('neighbours, baseline', baseline)}\n` +
          `    ${describeLoad('neighbours, during restore', during)}\n` +
          `    p99 during / baseline: ${fmt(ratio, 3)} (+${fmt((ratio - 1) * 100, 1)} %; target < +10 %: ${ratio < 1.1 ? 'met' : 'MISSED'}); p50 ratio ${fmt(percentile(during.latencies, 50) / percentile(baseline.latencies, 50), 3)}\n` +
          `    load average (os.loadavg, 1/5/15 min): ${loadBefore} before the baseline, ${loadAverage()} after the restore\n` +
          `    during the restore, by window and by what the restore was doing when the request was sent:\n` +
          byWindowAndPhase(during.samples)
            .map((line) => `      ${line}\n`)
            .join(''),
      );
      // The side-by-side copy goes before the next run, so each restores onto the same server state.
      await monitor.query(`DROP DATABASE IF EXISTS "${requested.body.restore.database.name}" WITH (FORCE)`);
    }
  } finally {
    await (worker as Proc | null)?.stop();
    await Promise.all(procs.map((proc) => proc.stop()));
    await monitor.end().catch(() => undefined);
    await issuer.stop();
    await env.cleanup();
    rmSync(backupDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
