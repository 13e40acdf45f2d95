import { surviveConnectionErrors } from '@tenantry/common';
import { createTestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { fmt, machine, percentile, startApp, until, type Proc } from './bench-support';

// Issue 17, point 9: one tenant of BENCH_RESTORE_MB (1 GB by default) restored side by side from its
// backup while the sample API serves its neighbours at a steady rate; the neighbours' latency while
// the restore runs against a baseline measured just before it, in the same run, once per value of
// BENCH_RESTORE_JOBS (pg_restore --jobs; the worker is restarted with each).
const SIZE_MB = Number(process.env.BENCH_RESTORE_MB ?? 1024);
const JOBS = (process.env.BENCH_RESTORE_JOBS ?? '1,2').split(',').map(Number);
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

/** Requests at `RATE` per second over the neighbours' tokens until `stop()`; each latency (ms) and each failure kept. */
function steadyLoad(businessUrl: string, tokens: string[]) {
  const latencies: number[] = [];
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
      const request = fetch(`${businessUrl}/orders?limit=20`, { headers: { authorization: `Bearer ${token}` } })
        .then(async (response) => {
          await response.arrayBuffer();
          if (response.status === 200) latencies.push(performance.now() - t0);
          else failed(String(response.status));
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
      return { latencies, errors, seconds: (Date.now() - started) / 1000 };
    },
  };
}

const describeErrors = (errors: Map<string, number>) => (errors.size === 0 ? '0' : [...errors].map(([kind, n]) => `${n} ${kind}`).join(', '));

const describeLoad = (label: string, run: { latencies: number[]; errors: Map<string, number>; seconds: number }) =>
  `${label.padEnd(28)} ${String(run.latencies.length).padStart(6)} requests in ${fmt(run.seconds, 0).padStart(4)} s  p50 ${fmt(percentile(run.latencies, 50)).padStart(6)} ms  p99 ${fmt(percentile(run.latencies, 99)).padStart(6)} ms  errors ${describeErrors(run.errors)}`;

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

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
  const startWorker = async (jobs: number) => {
    await worker?.stop();
    worker = await startApp('dist/apps/provisioning-worker/src/main.js', { ...env.rawEnv, RESTORE_JOBS: String(jobs) }, /consuming tenant-operations/);
  };
  try {
    process.stdout.write(`bench:restore on ${machine()}\n  ${uptime()}\n`);
    process.stdout.write(
      `  one tenant of ${SIZE_MB} MB (BENCH_RESTORE_MB) restored side by side from its pg_dump, pg_restore --jobs in ${JOBS.join(', ')} (BENCH_RESTORE_JOBS);\n` +
        `  ${NEIGHBOURS} neighbours (BENCH_NEIGHBOURS) asked GET /orders through the sample API at ${RATE} req/s (BENCH_RATE), baseline ${BASELINE_S} s (BENCH_BASELINE_S) before each restore\n`,
    );
    await monitor.connect();
    await migrateRegistry(env.settings(adminDatabaseSettings));
    const admin = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+)\s/);
    procs.push(admin);
    const business = await startApp('dist/apps/sample-business-api/src/main.js', env.rawEnv, /sample-business-api listening on (http:\/\/\S+)\s/);
    procs.push(business);
    await startWorker(JOBS[0]);
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
    process.stdout.write(
      `  backup: ${fmt(backup.sizeBytes / 1048576, 0)} MB dump (custom format, compressed) in ${fmt(backedUp.steps[0].durationMs / 1000, 1)} s\n  ${uptime()}\n\n`,
    );

    // Warm: every neighbour resolved and its pool open, as in a service that has run a while.
    const warm = steadyLoad(businessUrl, tokens);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await warm.stop();

    for (const jobs of JOBS) {
      if (jobs !== JOBS[0]) await startWorker(jobs);
      const baselineLoad = steadyLoad(businessUrl, tokens);
      await new Promise((resolve) => setTimeout(resolve, BASELINE_S * 1000));
      const baseline = await baselineLoad.stop();
      const underLoad = steadyLoad(businessUrl, tokens);
      const requested = await adminCall('POST', '/tenants/big/restore', { backupId: backup.id });
      const operation = await waitFor(requested.body.operation.id);
      const during = await underLoad.stop();
      const wallS = (new Date(operation.finishedAt).getTime() - new Date(operation.startedAt).getTime()) / 1000;
      const restoreStep = operation.steps.find((s) => s.step === 'restore_database')!;
      const ratio = percentile(during.latencies, 99) / percentile(baseline.latencies, 99);
      process.stdout.write(
        `  pg_restore --jobs=${jobs}: restored side by side in ${fmt(wallS, 1)} s (pg_restore ${fmt(restoreStep.durationMs / 1000, 1)} s; target <= 180 s: ${wallS <= 180 ? 'met' : 'MISSED'})\n` +
          `    ${describeLoad('neighbours, baseline', baseline)}\n` +
          `    ${describeLoad('neighbours, during restore', during)}\n` +
          `    p99 during / baseline: ${fmt(ratio, 3)} (+${fmt((ratio - 1) * 100, 1)} %; target < +10 %: ${ratio < 1.1 ? 'met' : 'MISSED'}); p50 ratio ${fmt(percentile(during.latencies, 50) / percentile(baseline.latencies, 50), 3)}\n` +
          `    ${uptime()}\n`,
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
